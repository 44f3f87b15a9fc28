/**
 * The batch's way onto the run road, over one signed-in session: each item's file is read, validated
 * against its flow's current input schema (one schema fetch per flow, cached), its references resolved
 * (`prepareRunInputs`), and started through `RunService.trigger` (rate limit, exactly once).
 *
 * This is the adapter that stands in for `prepareRun` + `RunService.start` until the run pipeline lands
 * them: the same calls `desktop-flows run` makes today, in one place, so switching is a change here only.
 */
import { readFile } from 'node:fs/promises';
import { ApiError } from '../errors';
import type { Logger } from '../logger';
import { parseDesktopFlowSchema, type DesktopFlowSchema } from '../inputs/desktopFlowSchema';
import type { InputProblem } from '../inputs/inputProblem';
import { maskInputs } from '../inputs/maskInputs';
import { prepareRunInputs } from '../inputs/prepareRunInputs';
import type { SecretResolver } from '../inputs/secretReference';
import type { DesktopFlow } from '../model/flow';
import type { RunService } from '../runs/runService';
import type { RunEvent, RunSubject } from '../runs/runEvents';
import type { EnvironmentRef } from '../runs/runJournal';
import type { RunConnection, RunOptions } from '../runs/runOptions';
import type { ServiceSession } from '../serviceSession';
import type { Subscription } from '../util/events';
import { schemaTargetOf } from './batchItems';
import {
  BatchItemInvalidError,
  type BatchPort,
  type PreparedBatchItem,
  type StartedBatchItem,
} from './batchRunner';
import { inputsDigest } from './inputsDigest';

/** A problem of one item, for the list printed before anything is sent. */
export interface BatchProblem {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly path: string;
  readonly severity: 'error' | 'warning';
  readonly message: string;
  readonly fix: string;
}

/** What checking one candidate file found. */
export type BatchItemCheck =
  | {
      readonly kind: 'item';
      readonly flowId: string;
      readonly flowName: string;
      readonly warnings: readonly BatchProblem[];
    }
  | {
      readonly kind: 'invalid';
      readonly flowId: string | undefined;
      readonly problems: readonly BatchProblem[];
    }
  /** A JSON file in a folder whose `$schema` names no flow (and no `--flow`): not an input file. */
  | { readonly kind: 'notAnItem' };

interface FlowInfo {
  readonly flow: DesktopFlow;
  readonly inputs: DesktopFlowSchema;
  readonly outputs: DesktopFlowSchema;
  readonly sensitive: ReadonlySet<string>;
}

/** Options of `SessionBatchPort`. */
export interface SessionBatchPortOptions {
  readonly session: ServiceSession;
  readonly service: RunService;
  readonly environment: EnvironmentRef;
  /** Names an input file's `$schema` may give the environment by (id, unique name, …). */
  readonly environmentNames: readonly string[];
  /** Run options without the connection (each lane adds its own). */
  readonly options: Omit<RunOptions, 'connection'>;
  /** `--flow`, resolved to an id: every file runs this flow. */
  readonly flowId?: string;
  readonly resolver: SecretResolver;
  readonly limitBytes: number;
  readonly logger: Logger;
  /** Do not mask sensitive outputs in the journal and report. */
  readonly showSensitive?: boolean;
}

function fileProblem(file: string, message: string, fix: string): BatchProblem {
  return { file, line: 1, column: 1, path: '$', severity: 'error', message, fix };
}

function fromInputProblem(file: string, p: InputProblem): BatchProblem {
  return {
    file,
    line: p.line,
    column: p.column,
    path: p.pathText,
    severity: p.severity,
    message: p.message,
    fix: p.fix,
  };
}

/** `BatchPort` over a `ServiceSession` and a `RunService`. */
export class SessionBatchPort implements BatchPort {
  private readonly flows = new Map<string, Promise<FlowInfo>>();

  constructor(private readonly options: SessionBatchPortOptions) {}

  /** Checks one file: is it an item, and is it valid (nothing is sent). */
  async check(file: string, explicit: boolean, signal: AbortSignal): Promise<BatchItemCheck> {
    let text: string;
    try {
      text = (await readFile(file, 'utf8')).replace(/^\uFEFF/, '');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? String(e);
      return {
        kind: 'invalid',
        flowId: undefined,
        problems: [
          fileProblem(file, `The file cannot be read (${code}).`, 'Check that it exists and is readable.'),
        ],
      };
    }
    const target = schemaTargetOf(text);
    const flowId = this.options.flowId ?? target?.flowId;
    if (flowId === undefined) {
      if (!explicit) {
        return { kind: 'notAnItem' };
      }
      return {
        kind: 'invalid',
        flowId: undefined,
        problems: [
          fileProblem(
            file,
            'The file does not say which flow it is for.',
            'Add "$schema": "desktopflows-schema:/<flow id>.json", or give --flow <flow>.',
          ),
        ],
      };
    }
    let info: FlowInfo;
    try {
      info = await this.flowInfo(flowId, signal);
    } catch (e) {
      if (ApiError.is(e, 'notFound')) {
        return {
          kind: 'invalid',
          flowId,
          problems: [
            fileProblem(
              file,
              `There is no desktop flow ${flowId} in ${this.options.environment.displayName ?? this.options.environment.orgUrl}.`,
              'Fix "$schema" (or --flow), or choose the environment the flow is in with --env.',
            ),
          ],
        };
      }
      throw e;
    }
    const prepared = await this.prepare(text, info, signal);
    if (!prepared.ok) {
      return { kind: 'invalid', flowId, problems: prepared.problems.map((p) => fromInputProblem(file, p)) };
    }
    return {
      kind: 'item',
      flowId,
      flowName: info.flow.name,
      warnings: prepared.warnings.map((p) => fromInputProblem(file, p)),
    };
  }

