/**
 * The `inputs` string, serialised one top-level entry at a time, and its size. The analysis counts the
 * size of plain JSON without serialising (`minifiedJsonBytes`); the entries are serialised once, when the
 * request is built (or another file needs its size), then trigger time swaps in the resolved references
 * and the masked transcript swaps in `********`, each without serialising the other megabytes again.
 * Joining the entries gives exactly `JSON.stringify` of the object (same key order, same text).
 */
import { unescapedJsonLength } from './inputDocument';

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

/**
 * The serialised object: equal to `JSON.stringify` of the values the entries were made from. Built by
 * concatenation, which links the entries rather than copying them (`Array.prototype.join` copies every
 * megabyte); the copy is made once, when the text is first read.
 */
export function joinEntries(entries: SerializedEntries): string {
  let joined = '{';
  for (const [name, json] of entries) {
    joined += `${joined.length === 1 ? '' : ','}${JSON.stringify(name)}:${json}`;
  }
  return `${joined}}`;
}

/**
 * UTF-8 size of `joinEntries(entries)`, without building it. `utf8Extra`, when given, is how many more
 * UTF-8 bytes than UTF-16 units the entries take (see `utf8ExtraOfJsonText`): then only lengths are
 * read, and the entries (which `JSON.stringify` returns as unflattened chains of parts) are not copied.
 */
export function joinedBytes(entries: SerializedEntries, utf8Extra?: number): number {
  // The braces, and a comma between entries.
  let bytes = 2 + Math.max(0, entries.size - 1);
  for (const [name, json] of entries) {
    const key = JSON.stringify(name);
    bytes += utf8Extra === undefined ? utf8Length(key) + 1 + utf8Length(json) : key.length + 1 + json.length;
  }
  return bytes + (utf8Extra ?? 0);
}

/**
 * How many more UTF-8 bytes than UTF-16 units the strings of the value of plain JSON `text` take once
 * `JSON.stringify` writes them, read from the text alone; `undefined` when the text cannot tell. Outside
 * its strings JSON text is ASCII, and `JSON.stringify` writes every character of a string as it is,
 * except lone surrogates (written as `\uXXXX`): so the count holds when no `\u` escape stands for a
 * character above U+007F (the parsed string would hold a character the text does not show) and no lone
 * surrogate is written. Only for text whose every string is a key or value of the parsed value, that
 * is, without a duplicated key.
 */
export function utf8ExtraOfJsonText(text: string): number | undefined {
  for (let i = text.indexOf('\\u'); i >= 0; i = text.indexOf('\\u', i + 2)) {
    // An escape when the backslash is not itself escaped: an odd run of backslashes ends here.
    let backslashes = 1;
    while (text.charCodeAt(i - backslashes) === 92 /* \ */) {
      backslashes++;
    }
    if (backslashes % 2 === 1 && Number.parseInt(text.slice(i + 2, i + 6), 16) >= 0x80) {
      return undefined;
    }
  }
  if (!surrogate.test(text)) {
    // Without surrogates the native count is exact (and it reads a flat text without copying it).
    return Buffer.byteLength(text, 'utf8') - text.length;
  }
  let extra = 0;
  nonAscii.lastIndex = 0;
  for (let match = nonAscii.exec(text); match !== null; match = nonAscii.exec(text)) {
    const end = match.index + match[0].length;
    for (let i = match.index; i < end; i++) {
      const c = text.charCodeAt(i);
      if (c < 0x800) {
        extra += 1;
      } else if (c >= 0xd800 && c <= 0xdfff) {
        const next = text.charCodeAt(i + 1);
        if (c > 0xdbff || i + 1 >= end || next < 0xdc00 || next > 0xdfff) {
          return undefined; // a lone surrogate
        }
        // A pair: 4 bytes for two UTF-16 units.
        extra += 2;
        i++;
      } else {
        extra += 2;
      }
    }
  }
  return extra;
}

/**
 * `joined` (which is `joinEntries(entries)`) with the values of `names` replaced by `replacement` (JSON
 * text). The unchanged stretches are slices of `joined`, so no megabytes are copied for a few masked values.
 */
