/**
 * The one preparation of a run, for every front end (CLI, palette, tree, input file, Run Again, batch,
 * tests, agent tools): `prepareRun(request, deps, signal)` resolves the target once, validates the inputs
 * with `prepareRunInputs` whatever their source, checks the run options and that the connection (or
 * connection reference) exists, and returns a `PreparedRun` (the exact inputs to send and their masked
 * form) or typed problems. Nothing is ever sent from here: only `RunService.start` sends a prepared run.
 *
 * Service failures other than "not found" (network, throttling, sign-in) are thrown as they are; the
 * caller's `AbortSignal` aborting throws `CancellationError`.
 */
import { inputLimitBytesFor } from '../clouds';
import { ApiError, AuthError, CancellationError } from '../errors';
import { isLoopbackHost, trimTrailingSlashes } from '../http/urlSafety';
import type { FlowSchemaCache } from '../inputs/flowSchemaCache';
import { findVariable, kindNoun, type DesktopFlowSchema } from '../inputs/desktopFlowSchema';
import type { InputProblem } from '../inputs/inputProblem';
import { closestName } from '../inputs/nameSimilarity';
import { prepareRunInputs } from '../inputs/prepareRunInputs';
import type { SecretResolver } from '../inputs/secretReference';
import { describeValue } from '../inputs/variableValues';
import { silentLogger, type Logger } from '../logger';
import type { Environment } from '../model/environment';
import type { DesktopFlow } from '../model/flow';
import type { ServiceSession } from '../serviceSession';
import { throwIfAborted } from '../util/abort';
import type { SecretMasker } from '../util/secretMasker';
import type { EnvironmentRef } from './runJournal';
import { idKey, orgKey } from './runKeys';
import {
  validateRunOptions,
  type RunConnection,
  type RunOptions,
  type RunOptionsProblem,
} from './runOptions';
import type { RunOrigin, RunRequest } from './runRequest';

/** Stable problem codes; front ends branch on these, never on messages. */
export type RunProblemCode =
  | 'environmentNotFound'
  | 'environmentAmbiguous'
  | 'flowNotFound'
  | 'flowAmbiguous'
  | 'invalidOptions'
  | 'connectionNotFound'
  | 'connectionReferenceNotFound'
  | 'connectionReferenceUnbound'
  | 'connectionNotChecked'
  | 'connectionNotConnected'
  | 'requiredInputs'
  | 'inputs'
  | 'runInputsChanged'
  | 'runNotFound'
  | 'runOfAnotherFlow';

/** One reason a run cannot be sent (`error`), or something worth saying that does not block it (`warning`). */
export interface RunProblem {
  readonly code: RunProblemCode;
  readonly severity: 'error' | 'warning';
  /** What is wrong, as a full sentence naming things by display names. */
  readonly message: string;
  /** How to fix it. */
  readonly fix: string;
  /** Which part of the request it is about. */
  readonly field: 'environment' | 'flow' | 'options' | 'connection' | 'inputs';
  /** For `invalidOptions`: which option, so a front end can word it for its own controls (flags, pickers). */
  readonly optionsProblem?: RunOptionsProblem;
  /** For input problems: the problem with its JSON path and, for file text, line and column. */
  readonly input?: InputProblem;
  /** True when `input`'s line and column point into text the maker wrote (an input file). */
  readonly located?: boolean;
  /** Where the inputs came from: the file label, "inline inputs", "the inputs of the run from 2 Dec". */
  readonly source?: string;
}

