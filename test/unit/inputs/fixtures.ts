/**
 * Shared fixtures for the input-file tests: the sandbox seed's flow schemas (the same JSON text the
 * sandbox serves for `workflows(<id>)/inputs/$value`), and a logger that records what a log sink
 * would show, masked through the process-wide secret masker like every real sink.
 */
import { format } from 'node:util';
import type { Logger } from '../../../src/core/logger';
import { flowSchemaFromText } from '../../../src/core/model/flowSchema';
import { secretMasker } from '../../../src/core/util/secretMasker';
import {
  parseDesktopFlowSchema,
  type DesktopFlowSchema,
  type SchemaDirection,
} from '../../../src/core/inputs/desktopFlowSchema';
import { convertFlowSchema, type ConvertedFlowSchema } from '../../../src/core/inputs/flowJsonSchema';
import { inputsSchemaText, outputsSchemaText } from '../../../src/sandbox/flowSchema';
import { defaultSeed, seedIds } from '../../../src/sandbox/seed';
import type { SeedFlow } from '../../../src/sandbox/seedTypes';

/** Short names of the seeded flows. */
export type SeededFlowName = keyof typeof seedIds.flows;

/** A seeded flow of the `contoso-dev` environment. */
export function seededFlow(name: SeededFlowName): SeedFlow {
  const id = seedIds.flows[name];
  for (const environment of defaultSeed().environments) {
    const flow = environment.flows.find((f) => f.id === id);
    if (flow !== undefined) {
      return flow;
    }
  }
  throw new Error(`no seeded flow ${name}`);
}

/** The schema column text the sandbox serves for a seeded flow. */
export function seededSchemaText(name: SeededFlowName, direction: SchemaDirection): string {
  const flow = seededFlow(name);
  return direction === 'inputs' ? inputsSchemaText(flow) : outputsSchemaText(flow);
}

/** A seeded flow's schema, converted as the extension converts what the service returns. */
export function seededConverted(name: SeededFlowName, direction: SchemaDirection): ConvertedFlowSchema {
  return convertFlowSchema(flowSchemaFromText(direction, seededSchemaText(name, direction)), direction);
}

/** A seeded flow's normalised schema. */
export function seededSchema(name: SeededFlowName, direction: SchemaDirection = 'inputs'): DesktopFlowSchema {
  return parseDesktopFlowSchema(flowSchemaFromText(direction, seededSchemaText(name, direction)), direction)
    .schema;
}

/** Two megabytes and one megabyte: the Public and China limits of `clouds.ts`. */
export const twoMegabytes = 2 * 1024 * 1024;
export const oneMegabyte = 1024 * 1024;

/** A logger that keeps every line as a masking sink would print it. */
export class RecordingLogger implements Logger {
  readonly lines: string[] = [];

  private record(level: string, message: string | Error, args: unknown[]): void {
    const text = message instanceof Error ? `${message.message}\n${message.stack ?? ''}` : message;
    this.lines.push(secretMasker.mask(`${level} ${format(text, ...args)}`));
  }

  trace(message: string, ...args: unknown[]): void {
    this.record('trace', message, args);
  }
  debug(message: string, ...args: unknown[]): void {
    this.record('debug', message, args);
  }
  info(message: string, ...args: unknown[]): void {
    this.record('info', message, args);
  }
  warn(message: string, ...args: unknown[]): void {
    this.record('warn', message, args);
  }
  error(message: string | Error, ...args: unknown[]): void {
    this.record('error', message, args);
  }

  /** Everything recorded, one string. */
  get text(): string {
    return this.lines.join('\n');
  }
}
