/**
 * The two bound actions of the run API: `RunDesktopFlow` on `workflow` (reference 4.1, blueprint row 6)
 * with full server-side validation, the per-connection rate limit and the inline `licenseCheck`, and
 * `CancelDesktopFlowRun` on `flowsession` (4.6, row 12).
 */
import { isIP } from 'node:net';
import type { EnvironmentState, Run } from './environmentState';
import { emptyReply, jsonReply, parseJsonBody, ServiceError } from './httpUtil';
import type { Reply, RequestContext } from './httpUtil';
import { inputLimitBytes } from './sandboxRuntime';
import type { SandboxRuntime } from './sandboxRuntime';
import type { SeedConnection, SeedFlow } from './seedTypes';

/** Who is calling: their systemuser id in the environment, and whether they administer it. */
export interface Caller {
  systemUserId: string;
  oid: string;
  admin: boolean;
}

const licenseMessages: Record<string, string> = {
  ValidLicenseCoverage: 'Valid License Coverage',
  LicensingCheckFailed: 'Unable to perform licensing checks for this Desktop Flow',
  AttendedNoLicense:
    'Invalid License Coverage. The connection owner needs a Power Automate Premium license to run attended desktop flows.',
  UnattendedNoAddon:
    'Invalid License Coverage. Unattended runs need an Unattended RPA add-on or a Power Automate Process license.',
};

const parameterTypes: Record<string, 'string' | 'int'> = {
  runMode: 'string',
  runPriority: 'string',
  connectionName: 'string',
  connectionType: 'int',
  timeout: 'int',
  inputs: 'string',
  callbackUrl: 'string',
};

const maxTimeoutSeconds = 86_400;
const defaultTimeoutSeconds = 10_800;

function payloadError(message: string): ServiceError {
  return new ServiceError(
    400,
    '0x80048d19',
    `Error identified in Payload provided by the user for Entity :'', ----> InnerException : ${message}`,
  );
}

function invalidArgument(message: string): ServiceError {
  return new ServiceError(400, '0x80040203', message);
}

function readParameters(ctx: RequestContext): Record<string, unknown> {
  let body: unknown;
  try {
    body = parseJsonBody(ctx);
  } catch {
    throw payloadError('The request body is not valid JSON.');
  }
  if (body === undefined) {
    body = {};
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw payloadError('The request body must be a JSON object of action parameters.');
  }
  const params = body as Record<string, unknown>;
  for (const [name, value] of Object.entries(params)) {
    const type = parameterTypes[name];
    if (type === undefined) {
      throw payloadError(
        `The parameter '${name}' in the request payload is not a valid parameter for the operation 'RunDesktopFlow'.`,
      );
    }
    if (value === null) {
      continue;
    }
    if (type === 'string' ? typeof value !== 'string' : !Number.isInteger(value)) {
      throw payloadError(
        `Cannot convert the literal '${JSON.stringify(value)}' to the expected type '${type === 'string' ? 'Edm.String' : 'Edm.Int32'}'.`,
      );
    }
  }
  return params;
}

function checkCallbackUrl(rt: SandboxRuntime, raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw invalidArgument(`The callbackUrl '${raw}' is not an absolute URL.`);
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const loopbackOrIp = host === 'localhost' || isIP(host) !== 0;
  if (
    rt.settings.allowLoopbackCallbacks &&
    loopbackOrIp &&
    (url.protocol === 'http:' || url.protocol === 'https:')
  ) {
    return url.toString();
  }
  if (url.protocol !== 'https:') {
    throw invalidArgument('The callbackUrl must use HTTPS.');
  }
  if (loopbackOrIp) {
    throw invalidArgument(
      'The callbackUrl host must be a DNS name; localhost, loopback and IP addresses are not allowed.',
    );
  }
  return url.toString();
}

