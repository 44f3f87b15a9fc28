/**
 * What each agent tool does, for every surface (MCP server, VS Code language-model tools): check the
 * arguments against the tool's input schema, call the core, and answer with a short text for the model
 * plus structured data. Errors become `AgentToolError`s that say what to do; the surfaces return them as
 * tool results, never as stack traces. Every result passes the secret masker last, and sensitive inputs
 * and outputs are masked by the flow's schema before that.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { CancellationError } from '../errors';
import {
  parseDesktopFlowSchema,
  type DesktopFlowSchema,
  type FlowVariable,
} from '../inputs/desktopFlowSchema';
import type { InputProblem } from '../inputs/inputProblem';
import { maskedValue, maskInputs } from '../inputs/maskInputs';
import { FlowSchemaCache } from '../inputs/flowSchemaCache';
import { validateInputFile } from '../inputs/validateInputFile';
import { parseInputDocument } from '../inputs/inputDocument';
import { parseSchemaUri } from '../inputs/schemaUri';
import type { DesktopFlow } from '../model/flow';
import { isTerminal, type Run, type RunStatus } from '../model/run';
import { remedyFor } from '../runs/remedies';
import { runTimings, type RunFinishedEvent, type RunMachine, type RunTimings } from '../runs/runEvents';
import type { RunConnection, RunOptions, RunOptionsProblem } from '../runs/runOptions';
import type { RunService } from '../runs/runService';
import { describeStatus } from '../runs/runTranscript';
import { prepareRun, type PreparedRun, type RunProblem } from '../runs/prepareRun';
import type { RunRequest } from '../runs/runRequest';
import type { TriggeredRun } from '../runs/runTrigger';
import { secretMasker } from '../util/secretMasker';
import type { AgentEnvironment, AgentHost, AgentTarget } from './agentHost';
import { agentTool, withToolNames, type AgentToolId } from './agentToolCatalog';

/** A tool's answer: a few lines for the model, and the same facts as data. */
export interface AgentToolResult {
  readonly text: string;
  readonly data: Record<string, unknown>;
}

/** A failure the caller can fix: returned as an error result, with the problems as data when there are some. */
export class AgentToolError extends Error {
  constructor(
    message: string,
    readonly data: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'AgentToolError';
  }

  static is(e: unknown): e is AgentToolError {
    return e instanceof AgentToolError;
  }
}

/** Tool arguments as the client sent them. */
export type AgentArgs = Readonly<Record<string, unknown>>;

// ---------------------------------------------------------------------------------------------------
// Arguments

let ajv: Ajv | undefined;
const validators = new Map<AgentToolId, ValidateFunction>();

function validatorOf(id: AgentToolId): ValidateFunction {
  let v = validators.get(id);
  if (v === undefined) {
    ajv ??= new Ajv({ allErrors: true, strict: false });
    v = ajv.compile(agentTool(id).inputSchema);
    validators.set(id, v);
  }
  return v;
}

