/** GUID helpers: stable ids for seed data, and the strict GUID syntax Dataverse keys accept. */
import { createHash } from 'node:crypto';

const guidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True for a bare GUID (`xxxxxxxx-xxxx-…`), without braces or quotes. */
export function isGuid(value: string): boolean {
  return guidPattern.test(value);
}

/** A deterministic, UUID-v5-shaped GUID derived from `key`, so seed ids are the same in every run. */
export function stableGuid(key: string): string {
  const h = createHash('sha1').update(`desktop-flows-sandbox:${key}`).digest('hex');
  const variant = ((parseInt(h.slice(16, 18), 16) & 0x3f) | 0x80).toString(16).padStart(2, '0');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${variant}${h.slice(18, 20)}-${h.slice(20, 32)}`;
}
