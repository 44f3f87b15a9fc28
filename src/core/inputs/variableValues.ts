/**
 * Converting loose values (stored defaults, resolved secrets, run outputs) to a variable's kind, and
 * describing JSON values in the words PAD uses. Shared by schema conversion, trigger-time reference
 * resolution and "Save Outputs as Input File".
 */
import type { VariableKind } from './desktopFlowSchema';

/** The outcome of `coerceToKind`. */
export type Coerced = { readonly ok: true; readonly value: unknown } | { readonly ok: false };

const jsonNumber = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

function parseJson(text: string): Coerced {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}

function isPlainObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Convert `value` to a JSON value of `kind`. Strings are parsed where the kind is not text (schemas
 * carry defaults as strings, secrets resolve to strings): `"12.5"` → 12.5, `"true"` → true, `"[1]"` →
 * [1]. Text accepts numbers and booleans as their string form. Anything else fails.
 */
export function coerceToKind(value: unknown, kind: VariableKind): Coerced {
  switch (kind) {
    case 'unknown':
      return { ok: true, value };
    case 'text':
      if (typeof value === 'string') {
        return { ok: true, value };
      }
      return typeof value === 'number' || typeof value === 'boolean'
        ? { ok: true, value: String(value) }
        : { ok: false };
    case 'number': {
      if (typeof value === 'number') {
        return Number.isFinite(value) ? { ok: true, value } : { ok: false };
      }
      if (typeof value === 'string' && jsonNumber.test(value.trim())) {
        const n = Number(value.trim());
        return Number.isFinite(n) ? { ok: true, value: n } : { ok: false };
      }
      return { ok: false };
    }
    case 'boolean':
      if (typeof value === 'boolean') {
        return { ok: true, value };
      }
      if (typeof value === 'string') {
        const t = value.trim().toLowerCase();
        return t === 'true'
          ? { ok: true, value: true }
          : t === 'false'
            ? { ok: true, value: false }
            : { ok: false };
      }
      return { ok: false };
    case 'customObject':
    case 'list':
    case 'datatable': {
      const candidate = typeof value === 'string' ? parseJson(value.trim()) : { ok: true as const, value };
      if (!candidate.ok) {
        return candidate;
      }
      const v = candidate.value;
      const fits =
        kind === 'customObject'
          ? isPlainObject(v)
          : kind === 'list'
            ? Array.isArray(v)
            : Array.isArray(v) || isPlainObject(v);
      return fits ? candidate : { ok: false };
    }
  }
}

/** What a JSON value is, in PAD's words: "text", "number", "boolean", "custom object", "list", "null". */
export function describeValue(value: unknown): string {
  if (value === null) {
    return 'null';
  }
  if (Array.isArray(value)) {
    return 'a list';
  }
  switch (typeof value) {
    case 'string':
      return 'text';
    case 'number':
      return 'a number';
    case 'boolean':
      return 'a boolean';
    case 'object':
      return 'a custom object';
    case 'bigint':
    case 'function':
    case 'symbol':
    case 'undefined':
      break;
  }
  return typeof value;
}

/** A short JSON example of a kind, for "how to fix" hints. */
export function exampleOf(kind: VariableKind): string {
  switch (kind) {
    case 'text':
      return '"some text"';
    case 'number':
      return '42';
    case 'boolean':
      return 'true';
    case 'customObject':
      return '{ "name": "value" }';
    case 'list':
      return '["a", "b"]';
    case 'datatable':
      return '[{ "Column1": "value" }]';
    case 'unknown':
      return '"value"';
  }
}

/** Set an own property, even one named `__proto__` (plain assignment would change the prototype). */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}