/** A run ready to send. Holds resolved secrets in `inputs`: never log it; show `maskedInputs`. */
export interface PreparedRun {
  readonly origin: RunOrigin;
  readonly environment: EnvironmentRef;
  readonly flow: { readonly id: string; readonly name: string; readonly isUnpublished: boolean };
  /** Validated; a connection reference carries the connection it is bound to. */
  readonly options: RunOptions;
  /** The connection as people know it (its display name, or the reference's display name). */
  readonly connectionDisplayName: string;
  /** The exact `inputs` parameter of RunDesktopFlow; `undefined` sends none (the flow's defaults apply). */
  readonly inputs: string | undefined;
  /** `inputs` with every sensitive or resolved value replaced by `********`. */
  readonly maskedInputs: string | undefined;
  /** Inputs whose values are masked in `maskedInputs`. */
  readonly sensitiveInputNames: readonly string[];
  /** UTF-8 size of `inputs` (0 when none). */
  readonly bytes: number;
  /** The limit it was checked against (the environment's cloud). */
  readonly limitBytes: number;
  /** The flow's output schema, to mask sensitive outputs when the run ends. */
  readonly outputsSchema: DesktopFlowSchema;
}

/** `prepareRun`'s answer. `warnings` never block. */
export type PrepareRunResult =
  | { readonly ok: true; readonly run: PreparedRun; readonly warnings: readonly RunProblem[] }
  | {
      readonly ok: false;
      readonly problems: readonly RunProblem[];
      /** What was resolved before the problems stopped it (the readiness check goes on from there). */
      readonly resolved?: {
        readonly environment: EnvironmentRef;
        readonly flow: PreparedRun['flow'];
        readonly options: RunOptions | undefined;
        readonly connectionDisplayName: string | undefined;
      };
    };

/** What `prepareRun` needs. */
export interface PrepareRunDeps {
  /** The account's APIs in its cloud. */
  readonly session: Pick<
    ServiceSession,
    'cloud' | 'environments' | 'flows' | 'connections' | 'connectionReferences' | 'runs'
  >;
  /** The shared schema cache (a run always reads the schema fresh, joining a load in flight). */
  readonly schemas: FlowSchemaCache;
  /** Looks `${secret:}` / `${env:}` references up; without one, a reference is a problem. */
  readonly resolver?: SecretResolver;
  readonly logger?: Logger;
  readonly masker?: SecretMasker;
  readonly now?: () => number;
}

const urlKey = /^[a-z][a-z0-9+.-]*:\/\//i;
const guidPattern = /^\{?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\}?$/i;

function problem(
  field: RunProblem['field'],
  code: RunProblemCode,
  message: string,
  fix: string,
  extra: Partial<RunProblem> = {},
): RunProblem {
  return { code, severity: 'error', field, message, fix, ...extra };
}

function where(environment: EnvironmentRef): string {
  return environment.displayName === undefined ? environment.orgUrl : `"${environment.displayName}"`;
}

/** A neutral wording of an options problem; front ends with their own controls word it themselves. */
export function describeRunOptionsProblem(p: RunOptionsProblem): { message: string; fix: string } {
  switch (p.field) {
    case 'connection':
      return p.code === 'missing'
        ? {
            message: 'No connection is chosen for the run.',
            fix: 'Choose a desktop-flow connection or a connection reference.',
          }
        : {
            message: 'The connection is not valid.',
            fix: 'Choose a desktop-flow connection or a connection reference.',
          };
    case 'runMode':
      return {
        message: p.code === 'missing' ? 'No run mode is chosen.' : 'The run mode is not valid.',
        fix: 'Choose attended (in the signed-in session of the connection user) or unattended.',
      };
    case 'priority':
      return p.code === 'tooLarge'
        ? { message: 'The priority is too long.', fix: `Use at most ${p.limit ?? 100} characters.` }
        : {
            message: 'The priority is not valid.',
            fix: 'Use normal, high or the name of a custom priority.',
          };
    case 'timeoutSeconds':
      return {
        message: 'The run timeout is not valid.',
        fix: 'Give a whole number of seconds from 1 to 86400 (24 hours).',
      };
    case 'options':
      return { message: 'The run options are not valid.', fix: 'Choose a connection and a run mode.' };
  }
}

interface ResolvedEnvironment {
  readonly ref: EnvironmentRef;
  readonly names: readonly string[];
  readonly region: string | undefined;
}

