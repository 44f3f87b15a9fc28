import { isTerminal, type RunStatus } from '../../core/model/run';
import type { RateWaitReason } from '../../core/runs/rateLimiter';
import type {
  RunFinishedEvent,
  RunStateChangedEvent,
  RunSubject,
  RunTriggeredEvent,
  RunWaitingForRateLimitEvent,
  RunWatchErrorEvent,
} from '../../core/runs/runEvents';
import type { EnvironmentRef, JournaledRun } from '../../core/runs/runJournal';
import { Emitter } from '../../core/util/events';
import { runKey } from './runSubjects';

/** Where a run stands, as the status bar words it. */
export type RunPhase = 'starting' | 'rateLimited' | 'queued' | 'running' | 'paused' | 'finished';

/** A run this window knows about: being started, watched, or recently finished. */
export interface BoardRun {
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
  /** Local time the run finished (reported), for ordering and expiry. */
  readonly finishedAt: number | undefined;
  readonly endedWhileAway: boolean;
}

/** The subject of a board run that has a run id. */
export function boardSubject(run: BoardRun): RunSubject | undefined {
  return run.runId === undefined
    ? undefined
    : {
        environment: run.environment,
        flowId: run.flowId,
        runId: run.runId,
        ...(run.flowName === undefined ? {} : { flowName: run.flowName }),
      };
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

const maxFinished = 50;

/**
 * The runs of this window as the status bar, the Show Active Runs picker and the commands see them. Fed by
 * the runs core's events; times are on the local clock so elapsed time ticks smoothly whatever the service's
 * clock says.
 */
export class RunBoard {
  private readonly runs = new Map<string, BoardRun>();
  private readonly changed = new Emitter<void>();
  readonly onDidChange = this.changed.event;

  constructor(private readonly now: () => number = Date.now) {}

  /** Runs being started or watched, oldest first. */
  active(): BoardRun[] {
    return [...this.runs.values()].filter((r) => r.phase !== 'finished');
  }

  /** Finished runs reported in this window, newest first. */
  finished(): BoardRun[] {
    return [...this.runs.values()]
      .filter((r) => r.phase === 'finished')
      .sort((a, b) => (b.finishedAt ?? 0) - (a.finishedAt ?? 0));
  }

  get(key: string): BoardRun | undefined {
    return this.runs.get(key);
  }

  find(orgUrl: string, runId: string): BoardRun | undefined {
    return this.runs.get(runKey(orgUrl, runId));
  }

  starting(
    triggerId: string,
    environment: EnvironmentRef,
    flowId: string,
    flowName: string | undefined,
  ): void {
    this.put(this.fresh(`trigger:${triggerId}`, environment, flowId, flowName, undefined, 'starting'));
  }

  rateLimited(e: RunWaitingForRateLimitEvent): void {
    const key = `trigger:${e.triggerId}`;
    const current =
      this.runs.get(key) ?? this.fresh(key, e.environment, e.flowId, e.flowName, undefined, 'starting');
    this.put({
      ...current,
      phase: 'rateLimited',
      rateLimit: { reason: e.reason, until: e.until },
      ...(current.phase === 'rateLimited' ? {} : { elapsedBaseMs: 0, elapsedSince: this.now() }),
    });
  }

  /** The start request ended without a run (refused, failed, or abandoned). */
  notStarted(triggerId: string): void {
    if (this.runs.delete(`trigger:${triggerId}`)) {
      this.changed.fire();
    }
  }

  triggered(e: RunTriggeredEvent): void {
    this.runs.delete(`trigger:${e.triggerId}`);
    const key = runKey(e.environment.orgUrl, e.runId);
    if (!this.runs.has(key)) {
      this.put(this.fresh(key, e.environment, e.flowId, e.flowName, e.runId, 'queued'));
    } else {
      this.changed.fire();
    }
  }

  /** Runs resumed from the journal after a reload. */
  resumed(runs: readonly JournaledRun[]): void {
    for (const r of runs) {
      const key = runKey(r.environment.orgUrl, r.runId);
      if (this.runs.has(key)) {
        // Already reported (e.g. its finish arrived first): the board's state is newer than the journal's.
        continue;
      }
      const status = r.lastStatus as RunStatus | undefined;
      this.runs.set(key, {
        ...this.fresh(key, r.environment, r.flowId, r.flowName, r.runId, phaseOf(status)),
        status,
      });
    }
    this.changed.fire();
  }

  stateChanged(e: RunStateChangedEvent): void {
    const key = runKey(e.environment.orgUrl, e.runId);
    const current =
      this.runs.get(key) ?? this.fresh(key, e.environment, e.flowId, e.flowName, e.runId, 'queued');
    const phase = phaseOf(e.status);
    const base = phase === 'running' ? (e.runTimeMs ?? 0) : phase === 'queued' ? (e.queueWaitMs ?? 0) : 0;
    this.put({
      ...current,
      phase: phase === 'finished' ? current.phase : phase,
      status: e.status,
      machine: e.machine === undefined ? current.machine : (e.machine.name ?? e.machine.id),
      elapsedBaseMs: base,
      elapsedSince: this.now(),
      rateLimit: undefined,
    });
  }

  finishedRun(e: RunFinishedEvent): void {
    const key = runKey(e.environment.orgUrl, e.runId);
    const current =
      this.runs.get(key) ?? this.fresh(key, e.environment, e.flowId, e.flowName, e.runId, 'finished');
    this.runs.delete(key);
    this.put({
      ...current,
      flowName: current.flowName ?? e.flowName,
      phase: 'finished',
      status: e.status,
      machine: e.machine === undefined ? current.machine : (e.machine.name ?? e.machine.id),
      rateLimit: undefined,
      errorCode: e.errorCode,
      errorMessage: e.errorMessage,
      durationMs: e.runTimeMs,
      hasOutputs: e.outputs !== undefined && Object.keys(e.outputs).length > 0,
      finishedAt: this.now(),
      endedWhileAway: e.endedWhileAway,
    });
    const finished = this.finished();
    for (const stale of finished.slice(maxFinished)) {
      this.runs.delete(stale.key);
    }
  }

  /** Watching failed for good (`retryAt` undefined): those runs are no longer watched. */
  watchError(e: RunWatchErrorEvent): void {
    if (e.retryAt !== undefined) {
      return;
    }
    let removed = false;
    for (const runId of e.runIds) {
      removed = this.runs.delete(runKey(e.environment.orgUrl, runId)) || removed;
    }
    if (removed) {
      this.changed.fire();
    }
  }

  /** Forget every active run (the core service was stopped); finished ones stay listed. */
  clearActive(): void {
    for (const run of this.active()) {
      this.runs.delete(run.key);
    }
    this.changed.fire();
  }

  dispose(): void {
    this.changed.dispose();
  }

  private put(run: BoardRun): void {
    this.runs.set(run.key, run);
    this.changed.fire();
  }

  private fresh(
    key: string,
    environment: EnvironmentRef,
    flowId: string,
    flowName: string | undefined,
    runId: string | undefined,
    phase: RunPhase,
  ): BoardRun {
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
      elapsedSince: this.now(),
      rateLimit: undefined,
      errorCode: undefined,
      errorMessage: undefined,
      durationMs: undefined,
      hasOutputs: false,
      finishedAt: undefined,
      endedWhileAway: false,
    };
  }
}
