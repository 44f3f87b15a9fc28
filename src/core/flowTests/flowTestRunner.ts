/**
 * Runs flow tests on the one road every run takes: each test becomes a `RunRequest` (origin `test`),
 * `prepareRun` checks it (flow, inputs against the flow's input schema, options, connection), and only
 * `RunService.start` sends it (the connection's rate limit, exactly once). Several tests run at once; the
 * service's limiter spreads their starts within the documented rate. Each run is watched to its end and
 * judged by `judgeRun`: the status, the error code, the duration and every listed output.
 *
 * `prepareFlowTests` checks every test before anything is sent; `runFlowTests` then starts them. Aborting
 * the signal cancels the runs already started (CancelDesktopFlowRun) and ends the tests as cancelled.
 */
import path from 'node:path';
import { CancellationError } from '../errors';
import type { FlowSchemaCache } from '../inputs/flowSchemaCache';
import { InputFileReadError } from '../inputs/inputFileBytes';
import type { SecretResolver } from '../inputs/secretReference';
import type { Logger } from '../logger';
import type { RunStatus } from '../model/run';
import { prepareRun, type PrepareRunDeps, type PreparedRun, type RunProblem } from '../runs/prepareRun';
import type { RunFinishedEvent, RunEvent } from '../runs/runEvents';
import { idKey } from '../runs/runKeys';
import type { RunConnection } from '../runs/runOptions';
import type { RunEnvironmentTarget, RunInputsSource, RunRequest } from '../runs/runRequest';
import type { RunService } from '../runs/runService';
import type { FlowTest } from './flowTestFile';
import { matchOutputs, showValue, type OutputMismatch } from './outputMatch';

/** One way a finished run differs from what its test expects. */
export type FlowTestMismatch =
  | {
      readonly kind: 'status';
      readonly expected: RunStatus;
      readonly actual: RunStatus;
      readonly message: string;
    }
  | {
      readonly kind: 'errorCode';
      readonly expected: string;
      readonly actual: string | undefined;
      readonly message: string;
    }
  | {
      readonly kind: 'duration';
      readonly expected: number;
      readonly actual: number;
      readonly message: string;
    }
  | {
      readonly kind: 'output';
      readonly expected: unknown;
      readonly actual: unknown;
      readonly output: OutputMismatch;
      readonly message: string;
    };

/** How one test ended. */
export interface FlowTestResult {
  readonly test: FlowTest;
  /** `errored`: the run could not be started or followed (service problems); `cancelled`: interrupted. */
  readonly outcome: 'passed' | 'failed' | 'errored' | 'cancelled';
  /** From the start request to the end of the run, ms. */
  readonly durationMs: number;
  readonly runId?: string;
  readonly status?: RunStatus;
  readonly errorCode?: string;
  readonly errorMessage?: string;
  readonly mismatches: readonly FlowTestMismatch[];
  /** For `errored`: what went wrong, as a sentence with its remedy. */
  readonly error?: string;
  /** The error itself, for `errored` (exit codes). */
  readonly cause?: unknown;
}

/** Run settings given outside the test files (command-line flags, VS Code settings); they win over the file's. */
export interface FlowTestOverrides {
  readonly environment?: RunEnvironmentTarget;
  readonly connection?: RunConnection;
  readonly mode?: 'attended' | 'unattended';
}

export interface FlowTestDeps {
  readonly session: PrepareRunDeps['session'];
  readonly schemas: FlowSchemaCache;
  readonly service: Pick<RunService, 'start' | 'onEvent' | 'cancel'>;
  readonly resolver?: SecretResolver;
  readonly logger?: Logger;
  /**
   * Reads an input file a test names (absolute path) through the core decoder (`readInputFileText`,
   * `decodeInputFile`): bytes that are not UTF-8 text throw `InputFileReadError`, never decode lossily.
   */
  readonly readFile: (file: string) => Promise<string>;
  /** The environment of tests that name none and have no override. */
  readonly defaultEnvironment?: RunEnvironmentTarget;
  readonly overrides?: FlowTestOverrides;
  readonly now?: () => number;
}

/** A test ready to start, or why it cannot be. */
export type PreparedFlowTest =
  | { readonly ok: true; readonly test: FlowTest; readonly run: PreparedRun }
  | { readonly ok: false; readonly test: FlowTest; readonly problems: readonly RunProblem[] };

