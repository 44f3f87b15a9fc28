/**
 * The run store: the one model of runs in the VS Code layer. A pure reducer (`reduceRuns`) over the runs
 * core's events plus the few local facts the core does not report (a start in flight, runs resumed after a
 * reload, watching stopped); `RunStore` holds its state and tells subscribers (status bar, transcript,
 * notifier, "Recent runs" rows, run documents, context keys) about every change. Nothing else in
 * src/vscode keeps a run's state. No `vscode` import: unit-tested under plain Node.
 */
import { isTerminal, type RunStatus } from '../../core/model/run';
import type { RateWaitReason } from '../../core/runs/rateLimiter';
import type { RunDisplay, RunEvent, RunSubject } from '../../core/runs/runEvents';
import type { EnvironmentRef, JournaledRun } from '../../core/runs/runJournal';
import { orgKey, runKey } from '../../core/runs/runKeys';
import { Emitter } from '../../core/util/events';

/** Where a run stands, as the status bar words it. */
export type RunPhase = 'starting' | 'rateLimited' | 'queued' | 'running' | 'paused' | 'finished';

/** Why this window stopped watching a run that had not ended. */
export type WatchStopped = 'signedOut';

/** A run this window knows about: being started, watched, or recently finished. */
export interface StoreRun {
  /** `runKey(orgUrl, runId)`, or `trigger:<id>` while the start request is pending. */
  readonly key: string;
  readonly environment: EnvironmentRef;
  readonly flowId: string;
  readonly flowName: string | undefined;
  readonly runId: string | undefined;
  readonly phase: RunPhase;
  readonly status: RunStatus | undefined;
  readonly machine: string | undefined;
  /** Elapsed time in the current phase = `elapsedBaseMs + (now − elapsedSince)`, local clock. */
  readonly elapsedBaseMs: number;
  readonly elapsedSince: number;
  readonly rateLimit: { readonly reason: RateWaitReason; readonly until: number } | undefined;
  readonly errorCode: string | undefined;
  readonly errorMessage: string | undefined;
  /** Run time of a finished run (service timestamps), when known. */
  readonly durationMs: number | undefined;
  readonly hasOutputs: boolean;
  /**
   * Local time this window stopped following the run: it finished (reported), or watching stopped before it
   * ended. `undefined` while it is being started or watched. Orders finished runs, times how long the status
   * bar keeps one, and tells whether a stop is newer than the last finish.
   */
  readonly stoppedAt: number | undefined;
  readonly endedWhileAway: boolean;
  /** What the UI shows (masked inputs, connection), for runs started through `RunService.start`. */
  readonly display: RunDisplay | undefined;
  /** Set when watching stopped before the run ended: its status is the last one seen, and no timer runs. */
  readonly watchStopped: WatchStopped | undefined;
}

/** What changes the store: a core event, or a local fact. */
export type RunStoreAction =
  | RunEvent
  | {
      readonly kind: 'starting';
      readonly triggerId: string;
      readonly environment: EnvironmentRef;
      readonly flowId: string;
      readonly flowName: string;
    }
  | { readonly kind: 'notStarted'; readonly triggerId: string }
  | { readonly kind: 'resumed'; readonly runs: readonly JournaledRun[] }
  /** The runs core stopped (every active run is forgotten; finished ones stay listed). */
  | { readonly kind: 'cleared' }
  /** The account that reached these orgs signed out: their active runs are no longer watched. */
  | { readonly kind: 'watchStopped'; readonly orgUrls: readonly string[]; readonly reason: WatchStopped }
  /** Watching these runs again (e.g. after signing in). */
  | { readonly kind: 'watchResumed'; readonly keys: readonly string[] };

/** The store's state: runs by key, in insertion order. */
export type RunStoreState = ReadonlyMap<string, StoreRun>;

/** Finished runs kept (the newest). */
export const maxFinishedRuns = 50;

/** The subject of a run that has a run id. */
export function storeSubject(run: StoreRun): RunSubject | undefined {
  return run.runId === undefined
    ? undefined
    : {
        environment: run.environment,
        flowId: run.flowId,
        runId: run.runId,
        ...(run.flowName === undefined ? {} : { flowName: run.flowName }),
      };
}

/** True while the run is being started or watched (not ended, watching not stopped). */
export function isActive(run: StoreRun): boolean {
  return run.phase !== 'finished' && run.watchStopped === undefined;
}

function phaseOf(status: RunStatus | undefined): RunPhase {
  if (status === 'running') {
    return 'running';
  }
  if (status === 'paused' || status === 'suspended') {
    return 'paused';
  }
  // Queued, or a status this client cannot place yet (not specified, unknown): still waiting to run.
  return status !== undefined && isTerminal(status) ? 'finished' : 'queued';
}