function fromEnvironment(e: Environment): ResolvedEnvironment {
  return {
    ref: { id: e.id, orgUrl: e.orgUrl, displayName: e.displayName },
    names: [e.displayName, e.id, e.uniqueName, e.orgUrl].filter(
      (n): n is string => n !== undefined && n !== '',
    ),
    region: e.region,
  };
}

/** The org URL a URL key names (a pasted Web API path and trailing slashes removed), or a problem. */
function orgUrlOf(key: string): string | RunProblem {
  let url: URL;
  try {
    url = new URL(key);
  } catch {
    return problem(
      'environment',
      'environmentNotFound',
      `"${key}" is not a valid URL.`,
      'Give an https:// org URL.',
    );
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname))) {
    return problem(
      'environment',
      'environmentNotFound',
      `"${key}" is not an https:// URL.`,
      'Give the https:// org URL (plain http is allowed for loopback addresses only).',
    );
  }
  return trimTrailingSlashes(`${url.origin}${url.pathname.replace(/\/api\/data\/v\d+(\.\d+)?\/?$/i, '')}`);
}

/** Environment by display name, id, unique name, organization id or org URL. */
async function resolveEnvironment(
  request: RunRequest,
  deps: PrepareRunDeps,
  signal: AbortSignal,
): Promise<ResolvedEnvironment | RunProblem> {
  const target = request.target.environment;
  if (target.kind === 'resolved') {
    return {
      ref: { ...target.ref, orgUrl: trimTrailingSlashes(target.ref.orgUrl) },
      names: [...(target.names ?? []), target.ref.displayName, target.ref.id, target.ref.orgUrl].filter(
        (n): n is string => n !== undefined && n !== '',
      ),
      // The front end's region (the CLI's discovered environment): the inputs limit follows it.
      region: target.region,
    };
  }
  const wanted = target.key.trim();
  const listFix =
    'Give an org URL, environment id, unique name or display name (the environments list shows them).';
  if (wanted === '') {
    return problem('environment', 'environmentNotFound', 'No environment is named.', listFix);
  }
  if (urlKey.test(wanted)) {
    const orgUrl = orgUrlOf(wanted);
    if (typeof orgUrl !== 'string') {
      return orgUrl;
    }
    let environments: Environment[];
    try {
      environments = await deps.session.environments.list(signal);
    } catch (e) {
      if (ApiError.is(e, 'unauthorized', 'forbidden')) {
        // Credentials for one org only: every Dataverse call needs nothing more than its URL.
        return { ref: { id: orgUrl, orgUrl }, names: [orgUrl], region: undefined };
      }
      throw e;
    }
    const match = environments.find(
      (e) =>
        orgKey(e.orgUrl) === orgKey(orgUrl) ||
        (e.apiUrl !== undefined && orgKey(e.apiUrl) === orgKey(orgUrl)),
    );
    return match === undefined
      ? { ref: { id: orgUrl, orgUrl }, names: [orgUrl], region: undefined }
      : fromEnvironment(match);
  }
  const environments = await deps.session.environments.list(signal);
  const lower = wanted.toLowerCase();
  const byId = environments.filter(
    (e) =>
      e.id.toLowerCase() === lower ||
      e.uniqueName?.toLowerCase() === lower ||
      e.organizationId?.toLowerCase() === lower,
  );
  const matches = byId.length > 0 ? byId : environments.filter((e) => e.displayName.toLowerCase() === lower);
  const [first, second] = matches;
  if (first === undefined) {
    const near = closestName(
      wanted,
      environments.map((e) => e.displayName),
    );
    return problem(
      'environment',
      'environmentNotFound',
      `No environment you can reach matches "${wanted}".${near === undefined ? '' : ` Did you mean "${near}"?`}`,
      listFix,
    );
  }
  if (second !== undefined) {
    return problem(
      'environment',
      'environmentAmbiguous',
      `${matches.length} environments are named "${wanted}" (${matches.map((e) => e.id).join(', ')}).`,
      'Name the environment by its id or org URL.',
    );
  }
  return fromEnvironment(first);
}