/** The `RunRequest` of a test. Throws nothing; a missing environment is a problem of `prepareRun`. */
export async function flowTestRequest(test: FlowTest, deps: FlowTestDeps): Promise<RunRequest | RunProblem> {
  const environment: RunEnvironmentTarget = deps.overrides?.environment ??
    (test.environment === undefined ? deps.defaultEnvironment : { kind: 'key', key: test.environment }) ?? {
      kind: 'key',
      key: '',
    };
  let inputs: RunInputsSource;
  if (test.inputs.kind === 'file') {
    const file = path.resolve(path.dirname(test.file), test.inputs.path);
    try {
      inputs = { kind: 'file', text: await deps.readFile(file), label: file };
    } catch (e) {
      // Not UTF-8 text (a Latin-1 "é"…): refused as `run --inputs` refuses it, never sent as U+FFFD.
      const refused = InputFileReadError.is(e) && e.reason !== 'notFound' ? e : undefined;
      return {
        code: 'inputs',
        severity: 'error',
        field: 'inputs',
        message:
          refused?.message ?? `The input file ${test.inputs.path} named by ${test.file} cannot be read.`,
        fix: refused?.fix ?? `Check that ${file} exists (the path is relative to the test file).`,
        source: test.file,
      };
    }
  } else if (test.inputs.kind === 'values') {
    // The test file's own text, so input problems carry its line and column.
    inputs = { kind: 'file', text: test.inputs.text, label: test.file };
  } else {
    inputs = { kind: 'none' };
  }
  const connection = deps.overrides?.connection ?? test.run.connection ?? null;
  return {
    target: { environment, flow: { kind: 'key', key: test.flow } },
    inputs,
    options: {
      connection,
      runMode: deps.overrides?.mode ?? test.run.mode,
      ...(test.run.priority === undefined ? {} : { priority: test.run.priority }),
      ...(test.run.timeoutSeconds === undefined ? {} : { timeoutSeconds: test.run.timeoutSeconds }),
    },
    origin: 'test',
  };
}

/** Prepares every test (nothing is sent). Service failures other than "not found" are thrown. */
export async function prepareFlowTests(
  tests: readonly FlowTest[],
  deps: FlowTestDeps,
  signal: AbortSignal,
): Promise<PreparedFlowTest[]> {
  const out: PreparedFlowTest[] = [];
  for (const test of tests) {
    const request = await flowTestRequest(test, deps);
    if (!('target' in request)) {
      out.push({ ok: false, test, problems: [request] });
      continue;
    }
    const result = await prepareRun(
      request,
      {
        session: deps.session,
        schemas: deps.schemas,
        ...(deps.resolver === undefined ? {} : { resolver: deps.resolver }),
        ...(deps.logger === undefined ? {} : { logger: deps.logger }),
      },
      signal,
    );
    out.push(
      result.ok ? { ok: true, test, run: result.run } : { ok: false, test, problems: result.problems },
    );
  }
  return out;
}

/** Compares a finished run with its test's expectations. */
export function judgeRun(
  test: FlowTest,
  finished: Pick<RunFinishedEvent, 'status' | 'errorCode' | 'outputs' | 'runTimeMs'>,
  wallMs: number,
): FlowTestMismatch[] {
  const out: FlowTestMismatch[] = [];
  const e = test.expect;
  if (finished.status !== e.status) {
    out.push({
      kind: 'status',
      expected: e.status,
      actual: finished.status,
      message: `The run ended ${finished.status}${finished.errorCode === undefined ? '' : ` (${finished.errorCode})`}; expected ${e.status}.`,
    });
  }
  if (e.errorCode !== undefined && (finished.errorCode ?? '').toLowerCase() !== e.errorCode.toLowerCase()) {
    out.push({
      kind: 'errorCode',
      expected: e.errorCode,
      actual: finished.errorCode,
      message: `The run's error code is ${finished.errorCode === undefined ? 'none' : finished.errorCode}; expected ${e.errorCode}.`,
    });
  }
  if (e.maxDurationSeconds !== undefined) {
    const seconds = (finished.runTimeMs ?? wallMs) / 1000;
    if (seconds > e.maxDurationSeconds) {
      out.push({
        kind: 'duration',
        expected: e.maxDurationSeconds,
        actual: seconds,
        message: `The run took ${seconds.toFixed(1)} s; expected at most ${e.maxDurationSeconds} s.`,
      });
    }
  }
  if (e.outputs !== undefined && finished.status === 'succeeded') {
    for (const m of matchOutputs(e.outputs, finished.outputs)) {
      out.push({ kind: 'output', expected: m.expected, actual: m.actual, output: m, message: m.message });
    }
  }
  return out;
}