function argumentProblem(e: ErrorObject): string {
  const name = e.instancePath.replace(/^\//, '').replace(/\//g, '.');
  switch (e.keyword) {
    case 'additionalProperties':
      return `\`${String((e.params as { additionalProperty?: unknown }).additionalProperty)}\` is not an argument of this tool.`;
    case 'required':
      return `\`${String((e.params as { missingProperty?: unknown }).missingProperty)}\` is required.`;
    case 'enum':
      return `\`${name}\` must be one of ${((e.params as { allowedValues?: unknown[] }).allowedValues ?? []).map((v) => JSON.stringify(v)).join(', ')}.`;
    default:
      return `\`${name}\` ${e.message ?? 'is not valid'}.`;
  }
}

/** Checks arguments against the tool's input schema; an `AgentToolError` listing what to fix otherwise. */
export function checkArguments(id: AgentToolId, args: unknown): AgentArgs {
  const value = args ?? {};
  const validate = validatorOf(id);
  if (!validate(value)) {
    const problems = [...new Set((validate.errors ?? []).map(argumentProblem))];
    throw new AgentToolError(
      `The arguments of {${id}} are not valid: ${problems.join(' ')} Nothing was done.`,
      { argumentProblems: problems },
    );
  }
  return value as AgentArgs;
}

function str(args: AgentArgs, name: string): string | undefined {
  const v = args[name];
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
}

function num(args: AgentArgs, name: string): number | undefined {
  const v = args[name];
  return typeof v === 'number' ? v : undefined;
}

// ---------------------------------------------------------------------------------------------------
// Shapes

function n<T>(value: T | undefined): T | null {
  return value === undefined ? null : value;
}

function environmentData(e: AgentEnvironment): Record<string, unknown> {
  return { id: n(e.id), name: n(e.displayName), orgUrl: e.orgUrl };
}

function environmentName(e: AgentEnvironment): string {
  return e.displayName ?? e.orgUrl;
}

function flowData(f: DesktopFlow): Record<string, unknown> {
  return {
    id: f.id,
    name: f.name,
    description: n(f.description),
    state: f.state,
    draft: f.isUnpublished,
    modifiedOn: n(f.modifiedOn),
  };
}

function variableData(v: FlowVariable, direction: 'inputs' | 'outputs'): Record<string, unknown> {
  return {
    name: v.name,
    type: v.kind,
    ...(direction === 'inputs'
      ? { required: v.requirement === 'required' ? true : v.requirement === 'optional' ? false : null }
      : {}),
    sensitive: v.sensitive,
    ...(direction === 'inputs' ? { default: v.hasDefault && !v.sensitive ? (v.default ?? null) : null } : {}),
    description: n(v.description),
  };
}

function problemData(p: InputProblem): Record<string, unknown> {
  return {
    severity: p.severity,
    code: p.code,
    message: p.message,
    fix: p.fix,
    path: p.pathText,
    input: n(p.input),
    line: p.line,
    column: p.column,
  };
}

function problemLine(label: string, p: InputProblem): string {
  return `${label}:${p.line}:${p.column}: ${p.severity}: ${p.message} ${p.fix}`.trimEnd();
}

function optionsData(o: RunOptions): Record<string, unknown> {
  return {
    connection:
      o.connection.kind === 'connection'
        ? { kind: 'connection', name: o.connection.name }
        : { kind: 'connectionReference', name: o.connection.logicalName },
    mode: o.runMode,
    priority: o.priority ?? 'normal',
    timeoutSeconds: n(o.timeoutSeconds),
  };
}

interface RunStateSource extends RunTimings {
  readonly runId: string;
  readonly flowId: string | undefined;
  readonly flowName: string | undefined;
  readonly status: RunStatus;
  readonly machine: RunMachine | undefined;
  readonly errorCode: string | undefined;
  readonly errorMessage: string | undefined;
}

function fromRun(run: Run, flowName: string | undefined, now: number): RunStateSource {
  return {
    ...runTimings(run, now),
    runId: run.id,
    flowId: run.flowId,
    flowName,
    status: run.status,
    machine: run.machineId === undefined ? undefined : { id: run.machineId, name: run.machineName },
    errorCode: run.errorCode,
    errorMessage: run.errorMessage,
  };
}

function runData(s: RunStateSource, environment: AgentEnvironment): Record<string, unknown> {
  const remedy = remedyFor(s.errorCode);
  return {
    runId: s.runId,
    flowId: n(s.flowId),
    flowName: n(s.flowName),
    environment: environmentData(environment),
    status: s.status,
    finished: isTerminal(s.status),
    succeeded: s.status === 'succeeded',
    createdOn: n(s.createdOn),
    startedOn: n(s.startedOn),
    completedOn: n(s.completedOn),
    queueWaitMs: n(s.queueWaitMs),
    runTimeMs: n(s.runTimeMs),
    machine: s.machine === undefined ? null : { id: s.machine.id, name: n(s.machine.name) },
    error:
      s.errorCode === undefined && s.errorMessage === undefined
        ? null
        : {
            code: n(s.errorCode),
            message: n(s.errorMessage),
            remedy: remedy === undefined ? null : { title: remedy.title, remedy: remedy.remedy },
          },
  };
}

function seconds(ms: number | undefined): string | undefined {
  return ms === undefined ? undefined : `${Math.round(ms / 100) / 10} s`;
}

function runLine(s: RunStateSource): string {
  const parts = [
    `Run ${s.runId}${s.flowName === undefined ? '' : ` of "${s.flowName}"`}: ${describeStatus(s.status)}`,
  ];
  if (s.machine !== undefined) {
    parts.push(`on ${s.machine.name ?? s.machine.id}`);
  }
  const queued = seconds(s.queueWaitMs);
  const ran = seconds(s.runTimeMs);
  if (queued !== undefined || ran !== undefined) {
    parts.push(`(${[queued && `queued ${queued}`, ran && `ran ${ran}`].filter(Boolean).join(', ')})`);
  }
  let text = `${parts.join(' ')}.`;
  if (s.errorCode !== undefined || s.errorMessage !== undefined) {
    text +=
      ` Error ${s.errorCode ?? ''}${s.errorMessage === undefined ? '' : `: ${s.errorMessage}`}`.trimEnd();
    const remedy = remedyFor(s.errorCode);
    if (remedy !== undefined) {
      text += ` — ${remedy.title}. ${remedy.remedy}`;
    }
  }
  return text;
}

/** Masks a value whose schema is unknown: every leaf. */
function maskAll(values: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.keys(values).map((k) => [k, maskedValue]));
}