/** One flow of each id, the published layer first. */
function uniqueById(flows: readonly DesktopFlow[]): DesktopFlow[] {
  const byId = new Map<string, DesktopFlow>();
  for (const flow of flows) {
    const key = idKey(flow.id);
    const seen = byId.get(key);
    if (seen === undefined || (seen.isUnpublished && !flow.isUnpublished)) {
      byId.set(key, flow);
    }
  }
  return [...byId.values()];
}

type FlowRef = PreparedRun['flow'];

/** Flow by id (published, else the draft layer) or exact name (case-sensitive first), with a closest-name hint. */
async function resolveFlow(
  request: RunRequest,
  environment: EnvironmentRef,
  deps: PrepareRunDeps,
  signal: AbortSignal,
): Promise<FlowRef | RunProblem> {
  const target = request.target.flow;
  if (target.kind === 'resolved') {
    return { id: target.flow.id, name: target.flow.name, isUnpublished: target.flow.isUnpublished };
  }
  const org = environment.orgUrl;
  const wanted = target.key.trim();
  const listFix = 'Name the flow by its id or its exact name (the flows list shows them).';
  if (wanted === '') {
    return problem('flow', 'flowNotFound', 'No flow is named.', listFix);
  }
  if (guidPattern.test(wanted)) {
    const id = idKey(wanted);
    for (const includeDrafts of [false, true]) {
      try {
        const flow = await deps.session.flows.get(org, id, signal, { includeDrafts });
        return { id: flow.id, name: flow.name, isUnpublished: flow.isUnpublished };
      } catch (e) {
        if (!ApiError.is(e, 'notFound')) {
          throw e;
        }
      }
    }
    return problem(
      'flow',
      'flowNotFound',
      `No desktop flow with id ${id} in ${where(environment)}.`,
      listFix,
    );
  }
  const candidates = uniqueById(
    await deps.session.flows.listAll(org, { includeDrafts: true, nameContains: wanted }, signal),
  );
  let matches = candidates.filter((f) => f.name === wanted);
  if (matches.length === 0) {
    matches = candidates.filter((f) => f.name.toLowerCase() === wanted.toLowerCase());
  }
  const [first, second] = matches;
  if (first === undefined) {
    // Only on this error path: every name, so a typo ("Echo Txt") still finds its flow.
    const every =
      candidates.length > 0
        ? candidates
        : await deps.session.flows.listAll(org, { includeDrafts: true, pageSize: 5000 }, signal);
    const near = closestName(
      wanted,
      every.map((f) => f.name),
    );
    return problem(
      'flow',
      'flowNotFound',
      `No desktop flow named "${wanted}" in ${where(environment)}.${near === undefined ? '' : ` Did you mean "${near}"?`}`,
      listFix,
    );
  }
  if (second !== undefined) {
    return problem(
      'flow',
      'flowAmbiguous',
      `${matches.length} desktop flows are named "${wanted}" in ${where(environment)} (${matches.map((f) => f.id).join(', ')}).`,
      'Name the flow by its id.',
    );
  }
  return { id: first.id, name: first.name, isUnpublished: first.isUnpublished };
}

/** The inputs as text to validate, with how problems name their source. */
interface InputsText {
  readonly text: string;
  readonly label: string;
  /** For Run Again: the values the run sent and when it was created. */
  readonly fromRun?: { readonly values: Record<string, unknown>; readonly when: string };
}

function dayOf(iso: string | undefined): string {
  const t = iso === undefined ? Number.NaN : Date.parse(iso);
  return Number.isNaN(t)
    ? 'the earlier run'
    : `the run from ${new Date(t).toLocaleDateString('en-GB', { day: 'numeric', month: 'short', timeZone: 'UTC' })}`;
}

