/**
 * Generic OData collection and entity reads for the sandbox's Dataverse and GDS endpoints: query
 * option validation, `$select` (plus the key), `$filter`, `$orderby`, `$top`, `$count`, `$expand`,
 * `Prefer: odata.maxpagesize` paging with `@odata.nextLink` / `$skiptoken`, `@odata.etag`, and the
 * `odata.include-annotations` formatted values and lookup annotations (reference 3.1).
 */
import { FilterError, parseFilter } from './odataFilter';
import { evaluateFilter, scalarText } from './odataFilterEval';
import type { FilterNode, FilterSchema, PropertyType } from './odataFilter';
import { queryPairs, ServiceError } from './httpUtil';
import {
  annotationWanted,
  formatValue,
  makeSkipToken,
  maxPage,
  parsePrefer,
  readSkipToken,
} from './odataResponse';
import type { Prefer } from './odataResponse';
import type { RequestContext } from './httpUtil';

/** One property of an entity type. */
export interface PropertyDef {
  type: PropertyType;
  /** Labels of a choice (option set) column, for `FormattedValue`. */
  choices?: Readonly<Record<number, string>>;
  /** For `_x_value` lookups: the target entity's logical name and the navigation property. */
  lookup?: { entity: string; navigation: string };
}

/** A navigation property usable in `$expand` and as a path segment. */
export interface NavigationDef {
  /** Target entity set. */
  target: string;
  kind: 'single' | 'collection';
  /** single: this row's lookup property holding the target key; collection: the target's lookup back here. */
  via: string;
}

export interface EntityDef {
  /** Entity set name, e.g. `workflows`. */
  set: string;
  /** Logical name, e.g. `workflow`. */
  logicalName: string;
  /** Primary key property, e.g. `workflowid`. */
  key: string;
  properties: Readonly<Record<string, PropertyDef>>;
  navigations?: Readonly<Record<string, NavigationDef>>;
  /** Property holding the row version for `@odata.etag`; none for GDS. */
  versionProperty?: string;
  /** Row that names the record in lookup formatted values. */
  nameProperty?: string;
}

/** Access to rows of entity sets, for `$expand` and lookup formatted values. */
export interface EntityStore {
  def(set: string): EntityDef | undefined;
  defByLogicalName(logicalName: string): EntityDef | undefined;
  rows(set: string): readonly Record<string, unknown>[];
}

export interface QueryEnvironment {
  store: EntityStore;
  /** Service root with trailing slash, e.g. `http://127.0.0.1:5555/org/contoso-dev/api/data/v9.2/`. */
  serviceRoot: string;
  caseSensitive: boolean;
  now: number;
  /** GDS neither pages nor annotates. */
  dataverse: boolean;
}

interface Expand {
  navigation: string;
  def: NavigationDef;
  select?: string[];
}

export function schemaOf(def: EntityDef): FilterSchema {
  return {
    typeName: `Microsoft.Dynamics.CRM.${def.logicalName}`,
    propertyType: (n) => def.properties[n]?.type,
  };
}

function unknownProperty(def: EntityDef, name: string): ServiceError {
  return new ServiceError(
    400,
    '0x0',
    `Could not find a property named '${name}' on type 'Microsoft.Dynamics.CRM.${def.logicalName}'.`,
  );
}

function selectList(def: EntityDef, raw: string): string[] {
  const names = raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  for (const n of names) {
    if (def.properties[n] === undefined) {
      throw unknownProperty(def, n);
    }
  }
  return names;
}

