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
import type { ActionLogEntry, EnvironmentState, MachineState, Run } from './environmentState';
import { inputValue } from './flowSchema';
import type { SandboxSettings } from './sandboxRuntime';
import type { SeedAction, SeedConnection, SeedFlow, SeedRun } from './seedTypes';

/** What `RunEngine.create` needs; RunDesktopFlow has validated all of it. */
export interface NewRun {
  flow: SeedFlow;
  connection: SeedConnection;
  runMode: 'attended' | 'unattended';
  priority: string;
  timeoutSeconds: number;
  inputs: Record<string, unknown>;
  callbackUrl: string | undefined;
  /** systemuser id of the caller (the run's owner). */
  ownerId: string;
}

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

/** Masked value of a sensitive variable in logs and stored inputs (PAD shows asterisks). */
export const sensitiveMask = '***';

function display(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
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

  private buildRun(env: EnvironmentState, spec: NewRun, id: string, now: string): Run {
    const run: Run = {
      row: {
        flowsessionid: id,
        name: spec.flow.name,
        statecode: 0,
        statuscode: flowSessionStatus.Waiting,
        runmode: spec.runMode === 'attended' ? 1 : 2,
        runsessionmode: 1,
        triggertype: 3,
        subcategory: 0,
        startedon: null,
        completedon: null,
        runduration: null,
        runexecutionduration: null,
        runwaitduration: null,
        errorcode: null,
        errormessage: null,
        errordetails: null,
        errorinnererror: null,
        context: JSON.stringify({ runPriority: spec.priority, timeout: spec.timeoutSeconds }),
        // File columns hold a file id once they have content.
        inputs: randomUUID(),
        outputs: null,
        additionalcontext: null,
        inputs_name: 'inputs.json',
        outputs_name: null,
        additionalcontext_name: null,
        _regardingobjectid_value: spec.flow.id,
        regardingobjecttypecode: 'workflow',
        _machineid_value: null,
        _machinegroupid_value: spec.connection.targetGroupId,
        _parentdesktopflowrunid_value: null,
        parentworkflowid: null,
        parentcloudflowrunsequenceid: null,
        connectionid: spec.connection.name,
        callbackurl: spec.callbackUrl ?? null,
        correlationid: randomUUID(),
        clienttrackingid: null,
        gateway: null,
        credentials: null,
        machinepercentcpuusage: null,
        machinepercentramusage: null,
        machineramusage: null,
        processversion: null,
        rundetails: null,
        sessionusername: null,
        sessionusersid: null,
        createdon: now,
        modifiedon: now,
        versionnumber: env.nextVersion(),
        _ownerid_value: spec.ownerId,
        _createdby_value: spec.ownerId,
        _modifiedby_value: spec.ownerId,
        _owningbusinessunit_value: env.businessUnitId,
      },
      flow: spec.flow,
      connection: spec.connection,
      inputs: spec.inputs,
      outputs: undefined,
      actionLog: [],
      priority: spec.priority.toLowerCase() === 'high' ? 0 : 1,
      seq: ++this.seq,
      timeoutSeconds: spec.timeoutSeconds,
      runMode: spec.runMode,
      groupId: spec.connection.targetGroupId.toLowerCase(),
      timers: [],
      callbackUrl: spec.callbackUrl,
    };
    return run;
  }

  /** Creates a queued flowsession (statuscode 3) and tries to dispatch it. */
  create(env: EnvironmentState, spec: NewRun): Run {
    const id = randomUUID();
    const run = this.buildRun(env, spec, id, this.clock.iso());
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

  /** Adds a finished run from seed data to history. Throws when it names an unknown flow or connection. */
  restore(env: EnvironmentState, seed: SeedRun): Run {
    const flow = env.flows.get(seed.flowId.toLowerCase());
    const connection = env.connections.get(seed.connectionName.toLowerCase());
    if (flow === undefined || connection === undefined) {
      throw new Error(`Seed run ${seed.id} in ${env.seed.name} names an unknown flow or connection.`);
    }
    const run = this.buildRun(
      env,
      {
        flow,
        connection,
        runMode: seed.runMode,
        priority: 'normal',
        timeoutSeconds: 10_800,
        inputs: seed.inputs ?? {},
        callbackUrl: undefined,
        ownerId: env.defaultOwnerId,
      },
      seed.id,
      seed.createdon,
    );
    const r = run.row;
    const started = seed.startedon === undefined ? undefined : Date.parse(seed.startedon);
    const completed = seed.completedon === undefined ? undefined : Date.parse(seed.completedon);
    Object.assign(r, {
      statuscode: seed.statuscode,
      statecode: seed.statuscode === 0 || seed.statuscode >= 13 ? 1 : 0,
      startedon: seed.startedon ?? null,
      completedon: seed.completedon ?? null,
      modifiedon: seed.completedon ?? seed.createdon,
      _machineid_value: seed.machineId ?? null,
      errorcode: seed.errorcode ?? null,
      errormessage: seed.errormessage ?? null,
      runduration:
        completed === undefined ? null : Math.round((completed - Date.parse(seed.createdon)) / 1000),
      runexecutionduration:
        completed === undefined || started === undefined ? null : Math.round((completed - started) / 1000),
      runwaitduration:
        started === undefined ? null : Math.round((started - Date.parse(seed.createdon)) / 1000),
    });
    if (seed.outputs !== undefined) {
      run.outputs = seed.outputs;
      r.outputs = randomUUID();
      r.outputs_name = 'outputs.json';
    }
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
    const isoMs = (ms: number): string => new Date(Math.floor(ms)).toISOString();
    const [module = 'Flow', fn = action.systemActionName] = action.systemActionName.split('.');
    const variables = i === 0 ? run.flow.inputs : [];
    const entry: ActionLogEntry = {
      index: i + 1,
      name: action.name,
      systemActionName: action.systemActionName,
      systemModuleName: module,
      localizedModuleName: module,
      functionName: fn,
      startTime: isoMs(start),
      endTime: isoMs(end),
      status: failed ? 'Failed' : 'Succeeded',
      insideErrorHandling: false,
      inputs: Object.fromEntries(
        variables.map((v) => [
          v.name,
          {
            localizedName: v.name,
            value: v.sensitive === true ? sensitiveMask : display(inputValue(v, run.inputs, v.name)),
            variableName: v.name,
          },
        ]),
      ),
      outputs: {},
      ...(failed
        ? {
            error: {
              code: run.flow.behaviour.errorcode ?? 'ActionFailed',
              message: run.flow.behaviour.errormessage ?? '',
            },
          }
        : {}),
    };
    run.actionLog.push(entry);
    if (run.row.additionalcontext === null) {
      run.row.additionalcontext = randomUUID();
      run.row.additionalcontext_name = 'additionalcontext.json';
    }
    this.touch(env, run);
  }

  private succeed(env: EnvironmentState, run: Run): void {
    const b = run.flow.behaviour;
    const outputs: Record<string, unknown> = {};
    const inputVar = (name: string): ReturnType<typeof inputValue> =>
      inputValue(
        run.flow.inputs.find((v) => v.name === name),
        run.inputs,
        name,
      );
    for (const out of run.flow.outputs) {
      const spec =
        b.outputs === undefined || b.outputs === 'echo' ? { $input: out.name } : b.outputs[out.name];
      if (
        typeof spec === 'object' &&
        spec !== null &&
        !Array.isArray(spec) &&
        typeof (spec as { $input?: unknown }).$input === 'string'
      ) {
        const source = (spec as { $input: string }).$input;
        outputs[out.name] =
          run.flow.inputs.some((v) => v.name === source) || source in run.inputs
            ? inputVar(source)
            : inputValue(out, {}, out.name);
      } else {
        outputs[out.name] = spec === undefined ? inputValue(out, {}, out.name) : spec;
      }
    }
    run.outputs = outputs;
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
      void this.callback(run);
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

  /** POSTs the completion callback (reference 4.8): 3 more attempts 1 s apart on 408 or 5xx. */
  private async callback(run: Run): Promise<void> {
    const r = run.row;
    const body = JSON.stringify({
      statuscode: r.statuscode,
      statecode: r.statecode,
      startedon: r.startedon,
      completedon: r.completedon,
      flowsessionid: r.flowsessionid,
    });
    for (let attempt = 0; attempt < 4; attempt++) {
      try {
        const res = await fetch(run.callbackUrl as string, {
          method: 'POST',
          headers: {
            'user-agent': 'EnterpriseConnectors/1.0',
            'content-type': 'application/json; charset=utf-8',
            'x-ms-workflow-id': run.flow.id,
            'x-ms-run-id': String(r.flowsessionid),
          },
          body,
          signal: AbortSignal.timeout(10_000),
        });
        await res.arrayBuffer();
        if (res.status !== 408 && res.status < 500) {
          return;
        }
      } catch (e) {
        this.logger.warn(
          `[sandbox] callback for run ${String(r.flowsessionid)} failed: ${e instanceof Error ? e.message : String(e)}`,
        );
      }
      await this.clock.sleep(1000);
    }
  }

  /** Stops every pending timer. */
  dispose(): void {
    this.changes.dispose();
  }
}
