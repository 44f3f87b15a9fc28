/**
 * The Dataverse Web API of each environment (`<base>/org/<name>/api/data/v9.2/…`, also served on the
 * environment's ApiUrl `<base>/orgapi/<name>`): WhoAmI, entity sets, single records, properties and
 * `/$value`, navigations, the run actions, service protection limits, and Dataverse error bodies
 * (reference 3.1, 4.10, 7; blueprint rows 3–14).
 */
import { authenticate } from './auth';
import { isTerminalStatus } from './dataverseEntities';
import type { EnvironmentState, Run } from './environmentState';
import { header, jsonReply, ServiceError } from './httpUtil';
import type { Reply, RequestContext } from './httpUtil';
import { isGuid } from './ids';
import { queryCollection, queryEntity } from './odataQuery';
import type { EntityDef, QueryEnvironment } from './odataQuery';
import { assertOwner, cancelDesktopFlowRun, runDesktopFlow } from './runActions';
import type { Caller } from './runActions';
import { sensitiveMask } from './runRecords';
import { seedTenantId } from './seed';
import { orgUrl } from './sandboxRuntime';
import type { SandboxRuntime } from './sandboxRuntime';

const odataJson =
  'application/json; odata.metadata=minimal; odata.streaming=true; IEEE754Compatible=false; charset=utf-8';
const fileColumns = new Set(['inputs', 'outputs', 'additionalcontext']);

function dataverseHeaders(ctx: RequestContext): Record<string, string> {
  return { 'odata-version': '4.0', req_id: ctx.requestId, 'x-ms-service-request-id': ctx.requestId };
}

/** Renders a ServiceError as Dataverse's `{ error: { code, message } }` (annotations when preferred). */
export function dataverseError(ctx: RequestContext, e: ServiceError): Reply {
  const error: Record<string, unknown> = { code: e.code, message: e.message };
  if (/odata\.include-annotations/i.test(header(ctx, 'prefer') ?? '')) {
    error['@Microsoft.PowerApps.CDS.ErrorDetails.OperationStatus'] = '0';
    error['@Microsoft.PowerApps.CDS.HelpLink'] =
      `http://go.microsoft.com/fwlink/?LinkID=398563&error=Microsoft.Crm.CrmException%3a${e.code}&client=platform`;
    error['@Microsoft.PowerApps.CDS.TraceText'] = `[Sandbox] ${e.message}`;
    error['@Microsoft.PowerApps.CDS.InnerError.Message'] = e.message;
  }
  return jsonReply(e.status, { error }, { ...dataverseHeaders(ctx), ...e.headers });
}

function noResource(ctx: RequestContext): ServiceError {
  return new ServiceError(
    404,
    '',
    `No HTTP resource was found that matches the request URI '${ctx.url.toString()}'.`,
  );
}

function segmentNotFound(name: string): ServiceError {
  return new ServiceError(404, '0x8006088a', `Resource not found for the segment '${name}'.`);
}

function doesNotExist(def: EntityDef, id: string): ServiceError {
  return new ServiceError(404, '0x80040217', `${def.logicalName} With Id = ${id} Does Not Exist`);
}

function parseKey(def: EntityDef, raw: string): string {
  const named = new RegExp(`^${def.key}=(.*)$`).exec(raw);
  const value = named ? (named[1] as string) : raw;
  if (!isGuid(value)) {
    throw new ServiceError(400, '0x80060888', 'Bad Request - Error in query syntax.');
  }
  return value.toLowerCase();
}

function includeUnpublished(ctx: RequestContext): boolean {
  return (header(ctx, 'mscrm.includeunpublished') ?? '').toLowerCase() === 'true';
}

/** Rows of a set the caller may see: drafts only with the header; others' runs only for admins. */
function visibleRows(
  ctx: RequestContext,
  env: EnvironmentState,
  set: string,
  caller: Caller,
): readonly Record<string, unknown>[] {
  if (set === 'workflows') {
    return env.visibleWorkflows(includeUnpublished(ctx));
  }
  if (set === 'flowsessions' && !caller.admin) {
    return env.rows(set).filter((r) => r._ownerid_value === caller.systemUserId);
  }
  return env.rows(set);
}

