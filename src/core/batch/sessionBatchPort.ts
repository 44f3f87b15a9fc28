/**
 * The batch's way onto the one run road, over one signed-in session: each item is a `RunRequest` (its
 * file's text, the environment and flow already resolved), prepared by `prepareRun` (inputs validated
 * against the flow's input schema, references resolved, options and connection checked) and started by
 * `RunService.start` (rate limit, exactly once). Nothing here sends a run any other way.
 *
 * What is shared across the items of one batch, so that 10,000 items do not mean 10,000 times the same
 * lookups: the flow (resolved once per flow id), its schemas (one `FlowSchemaCache`, asked for schemas no
 * older than the moment the batch was checked), and the connection lists (read once per batch; the
 * connections were checked before anything was sent).
 */
import { readFile } from 'node:fs/promises';
import { ApiError } from '../errors';
import { FlowSchemaCache } from '../inputs/flowSchemaCache';
import { decodeInputFile, InputFileReadError, invalidUtf8Position } from '../inputs/inputFileBytes';
import type { DesktopFlowSchema } from '../inputs/desktopFlowSchema';
import { maskInputs } from '../inputs/maskInputs';
import type { SecretResolver } from '../inputs/secretReference';
import type { Logger } from '../logger';
import type { DesktopFlow } from '../model/flow';
import { prepareRun, type PrepareRunDeps, type PrepareRunResult, type RunProblem } from '../runs/prepareRun';
import type { RunEvent, RunSubject } from '../runs/runEvents';
import type { EnvironmentRef } from '../runs/runJournal';
import { idKey } from '../runs/runKeys';
import type { RunConnection, RunOptions } from '../runs/runOptions';
import type { SendInstant } from '../runs/reconciliation';
import type { RunService } from '../runs/runService';
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
  readonly flow: Pick<DesktopFlow, 'id' | 'name' | 'isUnpublished'>;
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
  readonly logger: Logger;
  /** Do not mask sensitive outputs in the journal and report. */
  readonly showSensitive?: boolean;
  /** Time source for "schemas no older than the check" (default `Date.now`). */
  readonly now?: () => number;
}

function fileProblem(file: string, message: string, fix: string): BatchProblem {
  return { file, line: 1, column: 1, path: '$', severity: 'error', message, fix };
}

function fromRunProblem(file: string, p: RunProblem): BatchProblem {
  const at = p.input !== undefined && p.located === true ? p.input : undefined;
  return {
    file,
    line: at?.line ?? 1,
    column: at?.column ?? 1,
    path: p.input?.pathText ?? '$',
    severity: p.severity,
    message: p.message,
    fix: p.fix,
  };
}

/** `BatchPort` over a `ServiceSession` and a `RunService`, through `prepareRun` and `RunService.start`. */
export class SessionBatchPort implements BatchPort {
  private readonly flows = new Map<string, Promise<FlowInfo>>();
  private readonly known = new Map<string, FlowInfo>();
  private readonly schemas: FlowSchemaCache;
  private readonly deps: PrepareRunDeps;
  /** Schemas loaded since this moment are current enough for every item of the batch. */
  private readonly checkedAt: number;

  constructor(private readonly options: SessionBatchPortOptions) {
    const { session } = options;
    const now = options.now ?? Date.now;
    this.checkedAt = now();
    this.schemas = new FlowSchemaCache((org, id, signal, o) => session.flows.getSchemas(org, id, signal, o), {
      now,
    });
    const once = <T>(load: () => Promise<T>): (() => Promise<T>) => {
      let p: Promise<T> | undefined;
      return () => {
        p ??= load().catch((e: unknown) => {
          p = undefined;
          throw e;
        });
        return p;
      };
    };
    const connections = new Map<
      string,
      () => ReturnType<ServiceSession['connections']['listDesktopFlowConnections']>
    >();
    const references = new Map<
      string,
      () => ReturnType<ServiceSession['connectionReferences']['listDesktopFlowReferences']>
    >();
    this.deps = {
      session: {
        cloud: session.cloud,
        environments: session.environments,
        flows: session.flows,
        runs: session.runs,
        // Read once per batch: the connections were checked before anything was sent.
        connections: {
          listDesktopFlowConnections: (environmentId: string, signal: AbortSignal) => {
            let list = connections.get(environmentId);
            if (list === undefined) {
              list = once(() => session.connections.listDesktopFlowConnections(environmentId, signal));
              connections.set(environmentId, list);
            }
            return list();
          },
        } as ServiceSession['connections'],
        connectionReferences: {
          listDesktopFlowReferences: (orgUrl: string, signal: AbortSignal) => {
            let list = references.get(orgUrl);
            if (list === undefined) {
              list = once(() => session.connectionReferences.listDesktopFlowReferences(orgUrl, signal));
              references.set(orgUrl, list);
            }
            return list();
          },
        } as ServiceSession['connectionReferences'],
      },
      schemas: this.schemas,
      resolver: options.resolver,
      logger: options.logger,
      // "Validated against the flow as it is now": now is when the batch was checked.
      now: () => this.checkedAt,
    };
  }

