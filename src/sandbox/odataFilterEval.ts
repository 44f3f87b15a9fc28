/**
 * Evaluates a parsed `$filter` (odataFilter.ts) against a row: Dataverse compares strings without case,
 * GDS with case; GUIDs and datetimes compare by value; nulls only match `eq null`.
 */
import type {
  ComparisonOp,
  FilterNode,
  FilterSchema,
  LiteralType,
  Operand,
  PropertyType,
} from './odataFilter';

/** Evaluation settings. */
export interface EvaluateOptions {
  /** GDS compares strings case-sensitively; Dataverse does not. */
  caseSensitive: boolean;
  /** Current (sandbox) time for `LastX…` functions. */
  now: number;
}

type Scalar = string | number | boolean | null;

/** Text form of a scalar column value (objects as JSON). */
export function scalarText(v: unknown): string {
  return typeof v === 'string'
    ? v
    : typeof v === 'number' || typeof v === 'boolean'
      ? String(v)
      : JSON.stringify(v);
}

function normalise(v: unknown, type: PropertyType | LiteralType | undefined, caseSensitive: boolean): Scalar {
  if (v === null || v === undefined) {
    return null;
  }
  if (type === 'datetime') {
    return Date.parse(scalarText(v));
  }
  if (type === 'guid') {
    return scalarText(v).toLowerCase();
  }
  if (typeof v === 'string') {
    return caseSensitive ? v : v.toLowerCase();
  }
  if (typeof v === 'number' || typeof v === 'boolean') {
    return v;
  }
  return JSON.stringify(v);
}

/** True when `record` satisfies the filter. */
export function evaluateFilter(
  node: FilterNode,
  record: Record<string, unknown>,
  schema: FilterSchema,
  options: EvaluateOptions,
): boolean {
  const eval_ = (n: FilterNode): boolean => evaluateFilter(n, record, schema, options);
  switch (node.kind) {
    case 'and':
      return eval_(node.left) && eval_(node.right);
    case 'or':
      return eval_(node.left) || eval_(node.right);
    case 'not':
      return !eval_(node.operand);
    case 'const':
      return node.value;
    case 'prop':
      return record[node.name] === true;
    case 'text': {
      const raw = record[node.property];
      if (typeof raw !== 'string') {
        return false;
      }
      const value = options.caseSensitive ? raw : raw.toLowerCase();
      const needle = options.caseSensitive ? node.value : node.value.toLowerCase();
      return node.fn === 'contains'
        ? value.includes(needle)
        : node.fn === 'startswith'
          ? value.startsWith(needle)
          : value.endsWith(needle);
    }
    case 'in': {
      const raw = record[node.property];
      const found = raw !== null && raw !== undefined && node.values.includes(scalarText(raw).toLowerCase());
      return node.negate ? !found : found;
    }
    case 'lastx': {
      const raw = record[node.property];
      if (typeof raw !== 'string') {
        return false;
      }
      const t = Date.parse(raw);
      return t >= options.now - node.ms && t <= options.now;
    }
    case 'cmp': {
      const typeOf = (o: Operand): PropertyType | LiteralType | undefined =>
        o.kind === 'prop' ? schema.propertyType(o.name) : o.lit.type;
      // Both sides are normalised with the property's type, so a datetime literal meets a datetime column.
      const shared = node.left.kind === 'prop' ? typeOf(node.left) : typeOf(node.right);
      const valueOf = (o: Operand): Scalar =>
        normalise(
          o.kind === 'prop' ? record[o.name] : o.lit.value,
          shared ?? typeOf(o),
          options.caseSensitive,
        );
      const a = valueOf(node.left);
      const b = valueOf(node.right);
      return compare(node.op, a, b);
    }
  }
}

function compare(op: ComparisonOp, a: Scalar, b: Scalar): boolean {
  switch (op) {
    case 'eq':
      return a === b;
    case 'ne':
      return a !== b;
    case 'gt':
    case 'ge':
    case 'lt':
    case 'le': {
      if (a === null || b === null) {
        return false;
      }
      if (a === b) {
        return op === 'ge' || op === 'le';
      }
      const less = a < b;
      return op === 'lt' || op === 'le' ? less : !less;
    }
  }
}