  async start(
    file: string,
    connection: RunConnection,
    beforeSend: (item: PreparedBatchItem) => Promise<void>,
    signal: AbortSignal,
  ): Promise<StartedBatchItem> {
    let text: string;
    try {
      text = (await readFile(file, 'utf8')).replace(/^\uFEFF/, '');
    } catch (e) {
      throw new BatchItemInvalidError(
        `The file could not be read again (${(e as NodeJS.ErrnoException).code ?? String(e)}).`,
      );
    }
    const flowId = this.options.flowId ?? schemaTargetOf(text)?.flowId;
    if (flowId === undefined) {
      throw new BatchItemInvalidError('The file no longer names its flow in "$schema".');
    }
    const info = await this.flowInfo(flowId, signal);
    const prepared = await this.prepare(text, info, signal);
    if (!prepared.ok) {
      const first = prepared.problems.find((p) => p.severity === 'error');
      throw new BatchItemInvalidError(
        `The file changed after the batch was checked and is no longer valid${first === undefined ? '' : ` (line ${first.line}:${first.column}: ${first.message})`}.`,
      );
    }
    const digest = inputsDigest(prepared.inputs, info.sensitive);
    await beforeSend({ flowId: info.flow.id, flowName: info.flow.name, inputsDigest: digest });
    const run = await this.options.service.trigger(
      {
        environment: this.options.environment,
        flowId: info.flow.id,
        flowName: info.flow.name,
        options: { ...this.options.options, connection },
        inputs: prepared.inputs,
      },
      signal,
    );
    return {
      runId: run.runId,
      flowId: info.flow.id,
      flowName: info.flow.name,
      reconciled: run.reconciled,
      triggeredAt: run.triggeredAt,
    };
  }

  watch(subject: RunSubject): Promise<void> {
    return this.options.service.watch(subject);
  }

  unwatch(environment: EnvironmentRef, runId: string): Promise<void> {
    return this.options.service.stopWatching(environment, runId);
  }

  onEvent(listener: (event: RunEvent) => void): Subscription {
    return this.options.service.onEvent(listener);
  }

  maskOutputs(flowId: string, outputs: Record<string, unknown>): Record<string, unknown> {
    if (this.options.showSensitive === true) {
      return outputs;
    }
    const info = this.known.get(flowId.toLowerCase());
    return info === undefined ? maskAll(outputs) : maskInputs(outputs, info.outputs);
  }

  /** Loads a flow's schemas (for masking the outputs of runs followed after a resume). */
  async prepareFlow(flowId: string, signal: AbortSignal): Promise<void> {
    await this.flowInfo(flowId, signal);
  }

  /** The digest of a run's stored inputs, comparable to the one journaled for an item of `flowId`. */
  async digestOf(
    flowId: string,
    inputs: Record<string, unknown> | undefined,
    signal: AbortSignal,
  ): Promise<string> {
    const info = await this.flowInfo(flowId, signal);
    return inputsDigest(inputs, info.sensitive);
  }

  private readonly known = new Map<string, FlowInfo>();

  private flowInfo(flowId: string, signal: AbortSignal): Promise<FlowInfo> {
    const key = flowId.toLowerCase();
    let info = this.flows.get(key);
    if (info === undefined) {
      info = this.loadFlow(flowId, signal);
      this.flows.set(key, info);
      // A failed load (network) is tried again by the next item; cancellation too.
      info.then(
        (i) => this.known.set(key, i),
        () => this.flows.delete(key),
      );
    }
    return info;
  }

  private async loadFlow(flowId: string, signal: AbortSignal): Promise<FlowInfo> {
    const { session, environment } = this.options;
    let flow: DesktopFlow;
    try {
      flow = await session.flows.get(environment.orgUrl, flowId, signal);
    } catch (e) {
      if (!ApiError.is(e, 'notFound')) {
        throw e;
      }
      flow = await session.flows.get(environment.orgUrl, flowId, signal, { includeDrafts: true });
    }
    const schemas = await session.flows.getSchemas(environment.orgUrl, flow.id, signal, {
      includeDrafts: flow.isUnpublished,
    });
    const inputs = parseDesktopFlowSchema(schemas.inputs, 'inputs').schema;
    const outputs = parseDesktopFlowSchema(schemas.outputs, 'outputs').schema;
    return {
      flow,
      inputs,
      outputs,
      sensitive: new Set(inputs.variables.filter((v) => v.sensitive).map((v) => v.name)),
    };
  }

  private prepare(text: string, info: FlowInfo, signal: AbortSignal) {
    return prepareRunInputs(text, info.inputs, {
      signal,
      resolver: this.options.resolver,
      logger: this.options.logger,
      limitBytes: this.options.limitBytes,
      flowId: info.flow.id,
      environment: this.options.environmentNames,
    });
  }
}

/** Without the output schema, every output is masked: better hidden than leaked. */
function maskAll(outputs: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.keys(outputs).map((k) => [k, '********']));
}