function maskBy(
  values: Record<string, unknown> | undefined,
  schema: DesktopFlowSchema | undefined,
): Record<string, unknown> | null {
  if (values === undefined) {
    return null;
  }
  return schema === undefined ? maskAll(values) : maskInputs(values, schema);
}

/** The last line of defence: nothing registered as secret leaves in a result. */
function masked(result: AgentToolResult): AgentToolResult {
  return {
    text: secretMasker.mask(result.text),
    data: JSON.parse(secretMasker.mask(JSON.stringify(result.data))) as Record<string, unknown>,
  };
}

/** An `AgentToolError` with masked text and data. */
function maskedError(e: AgentToolError): AgentToolError {
  return new AgentToolError(
    secretMasker.mask(e.message),
    JSON.parse(secretMasker.mask(JSON.stringify(e.data))) as Record<string, unknown>,
  );
}

// ---------------------------------------------------------------------------------------------------
// Shared steps

interface FlowSchemas {
  readonly inputs: DesktopFlowSchema;
  readonly outputs: DesktopFlowSchema;
}

async function schemasOf(target: AgentTarget, flow: DesktopFlow, signal: AbortSignal): Promise<FlowSchemas> {
  const raw = await target.session.flows.getSchemas(target.environment.orgUrl, flow.id, signal, {
    includeDrafts: flow.isUnpublished,
  });
  return {
    inputs: parseDesktopFlowSchema(raw.inputs, 'inputs').schema,
    outputs: parseDesktopFlowSchema(raw.outputs, 'outputs').schema,
  };
}

function environmentNames(e: AgentEnvironment): string[] {
  return [e.displayName, e.id, e.uniqueName, e.orgUrl].filter(
    (v): v is string => v !== undefined && v !== '',
  );
}

/** The inputs a tool was given, as text to check: an input file, or the `inputs` object. */
interface GivenInputs {
  readonly label: string;
  readonly text: string;
  /** The flow the file's `$schema` names, if any. */
  readonly flowId: string | undefined;
  /** The environment the file's `$schema` names, if any. */
  readonly environment: string | undefined;
}

async function givenInputs(
  host: AgentHost,
  args: AgentArgs,
  signal: AbortSignal,
): Promise<GivenInputs | undefined> {
  const file = str(args, 'inputFile');
  const values = args.inputs;
  if (file !== undefined && values !== undefined) {
    throw new AgentToolError('Give `inputs` or `inputFile`, not both. Nothing was sent.');
  }
  if (file !== undefined) {
    const read = await host.readInputFile(file, signal);
    const text = read.text.replace(/^\uFEFF/, '');
    const value = parseInputDocument(text).value;
    const schemaText =
      typeof value === 'object' && value !== null && !Array.isArray(value)
        ? (value as Record<string, unknown>).$schema
        : undefined;
    const target = typeof schemaText === 'string' ? parseSchemaUri(schemaText.trim()) : undefined;
    return { label: read.label, text, flowId: target?.flowId, environment: target?.environment };
  }
  if (values !== undefined) {
    return {
      label: 'inputs',
      text: JSON.stringify(values, null, 2),
      flowId: undefined,
      environment: undefined,
    };
  }
  return undefined;
}

async function targetAndFlow(
  host: AgentHost,
  args: AgentArgs,
  given: GivenInputs | undefined,
  signal: AbortSignal,
): Promise<{ target: AgentTarget; flow: DesktopFlow }> {
  const flowKey = str(args, 'flow') ?? given?.flowId;
  if (flowKey === undefined) {
    throw new AgentToolError(
      given === undefined || given.label === 'inputs'
        ? 'Name the flow: give `flow` (its id or exact name; {listFlows} lists them).'
        : `Name the flow: ${given.label} has no "$schema": "desktopflows-schema:/<flowId>.json", so give \`flow\`.`,
    );
  }
  const target = await host.target(str(args, 'environment') ?? given?.environment, signal);
  const flow = await host.findFlow(target, flowKey, signal);
  return { target, flow };
}

function runProblemData(p: RunProblem): Record<string, unknown> {
  return {
    severity: p.severity,
    code: p.code,
    field: p.field,
    message: p.message,
    fix: p.fix,
    ...(p.input === undefined ? {} : { input: problemData(p.input), located: p.located === true }),
  };
}