function parseExpand(def: EntityDef, raw: string, store: EntityStore): Expand[] {
  const items: Expand[] = [];
  // Split on commas outside parentheses.
  let depth = 0;
  let start = 0;
  const parts: string[] = [];
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] === '(') depth++;
    if (raw[i] === ')') depth--;
    if (raw[i] === ',' && depth === 0) {
      parts.push(raw.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(raw.slice(start));
  for (const part of parts.map((p) => p.trim())) {
    const m = /^([\w]+)(?:\((.*)\))?$/.exec(part);
    const nav = m === null ? undefined : def.navigations?.[m[1] as string];
    if (m === null || nav === undefined) {
      throw new ServiceError(
        400,
        '0x0',
        `Could not find a property named '${part}' on type 'Microsoft.Dynamics.CRM.${def.logicalName}'.`,
      );
    }
    const target = store.def(nav.target) as EntityDef;
    let select: string[] | undefined;
    for (const opt of (m[2] ?? '').split(';').filter((s) => s.trim() !== '')) {
      const [k, v] = opt.split('=');
      if (k?.trim() !== '$select' || v === undefined) {
        throw new ServiceError(
          400,
          '0x0',
          `The query option '${k ?? ''}' is not supported inside $expand by the sandbox.`,
        );
      }
      select = selectList(target, v);
    }
    items.push({ navigation: m[1] as string, def: nav, ...(select ? { select } : {}) });
  }
  return items;
}

const collectionOptions = new Set([
  '$select',
  '$filter',
  '$orderby',
  '$top',
  '$count',
  '$expand',
  '$skiptoken',
]);
const entityOptions = new Set(['$select', '$expand']);

function shapeRow(
  def: EntityDef,
  row: Record<string, unknown>,
  select: string[] | undefined,
  expand: Expand[],
  prefer: Prefer,
  env: QueryEnvironment,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (def.versionProperty !== undefined && env.dataverse) {
    out['@odata.etag'] = `W/"${String(row[def.versionProperty])}"`;
  }
  const names = select ? [...new Set([...select, def.key])] : Object.keys(def.properties);
  for (const n of names) {
    const p = def.properties[n] as PropertyDef;
    const value = row[n] ?? null;
    if (env.dataverse && prefer.annotations !== undefined) {
      const formatted = formatValue(p, value, env);
      if (formatted !== undefined && annotationWanted(prefer, 'OData.Community.Display.V1.FormattedValue')) {
        out[`${n}@OData.Community.Display.V1.FormattedValue`] = formatted;
      }
      if (p.lookup && value !== null) {
        if (annotationWanted(prefer, 'Microsoft.Dynamics.CRM.associatednavigationproperty')) {
          out[`${n}@Microsoft.Dynamics.CRM.associatednavigationproperty`] = p.lookup.navigation;
        }
        if (annotationWanted(prefer, 'Microsoft.Dynamics.CRM.lookuplogicalname')) {
          out[`${n}@Microsoft.Dynamics.CRM.lookuplogicalname`] = p.lookup.entity;
        }
      }
    }
    out[n] = value;
  }
  for (const e of expand) {
    const target = env.store.def(e.def.target) as EntityDef;
    if (e.def.kind === 'single') {
      const id = row[e.def.via];
      const hit =
        id === null || id === undefined
          ? undefined
          : env.store.rows(target.set).find((r) => r[target.key] === id);
      out[e.navigation] = hit === undefined ? null : shapeRow(target, hit, e.select, [], prefer, env);
    } else {
      const key = row[def.key];
      out[e.navigation] = env.store
        .rows(target.set)
        .filter((r) => r[e.def.via] === key)
        .map((r) => shapeRow(target, r, e.select, [], prefer, env));
    }
  }
  return out;
}

function compareValues(a: unknown, b: unknown, type: PropertyType): number {
  // Nulls sort first ascending, as in SQL Server.
  const aNull = a === null || a === undefined;
  const bNull = b === null || b === undefined;
  if (aNull || bNull) {
    return aNull ? (bNull ? 0 : -1) : 1;
  }
  if (type === 'datetime') {
    return Date.parse(a as string) - Date.parse(b as string);
  }
  if (typeof a === 'number' && typeof b === 'number') {
    return a - b;
  }
  if (typeof a === 'boolean' && typeof b === 'boolean') {
    return Number(a) - Number(b);
  }
  const sa = scalarText(a).toLowerCase();
  const sb = scalarText(b).toLowerCase();
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

function contextFor(
  env: QueryEnvironment,
  path: string,
  select: string[] | undefined,
  expand: Expand[],
  suffix = '',
): string {
  const parts = [...(select ?? []), ...expand.map((e) => `${e.navigation}(${(e.select ?? []).join(',')})`)];
  return `${env.serviceRoot}$metadata#${path}${parts.length > 0 ? `(${parts.join(',')})` : ''}${suffix}`;
}

function optionMap(
  ctx: RequestContext,
  allowed: Set<string>,
  extraAllowed: readonly string[],
): Map<string, string> {
  const out = new Map<string, string>();
  for (const [name, value] of queryPairs(ctx.rawQuery)) {
    if (name.startsWith('$')) {
      if (!allowed.has(name)) {
        throw new ServiceError(400, '0x0', `The query parameter '${name}' is not supported.`);
      }
      if (out.has(name)) {
        throw new ServiceError(
          400,
          '0x0',
          `Query option '${name}' was specified more than once, but it must be specified at most once.`,
        );
      }
      out.set(name, value);
    } else if (!extraAllowed.includes(name) && !name.startsWith('@')) {
      // Custom (non-$) query options are ignored by OData services; the sandbox is strict about the
      // ones a client might mistake for system options.
      if (['select', 'filter', 'orderby', 'top', 'expand', 'fetchXml'].includes(name)) {
        throw new ServiceError(400, '0x0', `The query parameter '${name}' is not supported.`);
      }
    }
  }
  return out;
}

/** Answers a collection GET over `rows` (already scoped, e.g. to a navigation). */
export function queryCollection(
  ctx: RequestContext,
  def: EntityDef,
  rows: readonly Record<string, unknown>[],
  env: QueryEnvironment,
  contextPath: string = def.set,
  extraAllowed: readonly string[] = [],
): { body: Record<string, unknown>; headers: Record<string, string> } {
  const opts = optionMap(ctx, collectionOptions, extraAllowed);
  const prefer = parsePrefer(ctx);
  const select = opts.has('$select') ? selectList(def, opts.get('$select') as string) : undefined;
  const expand = opts.has('$expand') ? parseExpand(def, opts.get('$expand') as string, env.store) : [];
  let filter: FilterNode | undefined;
  if (opts.has('$filter')) {
    try {
      filter = parseFilter(opts.get('$filter') as string, schemaOf(def));
    } catch (e) {
      if (e instanceof FilterError) {
        throw new ServiceError(400, e.code, e.message);
      }
      throw e;
    }
  }
  const order = (opts.get('$orderby') ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((s) => {
      const [name, dir, extra] = s.split(/\s+/);
      if (extra !== undefined || (dir !== undefined && dir !== 'asc' && dir !== 'desc')) {
        throw new ServiceError(400, '0x80060888', 'Bad Request - Error in query syntax.');
      }
      const p = def.properties[name as string];
      if (p === undefined) {
        throw unknownProperty(def, name as string);
      }
      return { name: name as string, desc: dir === 'desc', type: p.type };
    });
  let top: number | undefined;
  if (opts.has('$top')) {
    const t = opts.get('$top') as string;
    if (!/^\d+$/.test(t)) {
      throw new ServiceError(400, '0x0', `Invalid value '${t}' for $top query option found.`);
    }
    top = Number(t);
  }
  const countRequested = opts.get('$count') === 'true';
  const skip = opts.has('$skiptoken') ? readSkipToken(opts.get('$skiptoken') as string) : 0;

  const schema = schemaOf(def);
  let result = filter === undefined ? [...rows] : rows.filter((r) => evaluateFilter(filter, r, schema, env));
  const keyOrder = [...order, { name: def.key, desc: false, type: 'guid' as PropertyType }];
  result.sort((a, b) => {
    for (const o of keyOrder) {
      const c = compareValues(a[o.name], b[o.name], o.type);
      if (c !== 0) {
        return o.desc ? -c : c;
      }
    }
    return 0;
  });
  const headers: Record<string, string> = {};
  const applied: string[] = [];
  // Documented: `$top` is ignored when `odata.maxpagesize` is also sent.
  const limit =
    env.dataverse && prefer.maxPageSize !== undefined
      ? result.length
      : Math.min(top ?? result.length, result.length);
  const total = result.length;
  result = result.slice(0, limit);
  const pageSize = env.dataverse ? (prefer.maxPageSize ?? maxPage) : result.length;
  const page = result.slice(skip, skip + pageSize);
  const body: Record<string, unknown> = { '@odata.context': contextFor(env, contextPath, select, expand) };
  if (countRequested) {
    body['@odata.count'] = Math.min(total, maxPage);
  }
  body.value = page.map((r) => shapeRow(def, r, select, expand, prefer, env));
  if (env.dataverse && skip + pageSize < result.length) {
    const rest = ctx.rawQuery
      .split('&')
      .filter((p) => p !== '' && !p.startsWith('$skiptoken=') && !p.startsWith('%24skiptoken='))
      .join('&');
    const token = encodeURIComponent(makeSkipToken(Math.floor(skip / pageSize) + 1, skip + pageSize));
    body['@odata.nextLink'] =
      `${ctx.url.origin}${ctx.url.pathname}?${rest === '' ? '' : `${rest}&`}$skiptoken=${token}`;
  }
  if (env.dataverse && prefer.maxPageSize !== undefined) {
    applied.push(`odata.maxpagesize=${prefer.maxPageSize}`);
  }
  if (env.dataverse && prefer.annotations !== undefined) {
    applied.push(`odata.include-annotations="${prefer.annotations.join(',')}"`);
  }
  if (applied.length > 0) {
    headers['preference-applied'] = applied.join(',');
  }
  return { body, headers };
}

/** Answers a single-entity GET (`set(id)`). */
export function queryEntity(
  ctx: RequestContext,
  def: EntityDef,
  row: Record<string, unknown>,
  env: QueryEnvironment,
): { body: Record<string, unknown>; headers: Record<string, string> } {
  const opts = optionMap(ctx, entityOptions, []);
  for (const [name] of queryPairs(ctx.rawQuery)) {
    if (collectionOptions.has(name) && !entityOptions.has(name)) {
      throw new ServiceError(400, '0x0', `Query option '${name}' is not allowed on a single entity.`);
    }
  }
  const prefer = parsePrefer(ctx);
  const select = opts.has('$select') ? selectList(def, opts.get('$select') as string) : undefined;
  const expand = opts.has('$expand') ? parseExpand(def, opts.get('$expand') as string, env.store) : [];
  const body = {
    '@odata.context': contextFor(env, def.set, select, expand, '/$entity'),
    ...shapeRow(def, row, select, expand, prefer, env),
  };
  const headers: Record<string, string> = {};
  if (def.versionProperty !== undefined) {
    headers.etag = `W/"${String(row[def.versionProperty])}"`;
  }
  if (prefer.annotations !== undefined) {
    headers['preference-applied'] = `odata.include-annotations="${prefer.annotations.join(',')}"`;
  }
  return { body, headers };
}
