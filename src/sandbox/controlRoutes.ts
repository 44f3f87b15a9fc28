/**
 * The sandbox's own endpoints (no auth): `/_sandbox` (discovery of every service URL), `/_sandbox/token`,
 * `/_sandbox/ca.pem`, `/_sandbox/faults`, `/_sandbox/clock`, `/_sandbox/settings`,
 * `/_sandbox/machines/<env>/<machine id>`, and the tiny maker portal under `/portal`.
 */
import { clockLimits } from './clock';
import { FaultSpecError } from './faults';
import type { FaultSpec } from './faults';
import { emptyReply, jsonReply, parseJsonBody, ServiceError } from './httpUtil';
import type { Reply, RequestContext } from './httpUtil';
import { inputLimitBytes, orgApiUrl, orgUrl, serviceUrls } from './sandboxRuntime';
import type { SandboxRuntime, SandboxSettings } from './sandboxRuntime';
import type { SeedSession } from './seedTypes';

/** What `GET /_sandbox` returns; a superset of `SandboxDescription` (src/core/clouds.ts). */
export interface SandboxInfo {
  baseUrl: string;
  discoveryUrl: string;
  bapUrl: string;
  powerAppsUrl: string;
  identityUrl: string;
  portalUrl: string;
  tenantId: string;
  /** Token audiences: discovery, BAP + Power Apps; each org's audience is its `orgUrl`. */
  audiences: { discovery: string; powerApps: string };
  /** Whether `/_sandbox/ca.pem` serves the identity endpoint's CA. */
  hasCa: boolean;
  environments: {
    name: string;
    friendlyName: string;
    environmentId: string;
    organizationId: string;
    orgUrl: string;
    apiUrl: string;
    webApiUrl: string;
    isDefault: boolean;
    chinaCloud: boolean;
    inputLimitBytes: number;
  }[];
  users: { oid: string; name: string; upn: string }[];
  clock: { now: string; speed: number };
  tokenLifetimeSeconds: number;
}

/** The `/_sandbox` description. */
export function describe(rt: SandboxRuntime, ca: string | undefined): SandboxInfo {
  const urls = serviceUrls(rt.origin);
  return {
    baseUrl: rt.origin,
    discoveryUrl: urls.discovery,
    bapUrl: urls.bap,
    powerAppsUrl: urls.powerApps,
    identityUrl: rt.identityUrl,
    portalUrl: urls.portal,
    tenantId: rt.data.tenantId,
    audiences: { discovery: urls.discovery, powerApps: urls.powerApps },
    hasCa: ca !== undefined,
    environments: [...rt.environments.values()].map((e) => ({
      name: e.seed.name,
      friendlyName: e.seed.friendlyName,
      environmentId: e.seed.environmentId,
      organizationId: e.seed.organizationId,
      orgUrl: orgUrl(rt.origin, e.seed.name),
      apiUrl: orgApiUrl(rt.origin, e.seed.name),
      webApiUrl: `${orgUrl(rt.origin, e.seed.name)}/api/data/v9.2/`,
      isDefault: e.seed.isDefault === true,
      chinaCloud: e.seed.chinaCloud === true,
      inputLimitBytes: inputLimitBytes(e),
    })),
    users: rt.data.users.map((u) => ({ oid: u.oid, name: u.name, upn: u.upn })),
    clock: { now: rt.clock.iso(), speed: rt.clock.speed },
    tokenLifetimeSeconds: rt.issuer.lifetimeSeconds,
  };
}

function bad(message: string): Reply {
  return jsonReply(400, { error: { code: 'BadRequest', message } });
}

/** The JSON object body; throws a 400 `ServiceError` otherwise. */
function body(ctx: RequestContext): Record<string, unknown> {
  let b: unknown;
  try {
    b = parseJsonBody(ctx);
  } catch {
    throw new ServiceError(400, 'BadRequest', 'The body is not valid JSON.');
  }
  if (typeof b !== 'object' || b === null || Array.isArray(b)) {
    throw new ServiceError(400, 'BadRequest', 'Expected a JSON object.');
  }
  return b as Record<string, unknown>;
}