function runProblemLine(p: RunProblem): string {
  if (p.input !== undefined) {
    const i = p.input;
    const where =
      p.located === true
        ? `${p.source ?? 'inputs'}:${i.line}:${i.column}`
        : `${p.source ?? 'inputs'} ${i.pathText}`;
    return `${where}: ${i.severity}: ${i.message} ${i.fix}`.trimEnd();
  }
  const message =
    p.optionsProblem === undefined ? `${p.message} ${p.fix}` : describeOptionsProblem(p.optionsProblem);
  return `${p.severity}: ${message}`.trimEnd();
}

function runProblemsError(flowName: string, problems: readonly RunProblem[]): AgentToolError {
  const errors = problems.filter((p) => p.severity === 'error');
  return new AgentToolError(
    `The run has ${errors.length} problem${errors.length === 1 ? '' : 's'} that must be fixed before "${flowName}" can run; nothing was sent.\n${problems.map(runProblemLine).join('\n')}`,
    { problems: problems.map(runProblemData), sent: false },
  );
}

function describeOptionsProblem(p: RunOptionsProblem): string {
  switch (p.field) {
    case 'connection':
      return 'Give `connection` (a desktop-flow connection name, shared-uiflow-…) or `connectionReference` (a logical name).';
    case 'runMode':
      return p.code === 'missing'
        ? '`mode` is required: attended (in the signed-in session of the connection user) or unattended.'
        : '`mode` must be attended or unattended.';
    case 'priority':
      return p.code === 'tooLarge'
        ? `\`priority\` is too long (at most ${p.limit ?? 100} characters).`
        : '`priority` must be normal, high or the name of a custom priority.';
    case 'timeoutSeconds':
      return '`timeoutSeconds` must be a whole number of seconds from 1 to 86400 (24 hours).';
    case 'options':
      return 'The run options are not valid.';
  }
}

/** The run options in the arguments, as `RunRequest.options` (checked by `prepareRun`). */
function runOptionsOf(args: AgentArgs): Record<string, unknown> {
  const name = str(args, 'connection');
  const reference = str(args, 'connectionReference');
  if (name !== undefined && reference !== undefined) {
    throw new AgentToolError('Give `connection` or `connectionReference`, not both. Nothing was sent.', {
      sent: false,
    });
  }
  const connection: RunConnection | null =
    name !== undefined
      ? { kind: 'connection', name }
      : reference !== undefined
        ? { kind: 'connectionReference', logicalName: reference }
        : null;
  const priority = str(args, 'priority');
  const timeoutSeconds = num(args, 'timeoutSeconds');
  return {
    connection,
    runMode: str(args, 'mode'),
    ...(priority === undefined ? {} : { priority }),
    ...(timeoutSeconds === undefined ? {} : { timeoutSeconds }),
  };
}

// ---------------------------------------------------------------------------------------------------
// The tools

const defaultTop = 25;

async function listEnvironments(
  host: AgentHost,
  args: AgentArgs,
  signal: AbortSignal,
): Promise<AgentToolResult> {
  const filter = str(args, 'filter')?.toLowerCase();
  const top = num(args, 'top') ?? defaultTop;
  const all = await host.listEnvironments(signal);
  const matching = all.filter(
    (e) => filter === undefined || e.environment.displayName.toLowerCase().includes(filter),
  );
  const shown = matching.slice(0, top);
  const environments = shown.map(({ environment: e, isToolDefault }) => ({
    id: e.id,
    name: e.displayName,
    orgUrl: e.orgUrl,
    uniqueName: n(e.uniqueName),
    type: n(e.sku),
    isDefault: isToolDefault,
  }));
  const lines = shown.map(
    ({ environment: e, isToolDefault }) =>
      `- ${e.displayName} (${e.orgUrl}, id ${e.id})${isToolDefault ? ' — default for these tools' : ''}`,
  );
  const text =
    shown.length === 0
      ? `No environments with Dataverse${filter === undefined ? '' : ` matching "${str(args, 'filter')}"`} are reachable with this account.`
      : `${matching.length} environment${matching.length === 1 ? '' : 's'}${matching.length > shown.length ? ` (first ${shown.length})` : ''}:\n${lines.join('\n')}`;
  return { text, data: { environments, total: matching.length } };
}

