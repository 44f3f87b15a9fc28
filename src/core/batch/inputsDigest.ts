/**
 * A digest of a run's inputs that recognises the run a lost start request created, when several items of
 * one batch went to the same flow on the same connection: only their inputs tell them apart. Sensitive
 * inputs are left out (the service may store them hidden, and a digest of a secret must never be written
 * to a journal); key order does not matter (the service may store the JSON re-serialised).
 */
import { createHash } from 'node:crypto';

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) {
    return value.map(canonical);
  }
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      out[key] = canonical((value as Record<string, unknown>)[key]);
    }
    return out;
  }
  return value;
}

/** Digest of `inputs` (an object, or the JSON text sent) without the `sensitive` names. */
export function inputsDigest(
  inputs: string | Record<string, unknown> | undefined,
  sensitive: ReadonlySet<string>,
): string {
  let value: unknown = {};
  if (typeof inputs === 'string') {
    try {
      value = JSON.parse(inputs) as unknown;
    } catch {
      value = inputs;
    }
  } else if (inputs !== undefined) {
    value = inputs;
  }
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const kept: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) {
      if (!sensitive.has(key)) {
        kept[key] = v;
      }
    }
    value = kept;
  }
  return createHash('sha256')
    .update(JSON.stringify(canonical(value)))
    .digest('hex')
    .slice(0, 32);
}
