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

const loneSurrogate = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** How many characters of a number token JSON.stringify writes differently, read exactly. */
function numberDelta(text: string, start: number, end: number): number {
  return JSON.stringify(Number(text.slice(start, end))).length - (end - start);
}

/**
 * UTF-8 size of what `JSON.stringify` writes for the value of plain JSON `text` (text `JSON.parse`
 * accepted, with no duplicated key), counted from the text alone: whitespace outside strings is dropped,
 * numbers are counted in the form `JSON.stringify` writes them (`1.50` → `1.5`, `-0` → `0`; any number with
 * an exponent or more than 15 digits is converted exactly), and string escapes are counted as
 * `JSON.stringify` writes them (`\/` → `/`, `\u00e9` → `é`, `\u0007` stays). `undefined` when the count
 * cannot be sure: a surrogate written as an escape, or a lone surrogate in the text (the caller then
 * serialises the value, which is exact).
 */
export function minifiedJsonBytes(text: string): number | undefined {
  let bytes: number;
  if (surrogate.test(text)) {
    if (loneSurrogate.test(text)) {
      return undefined;
    }
    bytes = utf8Length(text);
  } else {
    bytes = Buffer.byteLength(text, 'utf8');
  }
  const length = text.length;
  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      // The string, up to its closing quote (the text is valid JSON, so it is closed), escapes counted.
      for (i++; i < length; i++) {
        const d = text.charCodeAt(i);
        if (d === 34) {
          break;
        }
        if (d !== 92 /* \ */) {
          continue;
        }
        const e = text.charCodeAt(i + 1);
        if (e === 117 /* u */) {
          const code = Number.parseInt(text.slice(i + 2, i + 6), 16);
          if (code >= 0xd800 && code <= 0xdfff) {
            return undefined;
          }
          // Six characters in the text; what JSON.stringify writes for the character instead.
          if (
            code === 8 ||
            code === 9 ||
            code === 10 ||
            code === 12 ||
            code === 13 ||
            code === 34 ||
            code === 92
          ) {
            bytes -= 4;
          } else if (code < 0x20) {
            // written as \u00XX again
          } else if (code < 0x80) {
            bytes -= 5;
          } else if (code < 0x800) {
            bytes -= 4;
          } else {
            bytes -= 3;
          }
          i += 5;
        } else {
          if (e === 47 /* / */) {
            bytes -= 1;
          }
          i += 1;
        }
      }
    } else if (c === 32 || c === 10 || c === 13 || c === 9) {
      bytes -= 1;
    } else if (c === 45 /* - */ || (c >= 48 && c <= 57)) {
      i = countNumber(text, i) - 1;
      bytes += lastNumberDelta;
    }
  }
  return bytes;
}

let lastNumberDelta = 0;

/**
 * Reads the number token at `start`, sets `lastNumberDelta` (characters JSON.stringify writes minus those
 * of the token) and returns the offset after the token. A token without exponent and with at most 15
 * significant digits is what JSON.stringify writes, less trailing fraction zeros, a bare dot and the sign
 * of a zero; anything else is converted exactly.
 */
function countNumber(text: string, start: number): number {
  let i = start;
  const negative = text.charCodeAt(i) === 45;
  if (negative) {
    i++;
  }
  const intStart = i;
  while (isAsciiDigit(text.charCodeAt(i))) {
    i++;
  }
  const intDigits = i - intStart;
  const zeroInt = intDigits === 1 && text.charCodeAt(intStart) === 48;
  let fracDigits = 0;
  let leadingZeros = 0;
  let trailingZeros = 0;
  let hasDot = false;
  if (text.charCodeAt(i) === 46 /* . */) {
    hasDot = true;
    i++;
    const fracStart = i;
    let seenNonZero = false;
    while (isAsciiDigit(text.charCodeAt(i))) {
      if (text.charCodeAt(i) === 48) {
        trailingZeros++;
        if (!seenNonZero) {
          leadingZeros++;
        }
      } else {
        trailingZeros = 0;
        seenNonZero = true;
      }
      i++;
    }
    fracDigits = i - fracStart;
  }
  const c = text.charCodeAt(i);
  if (c === 101 /* e */ || c === 69 /* E */) {
    i++;
    const sign = text.charCodeAt(i);
    if (sign === 43 || sign === 45) {
      i++;
    }
    while (isAsciiDigit(text.charCodeAt(i))) {
      i++;
    }
    lastNumberDelta = numberDelta(text, start, i);
    return i;
  }
  const kept = fracDigits - trailingZeros;
  const significant = zeroInt ? kept - leadingZeros : intDigits + kept;
  if (significant > 15 || intDigits > 15 || (zeroInt && kept > 0 && leadingZeros > 5)) {
    lastNumberDelta = numberDelta(text, start, i);
    return i;
  }
  let delta = -trailingZeros;
  if (hasDot && kept === 0) {
    delta -= 1; // the dot
  }
  if (negative && zeroInt && kept === 0) {
    delta -= 1; // -0 is written 0
  }
  lastNumberDelta = delta;
  return i;
}

function isAsciiDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}