  /** Checks one file: is it an item, and is it valid (nothing is sent). */
  async check(
    file: string,
    explicit: boolean,
    connection: RunConnection,
    signal: AbortSignal,
  ): Promise<BatchItemCheck> {
    let read: ItemText;
    try {
      read = await readItemText(file);
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
    const { text, refusal } = read;
    const flowId = this.options.flowId ?? schemaTargetOf(text)?.flowId;
    if (flowId === undefined && !explicit) {
      return { kind: 'notAnItem' };
    }
    if (refusal !== undefined) {
      // Refused as a run from the file is refused: replacement characters are never sent.
      return { kind: 'invalid', flowId, problems: [refusal] };
    }
    if (flowId === undefined) {
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
    const result = await this.prepare(file, text, info, connection, signal);
    if (!result.ok) {
      return { kind: 'invalid', flowId, problems: result.problems.map((p) => fromRunProblem(file, p)) };
    }
    return {
      kind: 'item',
      flowId,
      flowName: info.flow.name,
      warnings: result.warnings.map((p) => fromRunProblem(file, p)),
    };
  }

  async start(
    file: string,
    connection: RunConnection,
    beforeSend: (item: PreparedBatchItem, sent: SendInstant) => Promise<void>,
    signal: AbortSignal,
  ): Promise<StartedBatchItem> {
    let read: ItemText;
    try {
      read = await readItemText(file);
    } catch (e) {
      throw new BatchItemInvalidError(
        `The file could not be read again (${(e as NodeJS.ErrnoException).code ?? String(e)}).`,
      );
    }
    const { text, refusal } = read;
    if (refusal !== undefined) {
      throw new BatchItemInvalidError(
        `The file changed after the batch was checked and can no longer run: ${refusal.message} ${refusal.fix}`,
      );
    }
    const flowId = this.options.flowId ?? schemaTargetOf(text)?.flowId;
    if (flowId === undefined) {
      throw new BatchItemInvalidError('The file no longer names its flow in "$schema".');
    }
    const info = await this.flowInfo(flowId, signal);
    const result = await this.prepare(file, text, info, connection, signal);
    if (!result.ok) {
      const first = result.problems.find((p) => p.severity === 'error');
      const at =
        first?.input !== undefined && first.located === true
          ? ` (line ${first.input.line}:${first.input.column})`
          : '';
      throw new BatchItemInvalidError(
        `The file changed after the batch was checked and can no longer run${first === undefined ? '' : `: ${first.message}${at}`}.`,
      );
    }
    const prepared = result.run;
    const item: PreparedBatchItem = {
      flowId: prepared.flow.id,
      flowName: prepared.flow.name,
      inputsDigest: inputsDigest(prepared.inputs, info.sensitive),
    };
    // Journaled right before each send, with the service's time: a resume settles it by the same window.
    const run = await this.options.service.start(prepared, signal, {
      onSend: (sent) => beforeSend(item, sent),
    });
    return {
      runId: run.runId,
      flowId: prepared.flow.id,
      flowName: prepared.flow.name,
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
    const info = this.known.get(idKey(flowId));
    return info === undefined ? maskAll(outputs) : maskInputs(outputs, info.outputs);
  }

  /** Loads a flow and its schemas (for masking the outputs of runs followed after a resume). */
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

  dispose(): void {
    this.schemas.dispose();
  }

  private prepare(
    file: string,
    text: string,
    info: FlowInfo,
    connection: RunConnection,
    signal: AbortSignal,
  ): Promise<PrepareRunResult> {
    return prepareRun(
      {
        target: {
          environment: {
            kind: 'resolved',
            ref: this.options.environment,
            names: this.options.environmentNames,
          },
          flow: { kind: 'resolved', flow: info.flow },
        },
        inputs: { kind: 'file', text, label: file },
        options: { ...this.options.options, connection },
        origin: 'batch',
      },
      this.deps,
      signal,
    );
  }

  private flowInfo(flowId: string, signal: AbortSignal): Promise<FlowInfo> {
    const key = idKey(flowId);
    let info = this.flows.get(key);
    if (info === undefined) {
      info = this.loadFlow(flowId, signal);
      this.flows.set(key, info);
      // A failed load (network, cancellation) is tried again by the next item.
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
    const schemas = await this.schemas.get(
      {
        orgUrl: environment.orgUrl,
        flowId: flow.id,
        includeDrafts: flow.isUnpublished,
        notBefore: this.checkedAt,
      },
      signal,
    );
    const inputs = schemas.inputs.schema;
    return {
      flow: { id: flow.id, name: flow.name, isUnpublished: flow.isUnpublished },
      outputs: schemas.outputs.schema,
      sensitive: new Set(inputs.variables.filter((v) => v.sensitive).map((v) => v.name)),
    };
  }
}

/** A candidate file's text, and why it cannot be run when its bytes are not an input file's text. */
interface ItemText {
  /** The text; when `refusal` is set, a lossy decoding that only tells whether the file names a flow. */
  readonly text: string;
  /** The core reader's refusal (invalid UTF-8, binary, empty…), at the broken character when known. */
  readonly refusal?: BatchProblem;
}

/**
 * Reads a candidate through the core decoder the CLI's `run --inputs` and the extension use: a file whose
 * bytes are not valid UTF-8 is refused with the byte's place, never sent with replacement characters.
 */
async function readItemText(file: string): Promise<ItemText> {
  const bytes = await readFile(file);
  try {
    return { text: decodeInputFile(bytes, 'This file') };
  } catch (e) {
    if (!InputFileReadError.is(e)) {
      throw e;
    }
    const at = e.reason === 'invalidUtf8' ? invalidUtf8Position(bytes) : undefined;
    return {
      text: new TextDecoder().decode(bytes),
      refusal: {
        ...fileProblem(file, e.message, e.fix),
        ...(at === undefined ? {} : { line: at.line + 1, column: at.character + 1 }),
      },
    };
  }
}

/** Without the output schema, every output is masked: better hidden than leaked. */
function maskAll(outputs: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.keys(outputs).map((k) => [k, '********']));
}