function fileReply(ctx: RequestContext, name: string, content: string): Reply {
  const bytes = Buffer.from(content, 'utf8');
  const headers: Record<string, string> = {
    ...dataverseHeaders(ctx),
    'content-type': 'application/octet-stream',
    'x-ms-file-name': name,
    'x-ms-file-size': String(bytes.length),
    mimetype: 'application/json',
    'accept-ranges': 'bytes',
  };
  const range = /^bytes=(\d+)-(\d*)$/.exec(header(ctx, 'range') ?? '');
  if (range) {
    const start = Number(range[1]);
    const end = Math.min(range[2] === '' ? bytes.length - 1 : Number(range[2]), bytes.length - 1);
    if (start > end) {
      return { status: 416, headers: { ...headers, 'content-range': `bytes */${bytes.length}` } };
    }
    return {
      status: 206,
      headers: { ...headers, 'content-range': `bytes ${start}-${end}/${bytes.length}` },
      body: bytes.subarray(start, end + 1),
    };
  }
  return { status: 200, headers, body: bytes };
}

/** Content of a flowsession file column, or undefined when empty. */
function runFile(run: Run, column: string): string | undefined {
  switch (column) {
    case 'inputs': {
      // Sensitive inputs are not shown in run details (reference 3.6).
      const masked = Object.fromEntries(
        Object.entries(run.inputs).map(([k, v]) => [
          k,
          run.flow.inputs.find((x) => x.name === k)?.sensitive === true ? sensitiveMask : v,
        ]),
      );
      return JSON.stringify(masked);
    }
    case 'outputs':
      return run.outputs === undefined ? undefined : JSON.stringify(run.outputs);
    case 'additionalcontext':
      return run.actionLog.length === 0
        ? undefined
        : JSON.stringify({ actions: run.actionLog, childFlowsLogStatus: 'Default' });
    default:
      return undefined;
  }
}

/** Handles `/org/<name>/…` and `/orgapi/<name>/…`; `rest` is the part after the environment name. */
export function handleDataverse(
  ctx: RequestContext,
  rt: SandboxRuntime,
  envName: string,
  rest: string,
): Reply {
  const env = rt.environments.get(envName);
  let release: (() => void) | undefined;
  try {
    if (env === undefined || env.seed.dataverse === false) {
      throw new ServiceError(404, '', `The organization '${envName}' does not exist.`);
    }
    const claims = authenticate(ctx, rt, [orgUrl(rt.origin, envName)], 'dataverse');
    const oid = typeof claims.oid === 'string' ? claims.oid : String(claims.sub ?? 'unknown');
    const user = rt.data.users.find((u) => u.oid.toLowerCase() === oid.toLowerCase());
    const caller: Caller = {
      oid,
      systemUserId: env.systemUserId(oid),
      admin: user?.systemAdministrator === true,
    };
    const userKey = `${envName}/${oid.toLowerCase()}`;
    release = rt.limits.enter(userKey);
    if (release === undefined) {
      throw new ServiceError(
        429,
        '0x80072326',
        `Number of concurrent requests exceeded the limit of ${rt.settings.concurrentRequestLimit}.`,
        {
          'retry-after': '1',
        },
      );
    }
    const budget = rt.limits.takeRequest(userKey);
    if (!budget.ok) {
      const { limit, windowSeconds } = rt.settings.requestBudget;
      throw new ServiceError(
        429,
        '0x80072322',
        `Number of requests exceeded the limit of ${limit} over time window of ${windowSeconds} seconds.`,
        {
          'retry-after': String(budget.retryAfterSeconds),
        },
      );
    }
    const reply = route(ctx, rt, env, rest, caller);
    reply.headers = {
      ...dataverseHeaders(ctx),
      'x-ms-ratelimit-burst-remaining-xrm-requests': String(budget.remaining),
      ...reply.headers,
    };
    reply.done = release;
    return reply;
  } catch (e) {
    if (e instanceof ServiceError) {
      const reply = dataverseError(ctx, e);
      reply.done = release;
      return reply;
    }
    release?.();
    throw e;
  }
}

