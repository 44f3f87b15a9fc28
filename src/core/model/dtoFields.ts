/**
 * Small readers for untrusted service JSON, used by the `fromDto` normalisers so that a missing or
 * wrongly-typed field becomes `undefined` instead of a crash somewhere in the UI.
 */

/** A string field, or `undefined` when absent, null, empty or not a string. */
export function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** A number field (numeric strings accepted, as some services send them), or `undefined`. */
export function optionalNumber(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) {
    return value;
  }
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) {
    return Number(value);
  }
  return undefined;
}

/** A boolean field, or `undefined`. */
export function optionalBoolean(value: unknown): boolean | undefined {
  return typeof value === 'boolean' ? value : undefined;
}

/** A nested object, or `undefined`. */
export function optionalRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/** The `OData.Community.Display.V1.FormattedValue` annotation of a field, when the service sent it. */
export function formattedValue(dto: Readonly<Record<string, unknown>>, field: string): string | undefined {
  return optionalString(dto[`${field}@OData.Community.Display.V1.FormattedValue`]);
}