function describeError(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Starts the prepared tests, at most `concurrency` at once, and watches each to its end; `onResult` is
 * called as each ends. Resolves with every result in the order given.
 */
export async function runFlowTests(
  tests: readonly { readonly test: FlowTest; readonly run: PreparedRun }[],
  deps: FlowTestDeps,
  signal: AbortSignal,
  options: { readonly concurrency?: number; readonly onResult?: (r: FlowTestResult) => void } = {},
): Promise<FlowTestResult[]> {
  const now = deps.now ?? Date.now;
  const finished = new Map<string, RunFinishedEvent>();
  const waiters = new Map<string, (e: RunFinishedEvent | Error) => void>();
  const lost = new Map<string, Error>();
  const sub = deps.service.onEvent((event: RunEvent) => {
    if (event.kind === 'finished') {
      const key = idKey(event.runId);
      const waiter = waiters.get(key);
      if (waiter === undefined) {
        finished.set(key, event);
      } else {
        waiter(event);
      }
    } else if (event.kind === 'error' && event.retryAt === undefined) {
      for (const runId of event.runIds) {
        const error = new Error(`The run can no longer be followed: ${describeError(event.error)}`);
        const waiter = waiters.get(idKey(runId));
        if (waiter === undefined) {
          lost.set(idKey(runId), error);
        } else {
          waiter(error);
        }
      }
    }
  });
  const results: FlowTestResult[] = new Array<FlowTestResult>(tests.length);
  let next = 0;

  const one = async (item: {
    readonly test: FlowTest;
    readonly run: PreparedRun;
  }): Promise<FlowTestResult> => {
    const { test } = item;
    const began = now();
    if (signal.aborted) {
      return { test, outcome: 'cancelled', durationMs: 0, mismatches: [] };
    }
    let runId: string;
    try {
      runId = (await deps.service.start(item.run, signal)).runId;
    } catch (e) {
      if (CancellationError.is(e) || signal.aborted) {
        return { test, outcome: 'cancelled', durationMs: now() - began, mismatches: [] };
      }
      return {
        test,
        outcome: 'errored',
        durationMs: now() - began,
        mismatches: [],
        error: describeError(e),
        cause: e,
      };
    }
    const key = idKey(runId);
    const end = await new Promise<RunFinishedEvent | Error | 'aborted'>((resolve) => {
      const early = finished.get(key) ?? lost.get(key);
      if (early !== undefined) {
        resolve(early);
        return;
      }
      if (signal.aborted) {
        resolve('aborted');
        return;
      }
      const onAbort = (): void => {
        waiters.delete(key);
        resolve('aborted');
      };
      waiters.set(key, (e) => {
        signal.removeEventListener('abort', onAbort);
        resolve(e);
      });
      signal.addEventListener('abort', onAbort, { once: true });
    });
    waiters.delete(key);
    const durationMs = now() - began;
    if (end === 'aborted') {
      const subject = {
        environment: item.run.environment,
        flowId: item.run.flow.id,
        flowName: item.run.flow.name,
        runId,
      };
      let note = 'The run was cancelled.';
      try {
        await deps.service.cancel(subject, AbortSignal.timeout(30_000));
      } catch (e) {
        note = `The run could not be cancelled: ${describeError(e)}`;
      }
      return { test, outcome: 'cancelled', durationMs, runId, mismatches: [], error: note };
    }
    if (end instanceof Error) {
      return { test, outcome: 'errored', durationMs, runId, mismatches: [], error: end.message, cause: end };
    }
    const mismatches = judgeRun(test, end, durationMs);
    return {
      test,
      outcome: mismatches.length === 0 ? 'passed' : 'failed',
      durationMs,
      runId,
      status: end.status,
      ...(end.errorCode === undefined ? {} : { errorCode: end.errorCode }),
      ...(end.errorMessage === undefined ? {} : { errorMessage: end.errorMessage }),
      mismatches,
    };
  };

  const worker = async (): Promise<void> => {
    while (next < tests.length) {
      const index = next++;
      const item = tests[index];
      if (item === undefined) {
        continue;
      }
      const result = await one(item);
      results[index] = result;
      options.onResult?.(result);
    }
  };
  try {
    await Promise.all(
      Array.from({ length: Math.max(1, Math.min(options.concurrency ?? 8, tests.length)) }, () => worker()),
    );
  } finally {
    sub.dispose();
  }
  return results;
}

/** The first thing to say about a result that did not pass (the CLI's one line, a TestMessage title). */
export function firstProblem(r: FlowTestResult): string | undefined {
  if (r.outcome === 'passed') {
    return undefined;
  }
  return r.mismatches[0]?.message ?? r.error ?? (r.outcome === 'cancelled' ? 'Cancelled.' : undefined);
}

export { showValue };