function route(
  ctx: RequestContext,
  rt: SandboxRuntime,
  env: EnvironmentState,
  rest: string,
  caller: Caller,
): Reply {
  const base = /^\/api\/data\/(v9\.[0-2])(\/.*)?$/.exec(rest);
  if (!base) {
    throw noResource(ctx);
  }
  const origin = ctx.url.pathname.slice(0, ctx.url.pathname.length - rest.length);
  const serviceRoot = `${ctx.url.origin}${origin}/api/data/${base[1] as string}/`;
  const qenv: QueryEnvironment = {
    store: env,
    serviceRoot,
    caseSensitive: false,
    now: rt.clock.now(),
    dataverse: true,
  };
  const ok = (body: unknown, headers: Record<string, string> = {}): Reply =>
    jsonReply(200, body, { 'content-type': odataJson, ...headers });
  const segments = (base[2] ?? '/').slice(1).split('/');
  const first = segments[0] ?? '';
  if (first === '' && segments.length === 1) {
    return ok({
      '@odata.context': `${serviceRoot}$metadata`,
      value: listSets(env),
    });
  }
  const m = /^([A-Za-z_][\w.]*)(?:\((.*)\))?$/.exec(first);
  if (!m) {
    throw segmentNotFound(first);
  }
  const name = m[1] as string;
  const key = m[2];
  if (name === 'WhoAmI') {
    if (ctx.method !== 'GET' || segments.length > 1 || (key !== undefined && key !== '')) {
      throw noResource(ctx);
    }
    return ok({
      '@odata.context': `${serviceRoot}$metadata#Microsoft.Dynamics.CRM.WhoAmIResponse`,
      BusinessUnitId: env.businessUnitId,
      UserId: caller.systemUserId,
      OrganizationId: env.seed.organizationId,
    });
  }
  if (name === 'RetrieveCurrentOrganization') {
    // https://learn.microsoft.com/power-apps/developer/data-platform/webapi/reference/retrievecurrentorganization
    // Called as RetrieveCurrentOrganization(AccessType=@p)?@p=Microsoft.Dynamics.CRM.EndpointAccessType'Default'.
    if (ctx.method !== 'GET' || segments.length > 1 || !/^AccessType=/.test(key ?? '')) {
      throw noResource(ctx);
    }
    const seed = env.seed;
    const urlName = seed.name;
    return ok({
      '@odata.context': `${serviceRoot}$metadata#Microsoft.Dynamics.CRM.RetrieveCurrentOrganizationResponse`,
      Detail: {
        OrganizationId: seed.organizationId,
        FriendlyName: seed.friendlyName,
        OrganizationVersion: '9.2.25012.00000',
        EnvironmentId: seed.environmentId,
        DatacenterId: '00000000-0000-0000-0000-000000000000',
        Geo: seed.region ?? 'NA',
        TenantId: seedTenantId,
        UrlName: urlName,
        UniqueName: seed.uniqueName ?? `unq${seed.organizationId.replace(/-/g, '').slice(0, 24)}`,
        State: 'Enabled',
        SchemaType: 'Standard',
        OrganizationType: 'Customer',
      },
    });
  }
  const def = env.def(name);
  if (def === undefined) {
    throw segmentNotFound(name);
  }
  if (key === undefined) {
    if (segments.length > 1) {
      throw segmentNotFound(segments[1] ?? '');
    }
    if (ctx.method !== 'GET') {
      throw new ServiceError(
        405,
        '0x80060888',
        `The sandbox serves '${name}' read-only; ${ctx.method} is not allowed.`,
      );
    }
    const { body, headers } = queryCollection(ctx, def, visibleRows(ctx, env, name, caller), qenv);
    return ok(body, headers);
  }
  const id = parseKey(def, key);
  // Actions look the record up without the draft filter: running a draft gives a clearer error than 404.
  const anyRow = env.row(name, id);
  const row = visibleRows(ctx, env, name, caller).find(
    (r) => String(r[def.key] as string).toLowerCase() === id,
  );
  const second = segments[1];
  if (second !== undefined && second.startsWith('Microsoft.Dynamics.CRM.')) {
    if (segments.length > 2) {
      throw segmentNotFound(segments[2] ?? '');
    }
    const action = second.slice('Microsoft.Dynamics.CRM.'.length);
    const known =
      (name === 'workflows' && action === 'RunDesktopFlow') ||
      (name === 'flowsessions' && action === 'CancelDesktopFlowRun');
    if (!known) {
      throw segmentNotFound(second);
    }
    if (ctx.method !== 'POST') {
      throw noResource(ctx);
    }
    if (anyRow === undefined) {
      throw doesNotExist(def, id);
    }
    if (name === 'workflows') {
      return runDesktopFlow(
        ctx,
        rt,
        env,
        env.flows.get(id) as NonNullable<ReturnType<typeof env.flows.get>>,
        caller,
        serviceRoot,
      );
    }
    return cancelDesktopFlowRun(ctx, rt, env, env.runs.get(String(anyRow.flowsessionid)) as Run, caller);
  }
  if (row === undefined) {
    if (anyRow !== undefined && name === 'flowsessions') {
      assertOwner(env.runs.get(String(anyRow.flowsessionid)) as Run, caller, 'prvReadflowsession');
    }
    throw doesNotExist(def, id);
  }
  if (ctx.method !== 'GET') {
    throw new ServiceError(
      405,
      '0x80060888',
      `The sandbox serves '${name}' read-only; ${ctx.method} is not allowed.`,
    );
  }
  if (second === undefined) {
    const { body, headers } = queryEntity(ctx, def, row, qenv);
    return ok(body, headers);
  }
  const nav = def.navigations?.[second];
  if (nav !== undefined) {
    if (segments.length > 2) {
      throw segmentNotFound(segments[2] ?? '');
    }
    const target = env.def(nav.target) as EntityDef;
    const targetRows = visibleRows(ctx, env, nav.target, caller);
    if (nav.kind === 'single') {
      const hit = targetRows.find((r) => r[target.key] === row[nav.via]);
      if (hit === undefined) {
        return { status: 204, headers: {} };
      }
      const { body, headers } = queryEntity(ctx, target, hit, qenv);
      return ok(body, headers);
    }
    const scoped = targetRows.filter((r) => r[nav.via] === row[def.key]);
    const { body, headers } = queryCollection(ctx, target, scoped, qenv);
    return ok(body, headers);
  }
  if (def.properties[second] === undefined) {
    throw segmentNotFound(second);
  }
  const third = segments[2];
  if (third === undefined) {
    return ok({
      '@odata.context': `${serviceRoot}$metadata#${name}(${id})/${second}`,
      value: row[second] ?? null,
    });
  }
  if (third !== '$value' || segments.length > 3) {
    throw segmentNotFound(third);
  }
  if (name === 'flowsessions' && fileColumns.has(second)) {
    const run = env.runs.get(String(row.flowsessionid)) as Run;
    const content = runFile(run, second);
    if (content === undefined) {
      const status = isTerminalStatus(run.row.statuscode as number) ? 'finished' : 'in progress';
      throw new ServiceError(
        404,
        '0x80040217',
        `No file attachment found for attribute: ${second} EntityId: ${id} (run ${status}).`,
      );
    }
    return fileReply(ctx, `${second}.json`, content);
  }
  const value = row[second];
  if (value === null || value === undefined) {
    return { status: 204, headers: {} };
  }
  return {
    status: 200,
    headers: { 'content-type': 'text/plain; charset=utf-8' },
    body: typeof value === 'string' ? value : JSON.stringify(value),
  };
}

function listSets(env: EnvironmentState): { name: string; kind: string; url: string }[] {
  return [
    'workflows',
    'flowsessions',
    'flowmachines',
    'flowmachinegroups',
    'connectionreferences',
    'systemusers',
    'flowlogs',
  ]
    .filter((s) => env.def(s) !== undefined)
    .map((s) => ({ name: s, kind: 'EntitySet', url: s }));
}