async function listFlows(host: AgentHost, args: AgentArgs, signal: AbortSignal): Promise<AgentToolResult> {
  const target = await host.target(str(args, 'environment'), signal);
  const filter = str(args, 'filter');
  const top = num(args, 'top') ?? defaultTop;
  const flows = await target.session.flows.listAll(
    target.environment.orgUrl,
    { includeDrafts: false, ...(filter === undefined ? {} : { nameContains: filter }) },
    signal,
  );
  const shown = flows.slice(0, top);
  const where = environmentName(target.environment);
  const text =
    shown.length === 0
      ? `No desktop flows${filter === undefined ? '' : ` matching "${filter}"`} in ${where}.`
      : `${flows.length} desktop flow${flows.length === 1 ? '' : 's'} in ${where}${flows.length > shown.length ? ` (first ${shown.length})` : ''}:\n${shown
          .map((f) => `- ${f.name} (id ${f.id}, ${f.isUnpublished ? 'draft' : f.state})`)
          .join('\n')}`;
  return {
    text,
    data: {
      environment: environmentData(target.environment),
      flows: shown.map(flowData),
      total: flows.length,
    },
  };
}

function variableLine(v: FlowVariable, direction: 'inputs' | 'outputs'): string {
  const facts: string[] = [v.kind];
  if (direction === 'inputs') {
    facts.push(
      v.requirement === 'required'
        ? 'required'
        : v.requirement === 'optional'
          ? 'optional'
          : 'required: unknown',
    );
    if (v.hasDefault && !v.sensitive) {
      facts.push(`default ${JSON.stringify(v.default)}`);
    }
  }
  if (v.sensitive) {
    facts.push('sensitive');
  }
  return `- ${v.name}: ${facts.join(', ')}${v.description === undefined ? '' : ` — ${v.description}`}`;
}

async function getFlowSchema(
  host: AgentHost,
  args: AgentArgs,
  signal: AbortSignal,
): Promise<AgentToolResult> {
  const { target, flow } = await targetAndFlow(host, args, undefined, signal);
  const schemas = await schemasOf(target, flow, signal);
  const section = (s: DesktopFlowSchema, d: 'inputs' | 'outputs'): string =>
    s.variables.length === 0
      ? `No ${d}.`
      : `${d === 'inputs' ? 'Inputs' : 'Outputs'}:\n${s.variables.map((v) => variableLine(v, d)).join('\n')}`;
  return {
    text: `"${flow.name}" (id ${flow.id}) in ${environmentName(target.environment)}.\n${section(schemas.inputs, 'inputs')}\n${section(schemas.outputs, 'outputs')}\nSensitive inputs are best given as "\${secret:NAME}" references.`,
    data: {
      flow: flowData(flow),
      environment: environmentData(target.environment),
      inputs: schemas.inputs.variables.map((v) => variableData(v, 'inputs')),
      outputs: schemas.outputs.variables.map((v) => variableData(v, 'outputs')),
    },
  };
}

async function validateInputs(
  host: AgentHost,
  args: AgentArgs,
  signal: AbortSignal,
): Promise<AgentToolResult> {
  const given = await givenInputs(host, args, signal);
  if (given === undefined) {
    throw new AgentToolError('Give the values to check: `inputs` (an object) or `inputFile` (a path).');
  }
  const { target, flow } = await targetAndFlow(host, args, given, signal);
  const schemas = await schemasOf(target, flow, signal);
  const result = validateInputFile(given.text, schemas.inputs, {
    limitBytes: target.limitBytes,
    flowId: flow.id,
    environment: environmentNames(target.environment),
  });
  const errors = result.problems.filter((p) => p.severity === 'error').length;
  const warnings = result.problems.length - errors;
  const summary = result.ok
    ? `The ${given.label === 'inputs' ? 'inputs are' : `input file ${given.label} is`} valid for "${flow.name}"${warnings > 0 ? ` (${warnings} warning${warnings === 1 ? '' : 's'})` : ''}.`
    : `${errors} problem${errors === 1 ? '' : 's'} must be fixed before "${flow.name}" can run.`;
  return {
    text: [summary, ...result.problems.map((p) => problemLine(given.label, p))].join('\n'),
    data: {
      valid: result.ok,
      flow: { id: flow.id, name: flow.name },
      environment: environmentData(target.environment),
      source: given.label,
      problems: result.problems.map(problemData),
    },
  };
}