async function inputsText(
  request: RunRequest,
  environment: EnvironmentRef,
  flow: FlowRef,
  deps: PrepareRunDeps,
  signal: AbortSignal,
): Promise<InputsText | RunProblem> {
  const source = request.inputs;
  switch (source.kind) {
    case 'none':
      return { text: '{}', label: 'no inputs' };
    case 'file':
      return { text: source.text, label: source.label };
    case 'values':
      return { text: JSON.stringify(source.values, null, 2), label: source.label ?? 'inline inputs' };
    case 'run': {
      let run;
      try {
        run = await deps.session.runs.getFlowSession(environment.orgUrl, source.runId, signal);
      } catch (e) {
        if (ApiError.is(e, 'notFound')) {
          return problem(
            'inputs',
            'runNotFound',
            `Run ${source.runId} does not exist in ${where(environment)} (or you cannot see it).`,
            "Pick a run from the flow's run history.",
          );
        }
        throw e;
      }
      if (run.flowId !== undefined && idKey(run.flowId) !== idKey(flow.id)) {
        return problem(
          'inputs',
          'runOfAnotherFlow',
          `Run ${source.runId} is a run of another flow, not of "${flow.name}".`,
          `Pick a run of "${flow.name}".`,
        );
      }
      const values = (await deps.session.runs.getRunInputs(environment.orgUrl, source.runId, signal)) ?? {};
      const when = dayOf(run.createdOn);
      return {
        text: JSON.stringify(values, null, 2),
        label: `the inputs of ${when}`,
        fromRun: { values, when },
      };
    }
  }
}

/** Says what of an earlier run's inputs no longer fits the flow as it is now. */
function changedInput(
  p: InputProblem,
  schema: DesktopFlowSchema,
  from: NonNullable<InputsText['fromRun']>,
): InputProblem {
  const name = typeof p.path[0] === 'string' ? p.path[0] : undefined;
  const variable = name === undefined ? undefined : findVariable(schema, name);
  const sent = name === undefined ? undefined : from.values[name];
  let message: string | undefined;
  if ((p.code === 'type' || p.code === 'null') && name !== undefined && variable !== undefined) {
    message = `Input \`${name}\` is now ${kindNoun(variable.kind)}; ${from.when} sent ${describeValue(sent)}.`;
  } else if ((p.code === 'unknownInput' || p.code === 'removedInput') && name !== undefined) {
    message = `Input \`${name}\` is no longer an input of the flow; ${from.when} sent it.`;
  } else if (p.code === 'required') {
    const missing = /"([^"]+)"/.exec(p.message)?.[1];
    if (missing !== undefined) {
      message = `Input \`${missing}\` is now required; ${from.when} did not send it.`;
    }
  }
  return message === undefined
    ? p
    : { ...p, message, fix: `Start the run with new inputs (an input file or values) instead. ${p.fix}` };
}

/** Checks that the connection or reference exists (and a reference is bound); returns the options to send. */
async function checkConnection(
  options: RunOptions,
  environment: EnvironmentRef,
  deps: PrepareRunDeps,
  signal: AbortSignal,
): Promise<
  | {
      readonly ok: true;
      readonly options: RunOptions;
      readonly display: string;
      readonly warnings: RunProblem[];
    }
  | { readonly ok: false; readonly problem: RunProblem }