function token(ctx: RequestContext, rt: SandboxRuntime): Reply {
  const q = ctx.url.searchParams;
  const raw = q.get('aud') ?? q.get('resource') ?? '';
  if (raw === '') {
    return bad(
      'Pass the audience as ?aud=<resource>, e.g. ?aud=' +
        encodeURIComponent(orgUrl(rt.origin, 'contoso-dev')),
    );
  }
  // Accept scope forms too: `<resource>/.default`, `<resource>/user_impersonation`.
  const audience = raw.replace(/\/(\.default|user_impersonation)$/, '');
  const lifetime = q.get('lifetime');
  if (lifetime !== null && !/^\d+$/.test(lifetime)) {
    return bad('lifetime must be a whole number of seconds.');
  }
  const oid = q.get('oid') ?? undefined;
  const user = rt.data.users.find((u) => u.oid === oid);
  const lifetimeSeconds = lifetime === null ? rt.issuer.lifetimeSeconds : Number(lifetime);
  const accessToken = rt.issuer.issue({
    audience,
    lifetimeSeconds,
    ...(oid !== undefined
      ? { oid, name: user?.name ?? 'Sandbox User', upn: user?.upn ?? `${oid.slice(0, 8)}@sandbox.example` }
      : {}),
  });
  // expires_in is in real seconds, so a client caching by its own clock refreshes in time at any speed.
  const expiresIn = Math.max(1, Math.floor(rt.clock.toReal(lifetimeSeconds * 1000) / 1000));
  return jsonReply(
    200,
    {
      token_type: 'Bearer',
      access_token: accessToken,
      expires_in: expiresIn,
      expires_on: Math.floor(rt.clock.now() / 1000) + lifetimeSeconds,
      resource: audience,
    },
    { 'cache-control': 'no-store' },
  );
}

function faults(ctx: RequestContext, rt: SandboxRuntime, id: string | undefined): Reply {
  if (ctx.method === 'GET' && id === undefined) {
    return jsonReply(200, { value: rt.faults.list() });
  }
  if (ctx.method === 'POST' && id === undefined) {
    const b = body(ctx);
    try {
      return jsonReply(201, rt.faults.add(b as unknown as FaultSpec));
    } catch (e) {
      if (e instanceof FaultSpecError) {
        return bad(e.message);
      }
      throw e;
    }
  }
  if (ctx.method === 'DELETE') {
    if (id === undefined) {
      rt.faults.clear();
      return emptyReply(204);
    }
    return rt.faults.remove(id)
      ? emptyReply(204)
      : jsonReply(404, { error: { code: 'NotFound', message: `No fault ${id}.` } });
  }
  return jsonReply(405, {
    error: { code: 'MethodNotAllowed', message: `${ctx.method} is not supported here.` },
  });
}

function clock(ctx: RequestContext, rt: SandboxRuntime): Reply {
  if (ctx.method === 'POST') {
    const b = body(ctx);
    // Both checked before either is applied: a refused request changes nothing.
    if (
      b.speed !== undefined &&
      (typeof b.speed !== 'number' || !(b.speed >= clockLimits.minSpeed && b.speed <= clockLimits.maxSpeed))
    ) {
      return bad(`speed must be a number from ${clockLimits.minSpeed} to ${clockLimits.maxSpeed}.`);
    }
    if (
      b.advanceSeconds !== undefined &&
      (typeof b.advanceSeconds !== 'number' ||
        !(b.advanceSeconds >= 0 && b.advanceSeconds <= clockLimits.maxAdvanceSeconds))
    ) {
      return bad(`advanceSeconds must be a number from 0 to ${clockLimits.maxAdvanceSeconds} (ten years).`);
    }
    if (typeof b.speed === 'number') {
      rt.clock.setSpeed(b.speed);
    }
    if (typeof b.advanceSeconds === 'number') {
      rt.clock.advance(b.advanceSeconds * 1000);
    }
  } else if (ctx.method !== 'GET') {
    return jsonReply(405, {
      error: { code: 'MethodNotAllowed', message: `${ctx.method} is not supported here.` },
    });
  }
  return jsonReply(200, { now: rt.clock.iso(), epochMs: rt.clock.now(), speed: rt.clock.speed });
}

function wholeNumber(name: string, min: number, max: number): (v: unknown) => string | undefined {
  return (v) =>
    Number.isInteger(v) && (v as number) >= min && (v as number) <= max
      ? undefined
      : `${name} must be a whole number from ${min} to ${max}.`;
}

function flag(name: string): (v: unknown) => string | undefined {
  return (v) => (typeof v === 'boolean' ? undefined : `${name} must be true or false.`);
}

