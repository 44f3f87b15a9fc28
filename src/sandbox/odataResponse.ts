/**
 * OData response details: the `Prefer` header (`odata.maxpagesize`, `odata.include-annotations`),
 * formatted-value and lookup annotations (reference 3.1), and the `$skiptoken` paging cookie.
 */
import { header, ServiceError } from './httpUtil';
import type { RequestContext } from './httpUtil';
import { scalarText } from './odataFilterEval';
import type { PropertyDef, QueryEnvironment } from './odataQuery';

/** Largest page Dataverse serves. */
export const maxPage = 5000;

export interface Prefer {
  maxPageSize?: number;
  annotations?: string[];
}

/** Parses the `Prefer` header. */
export function parsePrefer(ctx: RequestContext): Prefer {
  const raw = header(ctx, 'prefer') ?? '';
  const out: Prefer = {};
  for (const part of raw.split(/,(?=(?:[^"]*"[^"]*")*[^"]*$)/)) {
    const [name, value] = part.split('=').map((s) => s.trim());
    if (name === 'odata.maxpagesize' && value !== undefined && /^\d+$/.test(value)) {
      out.maxPageSize = Math.min(Math.max(1, Number(value)), maxPage);
    } else if (name === 'odata.include-annotations' && value !== undefined) {
      out.annotations = value
        .replace(/"/g, '')
        .split(',')
        .map((s) => s.trim());
    }
  }
  return out;
}

/** True when the `Prefer` header asked for annotation `name`. */
export function annotationWanted(prefer: Prefer, name: string): boolean {
  return (prefer.annotations ?? []).some((p) => {
    const pattern = p.startsWith('-') ? '' : p;
    return (
      pattern === '*' || pattern === name || (pattern.endsWith('*') && name.startsWith(pattern.slice(0, -1)))
    );
  });
}

/** The `FormattedValue` annotation of a column value, when it has one. */
export function formatValue(def: PropertyDef, value: unknown, env: QueryEnvironment): string | undefined {
  if (value === null || value === undefined) {
    return undefined;
  }
  if (def.choices && typeof value === 'number') {
    return def.choices[value];
  }
  if (def.lookup) {
    const target = env.store.defByLogicalName(def.lookup.entity);
    const row =
      target?.nameProperty === undefined
        ? undefined
        : env.store.rows(target.set).find((r) => r[target.key] === value);
    const name = row?.[target?.nameProperty ?? ''];
    return typeof name === 'string' ? name : undefined;
  }
  switch (def.type) {
    case 'datetime': {
      const d = new Date(scalarText(value));
      return `${d.getUTCMonth() + 1}/${d.getUTCDate()}/${d.getUTCFullYear()} ${((d.getUTCHours() + 11) % 12) + 1}:${String(d.getUTCMinutes()).padStart(2, '0')} ${d.getUTCHours() < 12 ? 'AM' : 'PM'}`;
    }
    case 'boolean':
      return value === true ? 'Yes' : 'No';
    case 'int':
    case 'double':
      return typeof value === 'number' ? value.toLocaleString('en-US') : undefined;
    case 'string':
    case 'guid':
      return undefined;
  }
}

/** Shapes one row for output: etag, selected properties (plus the key), annotations, expansions. */
/** A Dataverse-style paging cookie holding the offset of the next page. */
export function makeSkipToken(page: number, offset: number): string {
  const inner = `<cookie page="${page}" offset="${offset}" />`;
  return `<cookie pagenumber="${page + 1}" pagingcookie="${encodeURIComponent(encodeURIComponent(inner))}" istracking="False" />`;
}

/** The offset in a `$skiptoken`; 400 when it is not one of ours. */
export function readSkipToken(token: string): number {
  const m = /pagingcookie="([^"]*)"/.exec(token);
  const inner = m ? decodeURIComponent(decodeURIComponent(m[1] as string)) : '';
  const offset = /offset="(\d+)"/.exec(inner);
  if (!offset) {
    throw new ServiceError(
      400,
      '0x80060888',
      'Bad Request - Error in query syntax. The $skiptoken is not valid.',
    );
  }
  return Number(offset[1]);
}