export function replaceEntries(
  joined: string,
  entries: SerializedEntries,
  names: ReadonlySet<string>,
  replacement: string,
): string {
  let result = '';
  let copiedUpTo = 0;
  let offset = 1; // after "{"
  for (const [name, json] of entries) {
    const valueStart = offset + JSON.stringify(name).length + 1;
    const valueEnd = valueStart + json.length;
    if (names.has(name)) {
      result += joined.slice(copiedUpTo, valueStart) + replacement;
      copiedUpTo = valueEnd;
    }
    offset = valueEnd + 1; // after ","
  }
  return copiedUpTo === 0 ? joined : result + joined.slice(copiedUpTo);
}

const nonAscii = /[\u0080-\uffff]+/g;
const surrogate = /[\ud800-\udfff]/;

/**
 * UTF-8 size of a string, exactly as `Buffer.byteLength(text, 'utf8')` counts it (a lone surrogate is
 * written as U+FFFD, 3 bytes). Counts only the non-ASCII stretches one by one: on a 2 MB input file
 * this is many times faster than `Buffer.byteLength`, which walks every character of a two-byte string.
 */
export function utf8Length(text: string): number {
  let bytes = text.length;
  nonAscii.lastIndex = 0;
  for (let match = nonAscii.exec(text); match !== null; match = nonAscii.exec(text)) {
    const end = match.index + match[0].length;
    for (let i = match.index; i < end; i++) {
      const c = text.charCodeAt(i);
      if (c < 0x800) {
        bytes += 1;
      } else if (c >= 0xd800 && c <= 0xdbff && i + 1 < end) {
        const next = text.charCodeAt(i + 1);
        // A pair: 4 bytes for two UTF-16 units; a lone high surrogate: U+FFFD.
        if (next >= 0xdc00 && next <= 0xdfff) {
          bytes += 2;
          i++;
        } else {
          bytes += 2;
        }
      } else {
        bytes += 2;
      }
    }
  }
  return bytes;
}

/** `String.prototype.isWellFormed` (ES2024, in every Node this tool supports): no lone surrogate. */
const isWellFormed = (text: string): boolean => (text as string & { isWellFormed(): boolean }).isWellFormed();

/**
 * UTF-8 size of what `JSON.stringify` writes for the value of plain JSON `text` (text `JSON.parse`
 * accepted, with no duplicated key), without writing it. `unescapedLength` is the length that a walk over
 * the parsed value gives, with every string counted as it is (see `unescapedJsonLength`; the fast path
 * counts it while checking the value). Two corrections come from the text, by native searches: the
 * escapes (`\/` → `/`, `\u0041` → `A`, `\u00e9` → `é`, `\u0007` and `\n` stay escapes), and the
 * characters above U+007F, which only strings hold. `undefined` when the count cannot be sure: a
 * surrogate written as an escape, or a lone surrogate in the text (the caller then serialises the value,
 * which is exact).
 */
export function minifiedJsonBytes(
  text: string,
  unescapedLength: number = unescapedJsonLength(JSON.parse(text)),
): number | undefined {
  if (!isWellFormed(text)) {
    return undefined; // JSON.stringify writes a lone surrogate as an escape
  }
  let length = unescapedLength;
  // Outside strings JSON text is ASCII: the extra bytes are those of the strings' characters as written.
  let utf8Extra = Buffer.byteLength(text, 'utf8') - text.length;
  // Every backslash of plain JSON starts an escape inside a string; stepping from one escape to the
  // next never lands inside one (the backslash of `\\` is stepped over).
  for (let i = text.indexOf('\\'); i >= 0; i = text.indexOf('\\', i)) {
    const escaped = text.charCodeAt(i + 1);
    if (escaped === 117 /* u */) {
      const code = Number.parseInt(text.slice(i + 2, i + 6), 16);
      if (code >= 0xd800 && code <= 0xdfff) {
        return undefined;
      }
      // One character of the value; what JSON.stringify writes for it.
      if (
        code === 8 ||
        code === 9 ||
        code === 10 ||
        code === 12 ||
        code === 13 ||
        code === 34 ||
        code === 92
      ) {
        length += 1; // \b \t \n \f \r \" \\
      } else if (code < 0x20) {
        length += 5; // written as \u00XX again
      } else if (code >= 0x80) {
        utf8Extra += code < 0x800 ? 1 : 2;
      }
      i += 6;
    } else {
      // \" \\ \b \f \n \r \t are written as escapes again; \/ is written as /.
      if (escaped !== 47 /* / */) {
        length += 1;
      }
      i += 2;
    }
  }
  return length + utf8Extra;
}
