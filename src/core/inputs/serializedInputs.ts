/**
 * The `inputs` string, serialised one top-level entry at a time. The analysis serialises the file's
 * values once (for the byte limit); trigger time then swaps in the resolved references and the masked
 * transcript swaps in `********`, each without serialising the other megabytes again. Joining the
 * entries gives exactly `JSON.stringify` of the object (same key order, same text).
 */

/** Input name → `JSON.stringify` of its value, in the object's own key order. */
export type SerializedEntries = ReadonlyMap<string, string>;

/** Serialise each top-level value of `values`. */
export function serializeEntries(values: Readonly<Record<string, unknown>>): Map<string, string> {
  const entries = new Map<string, string>();
  for (const [name, value] of Object.entries(values)) {
    // Values come from JSON text, so none is undefined or a function (which JSON.stringify would drop).
    entries.set(name, JSON.stringify(value));
  }
  return entries;
}

/** The serialised object: equal to `JSON.stringify` of the values the entries were made from. */
export function joinEntries(entries: SerializedEntries): string {
  const parts: string[] = [];
  for (const [name, json] of entries) {
    parts.push(`${JSON.stringify(name)}:${json}`);
  }
  return `{${parts.join(',')}}`;
}
