/**
 * The run simulation: flowsession state machine (reference 4.3 / blueprint), per-machine-group queues
 * (high priority first, then FIFO; one run per machine), attended/unattended session rules, queue and
 * run timeouts, action logs written as a run proceeds, outputs, and the completion callback (4.8).
 * All times are on the sandbox clock.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from '../core/logger';
import { Emitter } from '../core/util/events';
import type { SandboxClock } from './clock';
import { flowSessionStatus, isTerminalStatus } from './dataverseEntities';
import type { EnvironmentState, MachineState, Run } from './environmentState';
import { postRunCallback } from './runCallback';
import { actionLogEntry, newRun, restoredRun, runOutputs } from './runRecords';
import type { NewRun } from './runRecords';
import type { SandboxSettings } from './sandboxRuntime';
import type { SeedAction, SeedRun } from './seedTypes';

/** Fired on every change of a run's status. */
export interface RunChange {
  environment: string;
  flowsessionId: string;
  statuscode: number;
}

const defaultActions: SeedAction[] = [{ name: 'Run subflow Main', systemActionName: 'Flow.RunSubflow' }];

function sameAccount(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

export class RunEngine {
  private seq = 0;
  /** Pending dispatch timer per environment (queue changes within the delay share one dispatch). */
  private readonly dispatchTimers = new Map<EnvironmentState, number>();
  private readonly changes = new Emitter<RunChange>();
  /** Subscribe to run status changes (tests, demos). */
  readonly onDidChangeRun = this.changes.event;

  constructor(
    private readonly clock: SandboxClock,
    private readonly settings: SandboxSettings,
    private readonly logger: Logger,
  ) {}

  /** Creates a queued flowsession (statuscode 3) and tries to dispatch it. */
  create(env: EnvironmentState, spec: NewRun): Run {
    const id = randomUUID();
    const run = newRun(env, spec, id, this.clock.iso(), ++this.seq);
    env.runs.set(id, run);
    run.timers.push(
      this.clock.setTimeout(() => {
        if (run.row.statuscode === flowSessionStatus.Waiting) {
          this.finish(
            env,
            run,
            flowSessionStatus.Failed,
            'NoCandidateMachine',
            'No machine able to run the desktop flow has been found.',
          );
        }
      }, this.settings.queueTimeoutSeconds * 1000),
    );
    this.logger.info(
      `[sandbox] run ${id} queued: ${spec.flow.name} via ${spec.connection.name} (${spec.runMode}, ${spec.priority})`,
    );
    this.emit(env, run);
    this.schedule(env);
    return run;
  }

  /** Adds a finished run from seed data to history. */
  restore(env: EnvironmentState, seed: SeedRun): Run {
    const run = restoredRun(env, seed, ++this.seq);
    env.runs.set(seed.id, run);
    return run;
  }

  /** Cancels a queued or running run. Returns false when it had already finished. */
  cancel(env: EnvironmentState, run: Run): boolean {
    if (isTerminalStatus(run.row.statuscode as number)) {
      return false;
    }
    this.finish(env, run, flowSessionStatus.Cancelled, null, null);
    return true;
  }

  /** Schedules a dispatch of the environment's queues after `dispatchDelaySeconds` (coalesced). */
  schedule(env: EnvironmentState): void {
    if (this.dispatchTimers.has(env)) {
      return;
    }
    const id = this.clock.setTimeout(() => {
      this.dispatchTimers.delete(env);
      this.pump(env);
    }, this.settings.dispatchDelaySeconds * 1000);
    this.dispatchTimers.set(env, id);
  }

  /** Re-examines every queue of the environment now (after a run ends or a machine changes). */
  pump(env: EnvironmentState): void {
    const queued = [...env.runs.values()]
      .filter((r) => r.row.statuscode === flowSessionStatus.Waiting)
      .sort((a, b) => a.priority - b.priority || a.seq - b.seq);
    for (const run of queued) {
      this.tryDispatch(env, run);
    }
  }

  private tryDispatch(env: EnvironmentState, run: Run): void {
    const members = [...env.machines.values()].filter((m) => m.seed.groupId.toLowerCase() === run.groupId);
    if (members.length === 0) {
      this.finish(
        env,
        run,
        flowSessionStatus.Failed,
        'GroupIsEmpty',
        'The machine group has no machines to run the desktop flow.',
      );
      return;
    }
    // Offline machines and machines in maintenance keep runs queued (reference 6.4, 8.2).
    const usable = members.filter((m) => m.online && !m.maintenance);
    if (usable.length === 0) {
      return;
    }
    const user = run.connection.username;
    let candidates: MachineState[];
    if (run.runMode === 'attended') {
      candidates = usable.filter((m) =>
        m.sessions.some((s) => sameAccount(s.username, user) && s.unlocked !== false),
      );
      if (candidates.length === 0) {
        this.finish(
          env,
          run,
          flowSessionStatus.Failed,
          'NoUnlockedActiveSessionForAttended',
          `There is no active and unlocked session for the user ${user} on the target machine(s), which attended runs require.`,
        );
        return;
      }
    } else {
      const reuse = env.groups.get(run.groupId)?.trytoreusewindowssession === true;
      candidates = usable.filter((m) => reuse || !m.sessions.some((s) => sameAccount(s.username, user)));
      if (candidates.length === 0) {
        this.finish(
          env,
          run,
          flowSessionStatus.Failed,
          'SessionExistsForTheUserWhenUnattended',
          `The user ${user} already has a session on the target machine(s); unattended runs need none.`,
        );
        return;
      }
    }
    const machine = candidates.find((m) => m.running.size === 0);
    if (machine === undefined) {
      return;
    }
    this.start(env, run, machine);
  }

  private start(env: EnvironmentState, run: Run, machine: MachineState): void {
    const now = this.clock.now();
    const row = run.row;
    row.statuscode = flowSessionStatus.Running;
    row.startedon = this.clock.iso();
    row._machineid_value = machine.seed.id;
    row.sessionusername = run.connection.username;
    row.runwaitduration = Math.round((now - Date.parse(row.createdon as string)) / 1000);
    this.touch(env, run);
    machine.running.add(String(row.flowsessionid));
    env.touchGroup(run.groupId);
    this.logger.info(`[sandbox] run ${String(row.flowsessionid)} running on ${machine.seed.name}`);
    this.emit(env, run);

    if (run.connection.status === 'Error') {
      // A broken connection fails when the machine tries to open the session.
      this.finish(
        env,
        run,
        flowSessionStatus.Failed,
        run.connection.errorCode ?? 'WindowsIdentityIncorrect',
        'The credentials of the connection are not valid on the machine.',
      );
      return;
    }
    const b = run.flow.behaviour;
    const actions = b.actions && b.actions.length > 0 ? b.actions : defaultActions;
    const weights = actions.map((a) => a.weight ?? 1);
    const totalWeight = weights.reduce((x, y) => x + y, 0);
    const durationMs = b.durationSeconds * 1000;
    const failIndex =
      b.outcome === 'fail' ? Math.min(b.failAfterActions ?? actions.length - 1, actions.length - 1) : -1;
    let elapsed = 0;
    actions.forEach((action, i) => {
      if (failIndex >= 0 && i > failIndex) {
        return;
      }
      const begin = elapsed;
      elapsed += (durationMs * (weights[i] as number)) / totalWeight;
      const end = elapsed;
      run.timers.push(
        this.clock.setTimeout(() => {
          const failed = i === failIndex;
          this.logAction(env, run, action, i, now + begin, now + end, failed);
          if (failed) {
            this.finish(
              env,
              run,
              flowSessionStatus.Failed,
              b.errorcode ?? 'ActionFailed',
              b.errormessage ?? `Action '${action.name}' failed.`,
            );
          } else if (i === actions.length - 1) {
            this.succeed(env, run);
          }
        }, end),
      );
    });
    run.timers.push(
      this.clock.setTimeout(() => {
        this.finish(
          env,
          run,
          flowSessionStatus.TimedOut,
          'DesktopFlowsActionTimeout',
          `The desktop flow run exceeded its timeout of ${run.timeoutSeconds} seconds.`,
        );
      }, run.timeoutSeconds * 1000),
    );
  }

  private logAction(
    env: EnvironmentState,
    run: Run,
    action: SeedAction,
    i: number,
    start: number,
    end: number,
    failed: boolean,
  ): void {
    run.actionLog.push(actionLogEntry(run, action, i, start, end, failed));
    if (run.row.additionalcontext === null) {
      run.row.additionalcontext = randomUUID();
      run.row.additionalcontext_name = 'additionalcontext.json';
    }
    this.touch(env, run);
  }

  private succeed(env: EnvironmentState, run: Run): void {
    run.outputs = runOutputs(run);
    run.row.outputs = randomUUID();
    run.row.outputs_name = 'outputs.json';
    this.finish(env, run, flowSessionStatus.Succeeded, null, null);
  }

  /** Moves a run to a terminal status, frees its machine and dispatches what waits. */
  private finish(
    env: EnvironmentState,
    run: Run,
    status: number,
    errorcode: string | null,
    errormessage: string | null,
  ): void {
    if (isTerminalStatus(run.row.statuscode as number)) {
      return;
    }
    for (const t of run.timers) {
      this.clock.clearTimeout(t);
    }
    run.timers = [];
    const row = run.row;
    const now = this.clock.now();
    row.statuscode = status;
    row.completedon = this.clock.iso();
    row.errorcode = errorcode;
    row.errormessage = errormessage;
    row.errordetails = errorcode === null ? null : JSON.stringify({ code: errorcode, message: errormessage });
    row.runduration = Math.round((now - Date.parse(row.createdon as string)) / 1000);
    if (typeof row.startedon === 'string') {
      row.runexecutionduration = Math.round((now - Date.parse(row.startedon)) / 1000);
    } else {
      row.runwaitduration = row.runduration;
    }
    this.touch(env, run);
    const id = String(row.flowsessionid);
    for (const m of env.machines.values()) {
      m.running.delete(id);
    }
    this.logger.info(`[sandbox] run ${id} finished: ${status}${errorcode === null ? '' : ` ${errorcode}`}`);
    this.emit(env, run);
    if (run.callbackUrl !== undefined) {
      void postRunCallback(run, this.clock, this.logger);
    }
    this.schedule(env);
  }

  private touch(env: EnvironmentState, run: Run): void {
    run.row.modifiedon = this.clock.iso();
    run.row.versionnumber = env.nextVersion();
  }

  private emit(env: EnvironmentState, run: Run): void {
    this.changes.fire({
      environment: env.seed.name,
      flowsessionId: String(run.row.flowsessionid),
      statuscode: run.row.statuscode as number,
    });
  }

  /** Stops every pending timer. */
  dispose(): void {
    this.changes.dispose();
  }
}