/** Resolves with the run's `finished` event; rejects when `signal` aborts or watching fails for good. */
export function waitForRun(
  service: RunService,
  runId: string,
  signal: AbortSignal,
): Promise<RunFinishedEvent> {
  return new Promise<RunFinishedEvent>((resolve, reject) => {
    if (signal.aborted) {
      reject(new CancellationError());
      return;
    }
    const id = runId.toLowerCase();
    const subscription = service.onEvent((e) => {
      if (e.kind === 'finished' && e.runId.toLowerCase() === id) {
        done();
        resolve(e);
      } else if (
        e.kind === 'error' &&
        e.retryAt === undefined &&
        e.runIds.some((r) => r.toLowerCase() === id)
      ) {
        done();
        reject(e.error instanceof Error ? e.error : new Error(String(e.error)));
      }
    });
    const onAbort = (): void => {
      done();
      reject(new CancellationError());
    };
    const done = (): void => {
      subscription.dispose();
      signal.removeEventListener('abort', onAbort);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** A run ready to start: `prepareRun`'s `PreparedRun`, and where the tool found it. */
export interface AgentPreparedRun {
  readonly target: AgentTarget;
  readonly run: PreparedRun;
  readonly warnings: readonly RunProblem[];
}

/**
 * Builds the `RunRequest` of a run tool call and prepares it with `prepareRun` (inputs validated, options
 * and connection checked, secrets resolved); nothing is sent. `AgentToolError` with the problems otherwise.
 */
export async function prepareAgentRun(
  host: AgentHost,
  args: AgentArgs,
  signal: AbortSignal,
): Promise<AgentPreparedRun> {
  const options = runOptionsOf(args);
  const given = await givenInputs(host, args, signal);
  const { target, flow } = await targetAndFlow(host, args, given, signal);
  const values = args.inputs;
  const request: RunRequest = {
    target: {
      environment: {
        kind: 'resolved',
        ref: target.environment.ref,
        names: [
          ...environmentNames(target.environment),
          ...(given?.environment === undefined ? [] : [given.environment]),
        ],
        ...(target.environment.region === undefined ? {} : { region: target.environment.region }),
      },
      flow: { kind: 'resolved', flow },
    },
    inputs:
      given === undefined
        ? { kind: 'none' }
        : given.label === 'inputs' && typeof values === 'object' && values !== null
          ? { kind: 'values', values: values as Record<string, unknown>, label: 'inputs' }
          : { kind: 'file', text: given.text, label: given.label },
    options,
    origin: 'agent',
  };
  const session = target.session;
  const schemas =
    host.schemas ?? new FlowSchemaCache((org, id, s, o) => session.flows.getSchemas(org, id, s, o));
  let result;
  try {
    result = await prepareRun(request, { session, schemas, resolver: host.secretResolver }, signal);
  } finally {
    if (schemas !== host.schemas) {
      schemas.dispose();
    }
  }
  if (!result.ok) {
    throw runProblemsError(flow.name, result.problems);
  }
  return { target, run: result.run, warnings: result.warnings };
}

/** How a surface starts a prepared run: `RunService.start` of its one runs core. */
export type AgentRunStarter = (prepared: AgentPreparedRun, signal: AbortSignal) => Promise<TriggeredRun>;

function connectionText(o: RunOptions): string {
  return o.connection.kind === 'connection'
    ? `connection ${o.connection.name}`
    : `connection reference ${o.connection.logicalName}`;
}

async function runFlow(
  host: AgentHost,
  args: AgentArgs,
  signal: AbortSignal,
  start: AgentRunStarter,
): Promise<AgentToolResult> {
  const prepared = await prepareAgentRun(host, args, signal);
  const { target, run: ready } = prepared;
  const run = await start(prepared, signal);
  const started = {
    runId: run.runId,
    flow: { id: ready.flow.id, name: ready.flow.name },
    environment: environmentData(target.environment),
    options: { ...optionsData(run.options), connectionName: ready.connectionDisplayName },
    inputs: ready.maskedInputs === undefined ? null : (JSON.parse(ready.maskedInputs) as unknown),
    warnings: prepared.warnings.map(runProblemData),
    reconciled: run.reconciled,
  };
  const head = `Started "${ready.flow.name}" in ${environmentName(target.environment)} (${run.options.runMode}, ${connectionText(run.options)}): run ${run.runId}.`;
  if (args.wait !== true) {
    return {
      text: `${head} It is queued; call {getRun} with runId ${run.runId} to follow it.`,
      data: { ...started, status: 'waiting', finished: false },
    };
  }
  let finished: RunFinishedEvent;
  try {
    finished = await waitForRun(await host.runs(signal), run.runId, signal);
  } catch (e) {
    if (CancellationError.is(e)) {
      throw e;
    }
    throw new AgentToolError(
      `${head} Following it failed: ${host.describeError(e)} The run goes on; call {getRun} with runId ${run.runId}.`,
      { ...started, finished: false },
    );
  }
  const state: RunStateSource = { ...finished, flowName: ready.flow.name };
  const outputs = maskBy(finished.outputs, ready.outputsSchema);
  return {
    text: `${head}\n${runLine(state)}${outputs === null ? '' : `\nOutputs: ${JSON.stringify(outputs)}`}`,
    data: { ...started, ...runData(state, target.environment), outputs },
  };
}

async function outputSchemaOf(
  target: AgentTarget,
  flowId: string | undefined,
  signal: AbortSignal,
): Promise<{
  name: string | undefined;
  inputs: DesktopFlowSchema | undefined;
  outputs: DesktopFlowSchema | undefined;
}> {
  if (flowId === undefined) {
    return { name: undefined, inputs: undefined, outputs: undefined };
  }
  try {
    const flow = await target.session.flows.get(target.environment.orgUrl, flowId, signal, {
      includeDrafts: true,
    });
    const schemas = await schemasOf(target, flow, signal);
    return { name: flow.name, ...schemas };
  } catch (e) {
    if (CancellationError.is(e)) {
      throw e;
    }
    // Without the schema everything is masked.
    return { name: undefined, inputs: undefined, outputs: undefined };
  }
}

async function getRun(host: AgentHost, args: AgentArgs, signal: AbortSignal): Promise<AgentToolResult> {
  const target = await host.target(str(args, 'environment'), signal);
  const runId = runIdOf(args);
  const details = await (await host.runs(signal)).details(target.environment.ref, runId, {}, signal);
  const flow = await outputSchemaOf(target, details.run.flowId, signal);
  const state = fromRun(details.run, flow.name, Date.now());
  const outputs = maskBy(details.outputs, flow.outputs);
  const inputs = maskBy(details.inputs, flow.inputs);
  return {
    text: `${runLine(state)}${outputs === null ? '' : `\nOutputs: ${JSON.stringify(outputs)}`}`,
    data: { ...runData(state, target.environment), mode: details.run.runMode, inputs, outputs },
  };
}

const guid = /^\{?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\}?$/i;

function runIdOf(args: AgentArgs): string {
  const runId = str(args, 'runId') ?? '';
  if (!guid.test(runId)) {
    throw new AgentToolError(
      `"${runId}" is not a run id: run ids are GUIDs ({runFlow} and {listRuns} return them).`,
    );
  }
  return runId.replace(/^\{|\}$/g, '').toLowerCase();
}

async function cancelRun(host: AgentHost, args: AgentArgs, signal: AbortSignal): Promise<AgentToolResult> {
  const target = await host.target(str(args, 'environment'), signal);
  const runId = runIdOf(args);
  const run = await target.session.runs.getFlowSession(target.environment.orgUrl, runId, signal);
  const flow = await outputSchemaOf(target, run.flowId, signal);
  const result = await (
    await host.runs(signal)
  ).cancel(
    {
      environment: target.environment.ref,
      flowId: run.flowId ?? '',
      ...(flow.name === undefined ? {} : { flowName: flow.name }),
      runId: run.id,
    },
    signal,
  );
  return {
    text: `Cancellation of run ${run.id}${flow.name === undefined ? '' : ` of "${flow.name}"`} requested (it was ${describeStatus(result.statusBefore)}). Call {getRun} to see it end.`,
    data: {
      runId: run.id,
      flowId: n(run.flowId),
      flowName: n(flow.name),
      environment: environmentData(target.environment),
      statusBefore: result.statusBefore,
      cancelRequested: true,
    },
  };
}

async function listRuns(host: AgentHost, args: AgentArgs, signal: AbortSignal): Promise<AgentToolResult> {
  const { target, flow } = await targetAndFlow(host, args, undefined, signal);
  const top = num(args, 'top') ?? defaultTop;
  const page = await (
    await host.runs(signal)
  ).history(target.environment.ref, flow.id, { pageSize: top }, signal);
  const now = Date.now();
  const runs = page.entries.slice(0, top).map((e) => fromRun(e.run, flow.name, now));
  return {
    text:
      runs.length === 0
        ? `"${flow.name}" has no runs yet.`
        : `Recent runs of "${flow.name}", newest first:\n${runs.map((r) => `- ${runLine(r)}`).join('\n')}`,
    data: {
      flow: { id: flow.id, name: flow.name },
      environment: environmentData(target.environment),
      runs: runs.map((r) => runData(r, target.environment)),
    },
  };
}

/**
 * Runs one tool: checks the arguments, does the work, masks the result. Resolves with the result, or
 * rejects with an `AgentToolError` (what to do) or `CancellationError`; any other failure is turned into
 * an `AgentToolError` through `host.describeError`.
 */
export async function invokeAgentTool(
  id: AgentToolId,
  host: AgentHost,
  rawArgs: unknown,
  signal: AbortSignal,
  start: AgentRunStarter,
): Promise<AgentToolResult> {
  try {
    const args = checkArguments(id, rawArgs);
    let result: AgentToolResult;
    switch (id) {
      case 'listEnvironments':
        result = await listEnvironments(host, args, signal);
        break;
      case 'listFlows':
        result = await listFlows(host, args, signal);
        break;
      case 'getFlowSchema':
        result = await getFlowSchema(host, args, signal);
        break;
      case 'validateInputs':
        result = await validateInputs(host, args, signal);
        break;
      case 'runFlow':
        result = await runFlow(host, args, signal, start);
        break;
      case 'getRun':
        result = await getRun(host, args, signal);
        break;
      case 'cancelRun':
        result = await cancelRun(host, args, signal);
        break;
      case 'listRuns':
        result = await listRuns(host, args, signal);
        break;
    }
    return masked({ ...result, text: withToolNames(host.surface, result.text) });
  } catch (e) {
    if (CancellationError.is(e)) {
      throw e;
    }
    if (AgentToolError.is(e)) {
      throw maskedError(new AgentToolError(withToolNames(host.surface, e.message), e.data));
    }
    throw maskedError(new AgentToolError(host.describeError(e)));
  }
}

/** What a run tool is about to do, for a confirmation: flow, environment, connection, mode, masked inputs. */
export async function describePendingRun(
  host: AgentHost,
  args: AgentArgs,
  signal: AbortSignal,
): Promise<{ title: string; message: string }> {
  const flowKey = str(args, 'flow') ?? str(args, 'inputFile') ?? '(flow not given)';
  let flowName = flowKey;
  let where = str(args, 'environment') ?? 'the default environment';
  let inputsShown = 'none';
  let schema: DesktopFlowSchema | undefined;
  try {
    const given = await givenInputs(host, args, signal);
    const { target, flow } = await targetAndFlow(host, args, given, signal);
    flowName = flow.name;
    where = environmentName(target.environment);
    schema = (await schemasOf(target, flow, signal)).inputs;
    if (given !== undefined) {
      inputsShown = given.label === 'inputs' ? '' : `from ${given.label}`;
    }
  } catch (e) {
    if (CancellationError.is(e)) {
      throw e;
    }
    // The run itself reports the problem; the confirmation shows what was asked for.
  }
  if (args.inputs !== undefined && typeof args.inputs === 'object' && args.inputs !== null) {
    const values = args.inputs as Record<string, unknown>;
    inputsShown = JSON.stringify(schema === undefined ? maskAll(values) : maskInputs(values, schema));
  }
  const name = str(args, 'connection');
  const reference = str(args, 'connectionReference');
  const connection =
    name !== undefined
      ? `connection ${name}`
      : reference !== undefined
        ? `connection reference ${reference}`
        : 'no connection given';
  const lines = [
    `Flow: ${flowName}`,
    `Environment: ${where}`,
    `Connection: ${connection}`,
    `Mode: ${str(args, 'mode') ?? 'not given'}`,
    `Inputs: ${inputsShown}`,
  ];
  return {
    title: `Run "${flowName}"?`,
    message: secretMasker.mask(lines.join('\n')),
  };
}

/** What cancel_run is about to do, for a confirmation: the run, its flow and environment. */
export async function describePendingCancel(
  host: AgentHost,
  args: AgentArgs,
  signal: AbortSignal,
): Promise<{ title: string; message: string }> {
  const runId = str(args, 'runId') ?? '(run id not given)';
  let where = str(args, 'environment') ?? 'the default environment';
  let flowName: string | undefined;
  let status: string | undefined;
  try {
    const target = await host.target(str(args, 'environment'), signal);
    where = environmentName(target.environment);
    const run = await target.session.runs.getFlowSession(target.environment.orgUrl, runIdOf(args), signal);
    status = describeStatus(run.status);
    flowName = (await outputSchemaOf(target, run.flowId, signal)).name;
  } catch (e) {
    if (CancellationError.is(e)) {
      throw e;
    }
    // The cancellation itself reports the problem.
  }
  const lines = [
    `Run: ${runId}`,
    `Flow: ${flowName ?? 'unknown'}`,
    `Environment: ${where}`,
    ...(status === undefined ? [] : [`Status: ${status}`]),
  ];
  return {
    title: `Cancel the run${flowName === undefined ? '' : ` of "${flowName}"`}?`,
    message: secretMasker.mask(lines.join('\n')),
  };
}