function fresh(
  key: string,
  environment: EnvironmentRef,
  flowId: string,
  flowName: string | undefined,
  runId: string | undefined,
  phase: RunPhase,
  now: number,
): StoreRun {
  return {
    key,
    environment,
    flowId,
    flowName,
    runId,
    phase,
    status: undefined,
    machine: undefined,
    elapsedBaseMs: 0,
    elapsedSince: now,
    rateLimit: undefined,
    errorCode: undefined,
    errorMessage: undefined,
    durationMs: undefined,
    hasOutputs: false,
    stoppedAt: undefined,
    endedWhileAway: false,
    display: undefined,
    watchStopped: undefined,
  };
}

const triggerKey = (triggerId: string): string => `trigger:${triggerId}`;

/** The key a run is stored under. */
export function storeKey(orgUrl: string, runId: string): string {
  return runKey(orgUrl, runId);
}

/**
 * The next state after `action` at local time `now`. Pure: returns `state` itself when nothing changed.
 */
export function reduceRuns(state: RunStoreState, action: RunStoreAction, now: number): RunStoreState {
  const next = new Map(state);
  const put = (run: StoreRun): RunStoreState => {
    next.delete(run.key);
    next.set(run.key, run);
    return next;
  };
  switch (action.kind) {
    case 'starting':
      return put({
        ...fresh(
          triggerKey(action.triggerId),
          action.environment,
          action.flowId,
          action.flowName,
          undefined,
          'starting',
          now,
        ),
      });
    case 'notStarted':
      return next.delete(triggerKey(action.triggerId)) ? next : state;
    case 'waitingForRateLimit': {
      const key = triggerKey(action.triggerId);
      const current =
        state.get(key) ??
        fresh(key, action.environment, action.flowId, action.flowName, undefined, 'starting', now);
      return put({
        ...current,
        phase: 'rateLimited',
        rateLimit: { reason: action.reason, until: action.until },
        display: action.display ?? current.display,
        ...(current.phase === 'rateLimited' ? {} : { elapsedBaseMs: 0, elapsedSince: now }),
      });
    }
    case 'triggered': {
      next.delete(triggerKey(action.triggerId));
      const key = storeKey(action.environment.orgUrl, action.runId);
      const current = state.get(key);
      if (current !== undefined) {
        return next;
      }
      next.set(key, {
        ...fresh(key, action.environment, action.flowId, action.flowName, action.runId, 'queued', now),
        display: action.display,
      });
      return next;
    }
    case 'resumed': {
      let changed = false;
      for (const r of action.runs) {
        const key = storeKey(r.environment.orgUrl, r.runId);
        // Already reported (e.g. its finish arrived first): the store is newer than the journal.
        if (state.get(key)?.watchStopped === undefined && state.has(key)) {
          continue;
        }
        const status = r.lastStatus as RunStatus | undefined;
        next.set(key, {
          ...fresh(key, r.environment, r.flowId, r.flowName, r.runId, phaseOf(status), now),
          status,
          display: r.display,
        });
        changed = true;
      }
      return changed ? next : state;
    }
    case 'stateChanged': {
      const key = storeKey(action.environment.orgUrl, action.runId);
      const current =
        state.get(key) ??
        fresh(key, action.environment, action.flowId, action.flowName, action.runId, 'queued', now);
      const phase = phaseOf(action.status);
      const base =
        phase === 'running' ? (action.runTimeMs ?? 0) : phase === 'queued' ? (action.queueWaitMs ?? 0) : 0;
      return put({
        ...current,
        phase: phase === 'finished' ? current.phase : phase,
        status: action.status,
        machine: action.machine === undefined ? current.machine : (action.machine.name ?? action.machine.id),
        elapsedBaseMs: base,
        elapsedSince: now,
        rateLimit: undefined,
        display: action.display ?? current.display,
        watchStopped: undefined,
        stoppedAt: current.phase === 'finished' ? current.stoppedAt : undefined,
      });
    }
    case 'finished': {
      const key = storeKey(action.environment.orgUrl, action.runId);
      const current =
        state.get(key) ??
        fresh(key, action.environment, action.flowId, action.flowName, action.runId, 'finished', now);
      put({
        ...current,
        flowName: current.flowName ?? action.flowName,
        phase: 'finished',
        status: action.status,
        machine: action.machine === undefined ? current.machine : (action.machine.name ?? action.machine.id),
        rateLimit: undefined,
        errorCode: action.errorCode,
        errorMessage: action.errorMessage,
        durationMs: action.runTimeMs,
        hasOutputs: action.outputs !== undefined && Object.keys(action.outputs).length > 0,
        stoppedAt: now,
        endedWhileAway: action.endedWhileAway,
        display: action.display ?? current.display,
        watchStopped: undefined,
      });
      const finished = [...next.values()]
        .filter((r) => r.phase === 'finished')
        .sort((a, b) => (b.stoppedAt ?? 0) - (a.stoppedAt ?? 0));
      for (const stale of finished.slice(maxFinishedRuns)) {
        next.delete(stale.key);
      }
      return next;
    }
    case 'error': {
      // A failed poll is retried (`retryAt`): nothing changes. Otherwise those runs are no longer watched.
      if (action.retryAt !== undefined) {
        return state;
      }
      let removed = false;
      for (const runId of action.runIds) {
        removed = next.delete(storeKey(action.environment.orgUrl, runId)) || removed;
      }
      return removed ? next : state;
    }
    case 'cleared': {
      let removed = false;
      for (const run of state.values()) {
        if (run.phase !== 'finished') {
          removed = next.delete(run.key) || removed;
        }
      }
      return removed ? next : state;
    }
    case 'watchStopped': {
      const orgs = new Set(action.orgUrls.map(orgKey));
      let changed = false;
      for (const run of state.values()) {
        if (
          run.phase !== 'finished' &&
          run.watchStopped === undefined &&
          orgs.has(orgKey(run.environment.orgUrl))
        ) {
          // A start in flight has no run to keep: it is dropped. A watched run keeps its last status, still,
          // and counts no time.
          if (run.runId === undefined) {
            next.delete(run.key);
          } else {
            next.set(run.key, {
              ...run,
              watchStopped: action.reason,
              stoppedAt: now,
              rateLimit: undefined,
              elapsedBaseMs: 0,
              elapsedSince: now,
            });
          }
          changed = true;
        }
      }
      return changed ? next : state;
    }
    case 'watchResumed': {
      let changed = false;
      for (const key of action.keys) {
        const run = state.get(key);
        if (run?.watchStopped !== undefined) {
          next.set(key, { ...run, watchStopped: undefined, stoppedAt: undefined, elapsedSince: now });
          changed = true;
        }
      }
      return changed ? next : state;
    }
    case 'actionLog':
    case 'licenseWarning':
      return state;
  }
}

