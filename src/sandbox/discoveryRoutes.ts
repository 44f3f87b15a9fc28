/**
 * Global Discovery Service (reference 2.1, blueprint row 1): `GET /api/discovery/v2.0/Instances`
 * with `$select`, case-sensitive `$filter`, and key forms that still answer with a collection.
 */
import { authenticate } from './auth';
import { jsonReply, ServiceError } from './httpUtil';
import type { Reply, RequestContext } from './httpUtil';
import { FilterError, parseFilter } from './odataFilter';
import { evaluateFilter } from './odataFilterEval';
import type { Literal } from './odataFilter';
import { queryCollection, schemaOf } from './odataQuery';
import type { EntityDef, EntityStore } from './odataQuery';
import { orgApiUrl, orgUrl, serviceUrls } from './sandboxRuntime';
import type { SandboxRuntime } from './sandboxRuntime';

const instanceEntity: EntityDef = {
  set: 'Instances',
  logicalName: 'Instance',
  key: 'Id',
  properties: {
    Id: { type: 'guid' },
    UniqueName: { type: 'string' },
    UrlName: { type: 'string' },
    FriendlyName: { type: 'string' },
    State: { type: 'int' },
    Version: { type: 'string' },
    Url: { type: 'string' },
    ApiUrl: { type: 'string' },
    LastUpdated: { type: 'datetime' },
    EnvironmentId: { type: 'string' },
    Region: { type: 'string' },
    TenantId: { type: 'guid' },
    DatacenterId: { type: 'string' },
    DatacenterName: { type: 'string' },
    OrganizationType: { type: 'int' },
    Purpose: { type: 'string' },
    SchemaType: { type: 'string' },
    StatusMessage: { type: 'int' },
    IsUserSysAdmin: { type: 'boolean' },
    TrialExpirationDate: { type: 'datetime' },
  },
};

function instances(rt: SandboxRuntime): Record<string, unknown>[] {
  return [...rt.environments.values()]
    .filter((e) => e.seed.dataverse !== false)
    .map((e) => ({
      Id: e.seed.organizationId,
      UniqueName: e.seed.uniqueName ?? `unq${e.seed.organizationId.replace(/-/g, '').slice(0, 24)}`,
      UrlName: e.seed.name,
      FriendlyName: e.seed.friendlyName,
      State: 0,
      Version: '9.2.25031.00180',
      Url: orgUrl(rt.origin, e.seed.name),
      ApiUrl: orgApiUrl(rt.origin, e.seed.name),
      LastUpdated: '2025-03-01T06:00:00Z',
      EnvironmentId: e.seed.environmentId,
      Region: e.seed.region ?? 'NA',
      TenantId: rt.data.tenantId,
      DatacenterId: '5f2b1a9e-3c4d-4e6f-8a0b-1c2d3e4f5a6b',
      DatacenterName: null,
      OrganizationType: 0,
      Purpose: '',
      SchemaType: 'Standard',
      StatusMessage: 6,
      IsUserSysAdmin: e.seed.isDefault !== true,
      TrialExpirationDate: null,
    }));
}

function gdsError(e: ServiceError): Reply {
  return jsonReply(
    e.status,
    { error: { code: e.code, message: e.message } },
    { 'odata-version': '4.0', ...e.headers },
  );
}

/** Key forms `Instances(<guid>)`, `Instances(UniqueName='x')`, `Instances(Region='NA')`… as a filter. */
function keyPredicate(keyText: string): (row: Record<string, unknown>) => boolean {
  const alternate = /^(UniqueName|Region|State|Version)=(.+)$/.exec(keyText);
  const [prop, literalText] = alternate ? [alternate[1] as string, alternate[2] as string] : ['Id', keyText];
  let node;
  try {
    node = parseFilter(`${prop} eq ${literalText}`, schemaOf(instanceEntity));
  } catch (e) {
    if (e instanceof FilterError) {
      throw new ServiceError(400, e.code, `The key '${keyText}' is not valid for 'Instances'.`);
    }
    throw e;
  }
  const lit = (node as { right?: { lit?: Literal } }).right?.lit;
  if (lit === undefined) {
    throw new ServiceError(400, '0x80060888', 'Bad Request - Error in query syntax.');
  }
  return (row) => evaluateFilter(node, row, schemaOf(instanceEntity), { caseSensitive: true, now: 0 });
}

/** Handles `/discovery/...`; `path` is the part after `/discovery`. */
export function handleDiscovery(ctx: RequestContext, rt: SandboxRuntime, path: string): Reply {
  const root = `${serviceUrls(rt.origin).discovery}/api/discovery/v2.0/`;
  try {
    authenticate(ctx, rt, [serviceUrls(rt.origin).discovery], 'dataverse');
    if (ctx.method !== 'GET') {
      throw new ServiceError(
        405,
        '',
        `The HTTP method '${ctx.method}' is not supported by the discovery service.`,
      );
    }
    if (path === '/api/discovery/v2.0/' || path === '/api/discovery/v2.0') {
      return jsonReply(200, {
        '@odata.context': `${root}$metadata`,
        value: [{ name: 'Instances', kind: 'EntitySet', url: 'Instances' }],
      });
    }
    const m = /^\/api\/discovery\/v2\.0\/Instances(?:\((.*)\))?$/.exec(path);
    if (!m) {
      const segment =
        path
          .split('/')
          .filter((s) => s !== '')
          .pop() ?? '';
      throw new ServiceError(404, '', `Resource not found for the segment '${segment}'.`);
    }
    let rows = instances(rt);
    if (m[1] !== undefined) {
      const predicate = keyPredicate(m[1]);
      rows = rows.filter(predicate);
    }
    const store: EntityStore = {
      def: (s) => (s === 'Instances' ? instanceEntity : undefined),
      defByLogicalName: () => undefined,
      rows: () => rows,
    };
    const { body } = queryCollection(ctx, instanceEntity, rows, {
      store,
      serviceRoot: root,
      caseSensitive: true,
      now: rt.clock.now(),
      dataverse: false,
    });
    return jsonReply(200, body, {
      'odata-version': '4.0',
      'content-type': 'application/json; odata.metadata=minimal',
    });
  } catch (e) {
    if (e instanceof ServiceError) {
      return gdsError(e);
    }
    throw e;
  }
}
