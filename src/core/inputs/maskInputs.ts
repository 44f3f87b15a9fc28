/**
 * Masking of sensitive values for transcripts (run output channel, history, notifications) and their
 * registration with the process-wide `secretMasker`, so that no log line shows them either.
 */
import type { DesktopFlowSchema } from './desktopFlowSchema';
import { findVariable } from './desktopFlowSchema';
import { parseReference } from './secretReference';
import { setOwn } from './variableValues';
import type { SecretMasker } from '../util/secretMasker';

/** What a sensitive value is shown as. */
export const maskedValue = '********';

/**
 * A copy of `values` where every sensitive input (or output, given an output schema) is replaced by
 * `********`. A `${secret:…}` / `${env:…}` reference is kept: it names where the value lives, not the
 * value, and helps the reader.
 */
export function maskInputs(
  values: Readonly<Record<string, unknown>>,
  schema: DesktopFlowSchema,
): Record<string, unknown> {
  const masked: Record<string, unknown> = { ...values };
  for (const name of Object.keys(values)) {
    if (findVariable(schema, name)?.sensitive === true && parseReference(values[name]) === undefined) {
      setOwn(masked, name, maskedValue);
    }
  }
  return masked;
}

/**
 * Register a sensitive value with a masker: strings and numbers as written, objects and lists as their
 * JSON text and through every leaf. Booleans are never registered: masking every "true" in every log
 * would hide far more than it protects.
 */
export function registerSensitiveValue(masker: SecretMasker, value: unknown): void {
  if (typeof value === 'string') {
    masker.add(value);
  } else if (typeof value === 'number') {
    masker.add(String(value));
  } else if (typeof value === 'object' && value !== null) {
    masker.add(JSON.stringify(value));
    for (const leaf of Array.isArray(value) ? value : Object.values(value)) {
      registerSensitiveValue(masker, leaf);
    }
  }
}