/** One change of the store: what happened, and the run it touched (when it is one run). */
export interface RunStoreChange {
  readonly action: RunStoreAction;
  readonly run: StoreRun | undefined;
}

/** Holds the run store's state; every change goes through `dispatch`, and subscribers hear each one. */
export class RunStore {
  private state: RunStoreState = new Map();
  private readonly changed = new Emitter<RunStoreChange>();
  /** Every change, in order. */
  readonly onDidChange = this.changed.event;

  constructor(private readonly now: () => number = Date.now) {}

  /** Applies an action; subscribers hear about every action, in order (also those that changed no run). */
  dispatch(action: RunStoreAction): void {
    this.state = reduceRuns(this.state, action, this.now());
    this.changed.fire({ action, run: runOf(this.state, action) });
  }

  /** Runs being started or watched, oldest first. */
  active(): StoreRun[] {
    return [...this.state.values()].filter(isActive);
  }

  /** Runs whose watching stopped before they ended (e.g. their account signed out). */
  stopped(): StoreRun[] {
    return [...this.state.values()].filter((r) => r.phase !== 'finished' && r.watchStopped !== undefined);
  }

  /** Finished runs reported in this window, newest first. */
  finished(): StoreRun[] {
    return [...this.state.values()]
      .filter((r) => r.phase === 'finished')
      .sort((a, b) => (b.stoppedAt ?? 0) - (a.stoppedAt ?? 0));
  }

  all(): StoreRun[] {
    return [...this.state.values()];
  }

  get(key: string): StoreRun | undefined {
    return this.state.get(key);
  }

  find(orgUrl: string, runId: string): StoreRun | undefined {
    return this.state.get(storeKey(orgUrl, runId));
  }

  dispose(): void {
    this.changed.dispose();
  }
}

function runOf(state: RunStoreState, action: RunStoreAction): StoreRun | undefined {
  switch (action.kind) {
    case 'starting':
    case 'waitingForRateLimit':
      return state.get(triggerKey(action.triggerId));
    case 'triggered':
    case 'stateChanged':
    case 'finished':
    case 'actionLog':
    case 'licenseWarning':
      return state.get(storeKey(action.environment.orgUrl, action.runId));
    case 'notStarted':
    case 'resumed':
    case 'cleared':
    case 'error':
    case 'watchStopped':
    case 'watchResumed':
      return undefined;
  }
}