> {
  const connection: RunConnection = options.connection;
  const unchecked = (why: string): RunProblem => ({
    ...problem(
      'connection',
      'connectionNotChecked',
      `Could not check that ${connection.kind === 'connection' ? `connection "${connection.name}"` : `connection reference "${connection.logicalName}"`} exists (${why}); the service checks it when the run starts.`,
      'Nothing to do unless the run is refused.',
    ),
    severity: 'warning',
  });
  const listFix =
    'Pick one from the connections list (connections and connection references of the environment).';
  try {
    if (connection.kind === 'connection') {
      if (urlKey.test(environment.id)) {
        // Known by org URL only: connections are listed per Power Platform environment id.
        return {
          ok: true,
          options,
          display: connection.name,
          warnings: [unchecked('the environment id is not known')],
        };
      }
      const connections = await deps.session.connections.listDesktopFlowConnections(environment.id, signal);
      const found = connections.find((c) => c.name.toLowerCase() === connection.name.toLowerCase());
      if (found === undefined) {
        const near = closestName(
          connection.name,
          connections.map((c) => c.name),
        );
        return {
          ok: false,
          problem: problem(
            'connection',
            'connectionNotFound',
            `No desktop-flow connection "${connection.name}" in ${where(environment)}.${near === undefined ? '' : ` Did you mean "${near}"?`}`,
            listFix,
          ),
        };
      }
      const warnings =
        found.status === 'error'
          ? [
              {
                ...problem(
                  'connection',
                  'connectionNotConnected',
                  `Connection "${found.displayName}" reports a problem: ${found.statuses.map((s) => s.errorMessage ?? s.status).join('; ')}`,
                  'Fix or re-create the connection in Power Automate if the run is refused.',
                ),
                severity: 'warning' as const,
              },
            ]
          : [];
      return {
        ok: true,
        options: { ...options, connection: { kind: 'connection', name: found.name } },
        display: found.displayName,
        warnings,
      };
    }
    const references = await deps.session.connectionReferences.listDesktopFlowReferences(
      environment.orgUrl,
      signal,
    );
    const found = references.find(
      (r) => r.logicalName.toLowerCase() === connection.logicalName.toLowerCase(),
    );
    if (found === undefined) {
      const near = closestName(
        connection.logicalName,
        references.map((r) => r.logicalName),
      );
      return {
        ok: false,
        problem: problem(
          'connection',
          'connectionReferenceNotFound',
          `No desktop-flow connection reference "${connection.logicalName}" in ${where(environment)}.${near === undefined ? '' : ` Did you mean "${near}"?`}`,
          listFix,
        ),
      };
    }
    if (found.connectionName === undefined) {
      return {
        ok: false,
        problem: problem(
          'connection',
          'connectionReferenceUnbound',
          `Connection reference "${found.displayName}" (${found.logicalName}) is not bound to a connection.`,
          'Set its connection in the solution (Power Apps > Solutions > Connection references), or run with a connection instead.',
        ),
      };
    }
    return {
      ok: true,
      options: {
        ...options,
        connection: {
          kind: 'connectionReference',
          logicalName: found.logicalName,
          connectionName: found.connectionName,
        },
      },
      display: found.displayName,
      warnings: [],
    };
  } catch (e) {
    // No token for the service that lists connections (e.g. an org-only DESKTOPFLOWS_TOKEN) is like a
    // failed listing: the run service checks the connection itself.
    const unreachable =
      (ApiError.is(e) && e.reason !== 'cancelled') || (AuthError.is(e) && e.reason !== 'cancelled');
    if (CancellationError.is(e) || !unreachable) {
      throw e;
    }
    deps.logger?.debug(`[runs] could not list connections (${e.reason}); the service checks the connection`);
    return {
      ok: true,
      options,
      display: connection.kind === 'connection' ? connection.name : connection.logicalName,
      warnings: [unchecked(`listing failed: ${e.reason}`)],
    };
  }
}

/**
 * Prepares a run: target, inputs, options and connection, each checked once. Returns the run to send or
 * every problem found (nothing is sent either way).
 */
