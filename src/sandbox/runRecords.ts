/**
 * Flowsession records of the run simulation: a new queued run, a finished run from seed data, V1
 * action-log entries and the outputs a run produces.
 */
import { randomUUID } from 'node:crypto';
import { flowSessionStatus } from './dataverseEntities';
import type { ActionLogEntry, EnvironmentState, Run } from './environmentState';
import { inputValue } from './flowSchema';
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

/** Masked value of a sensitive variable in logs and stored inputs (PAD shows asterisks). */
export const sensitiveMask = '***';

function display(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** A new flowsession record in Waiting (3) for `spec`. */
export function newRun(env: EnvironmentState, spec: NewRun, id: string, now: string, seq: number): Run {
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
    seq,
    timeoutSeconds: spec.timeoutSeconds,
    runMode: spec.runMode,
    groupId: spec.connection.targetGroupId.toLowerCase(),
    timers: [],
    callbackUrl: spec.callbackUrl,
  };
  return run;
}

/** A finished run from seed data. Throws when it names an unknown flow or connection. */
export function restoredRun(env: EnvironmentState, seed: SeedRun, seq: number): Run {
  const flow = env.flows.get(seed.flowId.toLowerCase());
  const connection = env.connections.get(seed.connectionName.toLowerCase());
  if (flow === undefined || connection === undefined) {
    throw new Error(`Seed run ${seed.id} in ${env.seed.name} names an unknown flow or connection.`);
  }
  const run = newRun(
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
    seq,
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
    runduration: completed === undefined ? null : Math.round((completed - Date.parse(seed.createdon)) / 1000),
    runexecutionduration:
      completed === undefined || started === undefined ? null : Math.round((completed - started) / 1000),
    runwaitduration: started === undefined ? null : Math.round((started - Date.parse(seed.createdon)) / 1000),
  });
  if (seed.outputs !== undefined) {
    run.outputs = seed.outputs;
    r.outputs = randomUUID();
    r.outputs_name = 'outputs.json';
  }
  return run;
}

/** The V1 action-log record of action `i` (sensitive inputs masked). */
export function actionLogEntry(
  run: Run,
  action: SeedAction,
  i: number,
  start: number,
  end: number,
  failed: boolean,
): ActionLogEntry {
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
  return entry;
}

/** Outputs of a succeeded run, per the flow's behaviour (echo, fixed values, `$input` references). */
export function runOutputs(run: Run): Record<string, unknown> {
  const b = run.flow.behaviour;
  const outputs: Record<string, unknown> = {};
  const inputVar = (name: string): ReturnType<typeof inputValue> =>
    inputValue(
      run.flow.inputs.find((v) => v.name === name),
      run.inputs,
      name,
    );
  for (const out of run.flow.outputs) {
    const spec = b.outputs === undefined || b.outputs === 'echo' ? { $input: out.name } : b.outputs[out.name];
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
  return outputs;
}
