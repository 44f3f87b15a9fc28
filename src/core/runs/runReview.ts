/**
 * Looking back at runs: a flow's recent runs (paged), one run's details (inputs masked, outputs, error
 * with its remedy, timings, and what a portal link needs), and the outputs of two runs side by side.
 */
import { CancellationError } from '../errors';
import type { Run } from '../model/run';
import { remedyFor, type Remedy } from './remedies';
import { runTimings, type RunTimings } from './runEvents';
import type { EnvironmentRef } from './runJournal';
import type { RunsBackend } from './runsBackend';

/** Default page size for history: a screenful. */
export const defaultHistoryPageSize = 25;

/** One row of run history. */
export interface RunHistoryEntry extends RunTimings {
  readonly run: Run;
}

/** A page of run history, newest first. */
export interface RunHistoryPage {
  readonly entries: readonly RunHistoryEntry[];
  /** Pass to `listRunHistory` for the next (older) page; absent on the last page. */
  readonly nextPage: string | undefined;
}

/** Recent runs of a flow, newest first, `pageSize` at a time. */
export async function listRunHistory(
  backend: RunsBackend,
  flowId: string,
  options: {
    readonly pageSize?: number;
    readonly nextPage?: string;
    /** Only runs created at or after this instant (epoch ms). */
    readonly createdOnOrAfter?: number;
  },
  signal: AbortSignal,
  now: number = Date.now(),
): Promise<RunHistoryPage> {
  const query = {
    flowId,
    ...(options.createdOnOrAfter === undefined ? {} : { createdOnOrAfter: options.createdOnOrAfter }),
    columns: 'full',
    order: 'newestFirst',
    pageSize: options.pageSize ?? defaultHistoryPageSize,
  } as const;
  const page =
    options.nextPage === undefined
      ? await backend.listRuns(query, signal)
      : await backend.listRunsPage(options.nextPage, query, signal);
  return { entries: page.runs.map((run) => ({ run, ...runTimings(run, now) })), nextPage: page.nextPage };
}

/** Replaces values that must not be shown (sensitive inputs per the flow's schema). */
export type ValueMasker = (values: Record<string, unknown>) => Record<string, unknown>;

/** Everything the run details view shows. */
export interface RunDetails extends RunTimings {
  readonly environment: EnvironmentRef;
  readonly run: Run;
  /** The run's stored inputs, masked; `undefined` when it has none. */
  readonly inputs: Record<string, unknown> | undefined;
  /** Outputs (succeeded runs), masked when a masker was given; `undefined` when there are none. */
  readonly outputs: Record<string, unknown> | undefined;
  /** Why the inputs could not be read, if they could not (the rest of the details still show). */
  readonly inputsError: unknown;
  /** Why the outputs could not be read, if they could not. */
  readonly outputsError: unknown;
  /** The failure, with the documented remedy when the code has one. */
  readonly error:
    | {
        readonly code: string | undefined;
        readonly message: string | undefined;
        readonly remedy: Remedy | undefined;
      }
    | undefined;
  /** What a portal link needs (the run page's URL pattern is unconfirmed, docs/service-contract.md#portal-deep-links: link the flow). */
  readonly portal: {
    readonly environmentId: string;
    readonly flowId: string | undefined;
    readonly runId: string;
  };
}

/** Options of `getRunDetails`. */
export interface RunDetailsOptions {
  /** Masks the inputs (e.g. `v => maskInputs(v, schema)`). Without it, inputs are returned as stored. */
  readonly maskInputs?: ValueMasker;
  readonly maskOutputs?: ValueMasker;
}

/** One run's details. Inputs and outputs that cannot be read are `undefined`; the run itself must be readable. */
export async function getRunDetails(
  backend: RunsBackend,
  environment: EnvironmentRef,
  runId: string,
  options: RunDetailsOptions,
  signal: AbortSignal,
  now: number = Date.now(),
): Promise<RunDetails> {
  const run = await backend.getRun(runId, signal);
  const [inputsRead, outputsRead] = await Promise.all([
    attempt(backend.getRunInputs(runId, signal)),
    run.status === 'succeeded'
      ? attempt(backend.getRunOutputs(runId, signal))
      : Promise.resolve({ value: undefined, error: undefined }),
  ]);
  const inputs = inputsRead.value;
  const outputs = outputsRead.value;
  const hasError = run.errorCode !== undefined || run.errorMessage !== undefined;
  return {
    environment,
    run,
    ...runTimings(run, now),
    inputs: inputs === undefined || options.maskInputs === undefined ? inputs : options.maskInputs(inputs),
    outputs:
      outputs === undefined || options.maskOutputs === undefined ? outputs : options.maskOutputs(outputs),
    inputsError: inputsRead.error,
    outputsError: outputsRead.error,
    error: hasError
      ? { code: run.errorCode, message: run.errorMessage, remedy: remedyFor(run.errorCode) }
      : undefined,
    portal: { environmentId: environment.id, flowId: run.flowId, runId: run.id },
  };
}

/** Settles a read: its value, or the error (cancellation still propagates). */
async function attempt<T>(p: Promise<T>): Promise<{ value: T | undefined; error: unknown }> {
  try {
    return { value: await p, error: undefined };
  } catch (e) {
    if (CancellationError.is(e)) {
      throw e;
    }
    return { value: undefined, error: e };
  }
}

/** How one output differs between two runs. */
export interface OutputDifference {
  readonly name: string;
  readonly change: 'added' | 'removed' | 'changed' | 'unchanged';
  readonly before: unknown;
  readonly after: unknown;
}

/** The outputs of two runs, for a diff view, and what changed per output name (sorted by name). */
export interface OutputsComparison {
  readonly before: { readonly runId: string; readonly outputs: Record<string, unknown> | undefined };
  readonly after: { readonly runId: string; readonly outputs: Record<string, unknown> | undefined };
  readonly differences: readonly OutputDifference[];
}

/** Per-name differences between two output objects. */
export function diffOutputs(
  before: Record<string, unknown> | undefined,
  after: Record<string, unknown> | undefined,
): OutputDifference[] {
  const a = before ?? {};
  const b = after ?? {};
  const names = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort((x, y) => x.localeCompare(y));
  return names.map((name) => {
    const inA = Object.prototype.hasOwnProperty.call(a, name);
    const inB = Object.prototype.hasOwnProperty.call(b, name);
    const change: OutputDifference['change'] = !inA
      ? 'added'
      : !inB
        ? 'removed'
        : JSON.stringify(canonical(a[name])) === JSON.stringify(canonical(b[name]))
          ? 'unchanged'
          : 'changed';
    return { name, change, before: a[name], after: b[name] };
  });
}

/** Fetches the outputs of two runs and compares them. */
export async function compareRunOutputs(
  backend: RunsBackend,
  beforeRunId: string,
  afterRunId: string,
  signal: AbortSignal,
  mask?: ValueMasker,
): Promise<OutputsComparison> {
  const [rawBefore, rawAfter] = await Promise.all([
    backend.getRunOutputs(beforeRunId, signal),
    backend.getRunOutputs(afterRunId, signal),
  ]);
  const before = rawBefore === undefined || mask === undefined ? rawBefore : mask(rawBefore);
  const after = rawAfter === undefined || mask === undefined ? rawAfter : mask(rawAfter);
  return {
    before: { runId: beforeRunId, outputs: before },
    after: { runId: afterRunId, outputs: after },
    differences: diffOutputs(before, after),
  };
}

/** JSON with object keys sorted, so key order never counts as a change. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) {
    return value.map(canonical);
  }
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}