/** Each setting's check: `undefined` when the value is acceptable, else why not. */
const settingChecks: Record<keyof SandboxSettings, (v: unknown) => string | undefined> = {
  cancelFinishedRun: (v) =>
    v === 'error' || v === 'noContent' ? undefined : 'cancelFinishedRun must be "error" or "noContent".',
  connectionParametersOnGet: flag('connectionParametersOnGet'),
  allowLoopbackCallbacks: flag('allowLoopbackCallbacks'),
  runsPerMinutePerConnection: wholeNumber('runsPerMinutePerConnection', 1, 1_000_000),
  requestBudget: (v) => {
    const budget = v as { limit?: unknown; windowSeconds?: unknown } | null;
    if (
      typeof budget !== 'object' ||
      budget === null ||
      Array.isArray(budget) ||
      Object.keys(budget).length !== 2
    ) {
      return 'requestBudget must be { "limit": <whole number>, "windowSeconds": <whole number> }.';
    }
    return (
      wholeNumber('requestBudget.limit', 1, 10_000_000)(budget.limit) ??
      wholeNumber('requestBudget.windowSeconds', 1, 86_400)(budget.windowSeconds)
    );
  },
  concurrentRequestLimit: wholeNumber('concurrentRequestLimit', 1, 100_000),
  queueTimeoutSeconds: wholeNumber('queueTimeoutSeconds', 1, 30 * 86_400),
  dispatchDelaySeconds: (v) =>
    typeof v === 'number' && v >= 0 && v <= 3_600
      ? undefined
      : 'dispatchDelaySeconds must be a number from 0 to 3600.',
};

function settings(ctx: RequestContext, rt: SandboxRuntime): Reply {
  if (ctx.method === 'PATCH' || ctx.method === 'POST') {
    const b = body(ctx);
    // Every value checked before any is applied: a refused request changes nothing.
    for (const [k, v] of Object.entries(b)) {
      const problem = Object.hasOwn(settingChecks, k)
        ? settingChecks[k as keyof SandboxSettings](v)
        : `Unknown setting ${k}; the settings are ${Object.keys(settingChecks).join(', ')}.`;
      if (problem !== undefined) {
        return bad(problem);
      }
    }
    for (const [k, v] of Object.entries(b)) {
      Object.defineProperty(rt.settings, k, {
        value: v,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
  }
  return jsonReply(200, rt.settings);
}

function machine(ctx: RequestContext, rt: SandboxRuntime, envName: string, machineId: string): Reply {
  const env = rt.environments.get(envName);
  const m = env?.machines.get(machineId.toLowerCase());
  if (env === undefined || m === undefined) {
    return jsonReply(404, { error: { code: 'NotFound', message: `No machine ${machineId} in ${envName}.` } });
  }
  if (ctx.method === 'POST' || ctx.method === 'PATCH') {
    const b = body(ctx);
    if (b.online !== undefined) {
      m.online = b.online === true;
      m.lastHeartbeat = rt.clock.now();
    }
    if (b.maintenance !== undefined) {
      m.maintenance = b.maintenance === true;
    }
    if (Array.isArray(b.sessions)) {
      m.sessions = (b.sessions as SeedSession[]).filter((s) => typeof s?.username === 'string');
    }
    m.version = env.nextVersion();
    rt.engine.schedule(env);
  }
  return jsonReply(200, {
    id: m.seed.id,
    name: m.seed.name,
    online: m.online,
    maintenance: m.maintenance,
    sessions: m.sessions,
    running: [...m.running],
  });
}

const portalHtml = (rt: SandboxRuntime): string => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sandbox maker portal</title></head>
<body><h1>Power Automate (sandbox)</h1>
<p>This stands in for the maker portal. Deep links from the extension land here.</p>
<ul>${[...rt.environments.values()].map((e) => `<li>${e.seed.friendlyName} — ${e.flows.size} flows</li>`).join('')}</ul>
</body></html>`;

/** Handles `/_sandbox…` and `/portal…`. */
export function handleControl(ctx: RequestContext, rt: SandboxRuntime, ca: string | undefined): Reply {
  try {
    return control(ctx, rt, ca);
  } catch (e) {
    if (e instanceof ServiceError) {
      return jsonReply(e.status, { error: { code: e.code, message: e.message } });
    }
    throw e;
  }
}

function control(ctx: RequestContext, rt: SandboxRuntime, ca: string | undefined): Reply {
  const path = ctx.url.pathname;
  if (path === '/portal' || path.startsWith('/portal/')) {
    return { status: 200, headers: { 'content-type': 'text/html; charset=utf-8' }, body: portalHtml(rt) };
  }
  const parts = path.split('/').filter((p) => p !== '');
  switch (parts[1]) {
    case undefined:
      return jsonReply(200, describe(rt, ca));
    case 'token':
      return token(ctx, rt);
    case 'ca.pem':
      return ca === undefined
        ? jsonReply(404, {
            error: { code: 'NotFound', message: 'This sandbox runs without the identity endpoint.' },
          })
        : { status: 200, headers: { 'content-type': 'application/x-pem-file' }, body: ca };
    case 'faults':
      return faults(ctx, rt, parts[2]);
    case 'clock':
      return clock(ctx, rt);
    case 'settings':
      return settings(ctx, rt);
    case 'machines':
      return machine(ctx, rt, parts[2] ?? '', parts[3] ?? '');
    default:
      return jsonReply(404, {
        error: { code: 'NotFound', message: `Unknown sandbox control route ${path}.` },
      });
  }
}