export async function prepareRun(
  request: RunRequest,
  deps: PrepareRunDeps,
  signal: AbortSignal,
): Promise<PrepareRunResult> {
  throwIfAborted(signal);
  const logger = deps.logger ?? silentLogger;
  const now = deps.now ?? Date.now;
  const problems: RunProblem[] = [];
  const warnings: RunProblem[] = [];

  const validation = validateRunOptions(request.options);
  if (!validation.ok) {
    for (const p of validation.problems) {
      problems.push(
        problem(
          'options',
          'invalidOptions',
          describeRunOptionsProblem(p).message,
          describeRunOptionsProblem(p).fix,
          { optionsProblem: p },
        ),
      );
    }
  }

  const environment = await resolveEnvironment(request, deps, signal);
  if ('code' in environment) {
    return { ok: false, problems: [environment, ...problems] };
  }
  const flow = await resolveFlow(request, environment.ref, deps, signal);
  if ('code' in flow) {
    return { ok: false, problems: [flow, ...problems] };
  }

  const limitBytes = inputLimitBytesFor(deps.session.cloud, environment.region);
  const schemas = await deps.schemas.get(
    { orgUrl: environment.ref.orgUrl, flowId: flow.id, includeDrafts: flow.isUnpublished, notBefore: now() },
    signal,
  );
  const schema = schemas.inputs.schema;

  let prepared:
    | { inputs: string | undefined; maskedInputs: string | undefined; names: string[]; bytes: number }
    | undefined;
  const source = await inputsText(request, environment.ref, flow, deps, signal);
  if ('code' in source) {
    problems.push(source);
  } else {
    const result = await prepareRunInputs(source.text, schema, {
      signal,
      limitBytes,
      flowId: flow.id,
      environment: environment.names,
      logger,
      ...(deps.resolver === undefined ? {} : { resolver: deps.resolver }),
      ...(deps.masker === undefined ? {} : { masker: deps.masker }),
    });
    // Line and column only mean something in a file the maker wrote.
    const located = request.inputs.kind === 'file';
    const wrap = (p: InputProblem): RunProblem => {
      const input = source.fromRun === undefined ? p : changedInput(p, schema, source.fromRun);
      return {
        code: source.fromRun !== undefined && input !== p ? 'runInputsChanged' : 'inputs',
        severity: p.severity,
        field: 'inputs',
        message: input.message,
        fix: input.fix,
        input,
        located,
        source: source.label,
      };
    };
    if (!result.ok) {
      const required = result.problems.filter((p) => p.code === 'required' && p.severity === 'error');
      if (request.inputs.kind === 'none' && required.length > 0) {
        const names = schema.variables
          .filter((v) => v.requirement === 'required' && !v.hasDefault)
          .map((v) => `"${v.name}"`);
        problems.push(
          problem(
            'inputs',
            'requiredInputs',
            `"${flow.name}" has required inputs without defaults, and no inputs were given: ${names.join(', ')}.`,
            'Give a value for each of them (an input file, or input values).',
            { source: source.label },
          ),
        );
        problems.push(...result.problems.filter((p) => p.code !== 'required').map(wrap));
      } else {
        problems.push(...result.problems.map(wrap));
      }
    } else {
      warnings.push(...result.warnings.map(wrap));
      const none = request.inputs.kind === 'none' && result.inputs === '{}';
      prepared = none
        ? { inputs: undefined, maskedInputs: undefined, names: [], bytes: 0 }
        : {
            inputs: result.inputs,
            maskedInputs: result.maskedInputs,
            names: [...result.maskedNames],
            bytes: result.bytes,
          };
    }
  }

  let options: RunOptions | undefined;
  let connectionDisplayName = '';
  if (validation.ok) {
    const checked = await checkConnection(validation.options, environment.ref, deps, signal);
    if (checked.ok) {
      options = checked.options;
      connectionDisplayName = checked.display;
      warnings.push(...checked.warnings);
    } else {
      problems.push(checked.problem);
    }
  }

  if (problems.some((p) => p.severity === 'error') || prepared === undefined || options === undefined) {
    logger.debug(
      `[runs] "${flow.name}" not prepared (${request.origin}): ${problems.length} problem(s); nothing sent`,
    );
    return {
      ok: false,
      problems: [...problems, ...warnings],
      resolved: {
        environment: environment.ref,
        flow,
        options,
        connectionDisplayName: options === undefined ? undefined : connectionDisplayName,
      },
    };
  }
  return {
    ok: true,
    warnings,
    run: {
      origin: request.origin,
      environment: environment.ref,
      flow,
      options,
      connectionDisplayName,
      inputs: prepared.inputs,
      maskedInputs: prepared.maskedInputs,
      sensitiveInputNames: prepared.names,
      bytes: prepared.bytes,
      limitBytes,
      outputsSchema: schemas.outputs.schema,
    },
  };
}