function resolveConnection(env: EnvironmentState, name: string, type: number): SeedConnection {
  if (type === 2) {
    const ref = env.connectionReferences.find((r) => r.logicalName.toLowerCase() === name.toLowerCase());
    if (ref === undefined) {
      throw invalidArgument(`The connection reference '${name}' was not found.`);
    }
    if (!(ref.connectorId ?? 'shared_uiflow').toLowerCase().endsWith('shared_uiflow')) {
      throw invalidArgument(
        `The connection reference '${name}' is not for the desktop flows connector (shared_uiflow).`,
      );
    }
    if (ref.connectionName === undefined || ref.connectionName === '') {
      throw invalidArgument(`The connection reference '${name}' is not bound to a connection.`);
    }
    const bound = env.connections.get(ref.connectionName.toLowerCase());
    if (bound === undefined) {
      throw invalidArgument(
        `The connection '${ref.connectionName}' of the connection reference '${name}' was not found.`,
      );
    }
    return bound;
  }
  const connection = env.connections.get(name.toLowerCase());
  if (connection === undefined) {
    throw invalidArgument(
      `The desktop flow connection '${name}' was not found, or you do not have access to it.`,
    );
  }
  return connection;
}

function parseInputs(env: EnvironmentState, raw: unknown): Record<string, unknown> {
  if (raw === undefined || raw === null || raw === '') {
    return {};
  }
  const text = raw as string;
  const limit = inputLimitBytes(env);
  const size = Buffer.byteLength(text, 'utf8');
  if (size > limit) {
    throw invalidArgument(
      `The inputs are ${size} bytes; the maximum size is ${limit} bytes (${limit / (1024 * 1024)} MB).`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw invalidArgument('The inputs parameter must be a string holding a JSON object.');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw invalidArgument('The inputs parameter must be a string holding a JSON object.');
  }
  return parsed as Record<string, unknown>;
}

/** POST `workflows(<id>)/Microsoft.Dynamics.CRM.RunDesktopFlow`. */
export function runDesktopFlow(
  ctx: RequestContext,
  rt: SandboxRuntime,
  env: EnvironmentState,
  flow: SeedFlow,
  caller: Caller,
  serviceRoot: string,
): Reply {
  if ((flow.category ?? 6) !== 6) {
    throw invalidArgument('RunDesktopFlow can only run desktop flows (workflow category 6).');
  }
  if (flow.state !== 'published') {
    throw invalidArgument(`The desktop flow '${flow.name}' has no published version to run.`);
  }
  const p = readParameters(ctx);
  for (const required of ['runMode', 'connectionName']) {
    if (p[required] === undefined || p[required] === null || p[required] === '') {
      throw payloadError(`The parameter '${required}' is required by the operation 'RunDesktopFlow'.`);
    }
  }
  const runMode = (p.runMode as string).toLowerCase();
  if (runMode !== 'attended' && runMode !== 'unattended') {
    throw invalidArgument(
      `The runMode '${p.runMode as string}' is not valid; use 'attended' or 'unattended'.`,
    );
  }
  const connectionType = (p.connectionType as number | null | undefined) ?? 1;
  if (connectionType !== 1 && connectionType !== 2) {
    throw invalidArgument(
      `The connectionType ${connectionType} is not valid; use 1 (connection) or 2 (connection reference).`,
    );
  }
  const timeout = (p.timeout as number | null | undefined) ?? defaultTimeoutSeconds;
  if (timeout < 1 || timeout > maxTimeoutSeconds) {
    throw invalidArgument(
      `The timeout ${timeout} is out of range; it must be between 1 and ${maxTimeoutSeconds} seconds (24 hours).`,
    );
  }
  // "normal or high, or add your own" (reference 4.1): any non-empty value is accepted; only "high" jumps the queue.
  const priority = (p.runPriority as string | null | undefined) ?? 'normal';
  if (priority.trim() === '') {
    throw invalidArgument('The runPriority must not be empty.');
  }
  const inputs = parseInputs(env, p.inputs);
  const callbackUrl =
    typeof p.callbackUrl === 'string' && p.callbackUrl !== ''
      ? checkCallbackUrl(rt, p.callbackUrl)
      : undefined;
  const connection = resolveConnection(env, p.connectionName as string, connectionType);
  if (connection.ownerOid !== undefined && connection.ownerOid.toLowerCase() !== caller.oid.toLowerCase()) {
    throw new ServiceError(
      403,
      '0x80040220',
      `The connection '${connection.name}' belongs to another user and is not shared with you.`,
    );
  }
  if (connection.kind === 'signIn' && runMode === 'unattended') {
    throw invalidArgument(
      `The connection '${connection.name}' uses "Connect with sign in", which supports attended runs only.`,
    );
  }
  const admission = rt.limits.takeRun(`${env.seed.name}/${connection.name.toLowerCase()}`);
  if (!admission.ok) {
    // The real status and body are undocumented (reference 4.1); a Dataverse 429 with Retry-After is the sandbox's choice.
    throw new ServiceError(
      429,
      '0x80072322',
      `Number of RunDesktopFlow requests exceeded the limit of ${rt.settings.runsPerMinutePerConnection} per minute for connection '${connection.name}'.`,
      { 'retry-after': String(admission.retryAfterSeconds) },
    );
  }
  const run = rt.engine.create(env, {
    flow,
    connection,
    runMode,
    priority,
    timeoutSeconds: timeout,
    inputs,
    callbackUrl,
    ownerId: caller.systemUserId,
  });
  const code = env.seed.licenseCheck ?? 'ValidLicenseCoverage';
  return jsonReply(200, {
    '@odata.context': `${serviceRoot}$metadata#Microsoft.Dynamics.CRM.RunDesktopFlowResponse`,
    flowsessionId: run.row.flowsessionid,
    licenseCheck: {
      '@odata.context': '#Microsoft.Dynamics.CRM.expando',
      code,
      message: licenseMessages[code],
    },
  });
}

const statusNames: Record<number, string> = {
  4: 'Succeeded',
  5: 'Skipped',
  7: 'Cancelled',
  8: 'Failed',
  9: 'Faulted',
  10: 'TimedOut',
  11: 'Aborted',
  12: 'Ignored',
  13: 'Deleted',
  14: 'Terminated',
};

/** POST `flowsessions(<id>)/Microsoft.Dynamics.CRM.CancelDesktopFlowRun`. */
export function cancelDesktopFlowRun(
  ctx: RequestContext,
  rt: SandboxRuntime,
  env: EnvironmentState,
  run: Run,
  caller: Caller,
): Reply {
  let body: unknown;
  try {
    body = parseJsonBody(ctx);
  } catch {
    throw payloadError('The request body is not valid JSON.');
  }
  if (
    body !== undefined &&
    (typeof body !== 'object' || body === null || Array.isArray(body) || Object.keys(body).length > 0)
  ) {
    throw payloadError("The operation 'CancelDesktopFlowRun' takes no parameters.");
  }
  assertOwner(run, caller, 'prvWriteflowsession');
  if (!rt.engine.cancel(env, run)) {
    if (rt.settings.cancelFinishedRun === 'noContent') {
      return emptyReply(204);
    }
    // Undocumented in the real service (reference 4.6); a 400 is the sandbox's default, switchable to 204.
    const status = statusNames[run.row.statuscode as number] ?? String(run.row.statuscode);
    throw invalidArgument(
      `The desktop flow run ${String(run.row.flowsessionid)} has already finished (${status}) and cannot be cancelled.`,
    );
  }
  return emptyReply(204);
}

/** Reading status and cancelling need owner-level access to the run (reference 4.1, 8.4). */
export function assertOwner(run: Run, caller: Caller, privilege: string): void {
  if (!caller.admin && run.row._ownerid_value !== caller.systemUserId) {
    throw new ServiceError(
      403,
      '0x80040220',
      `Principal user (Id=${caller.systemUserId}, type=8) is missing ${privilege} privilege (Id=${privilege === 'prvReadflowsession' ? 'f1a2b3c4-0000-4000-8000-00000000a001' : 'f1a2b3c4-0000-4000-8000-00000000a002'}) on OTC=4720 for entity 'flowsession'.`,
    );
  }
}
