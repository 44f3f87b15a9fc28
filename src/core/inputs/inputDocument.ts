/**
 * One pass of jsonc-parser's scanner over an input file: builds the JavaScript value, remembers where
 * each top-level input sits, and reports what only the text shows (syntax, comments, trailing commas,
 * duplicate keys, numbers that cannot be held exactly, nesting depth). Nothing else re-reads the text,
 * except to place a problem that the schema check finds below the top level.
 *
 * The grammar loop is our own, over `createScanner`, rather than jsonc-parser's `visit`: it is
 * iterative (a file nested 100,000 levels deep cannot overflow the stack), allocates nothing per token
 * beyond the values themselves, and stops at the first syntax error (later ones are mostly echoes).
 *
 * Comments and trailing commas are accepted with a warning: the `inputs` string sent to the service is
 * always re-serialised with `JSON.stringify`, so they never reach it.
 */
import { createScanner } from 'jsonc-parser';
import type { JsonPath, ProblemDraft } from './inputProblem';
import { setOwn } from './variableValues';

/** A range of the text. */
export interface TextSpan {
  readonly offset: number;
  readonly length: number;
}

/** Where a top-level property's key and value are. */
export interface PropertySpans {
  readonly key: TextSpan;
  readonly value: TextSpan;
}

/** The parsed file. */
export interface InputDocument {
  /** The value; partial when `broken`. `undefined` for an empty file. */
  readonly value: unknown;
  /** Span and kind of the root value. */
  readonly root: (TextSpan & { readonly kind: 'object' | 'array' | 'literal' }) | undefined;
  /** Top-level properties of a root object (the last occurrence of a duplicated key). */
  readonly properties: ReadonlyMap<string, PropertySpans>;
  readonly problems: readonly ProblemDraft[];
  /** True after a syntax error or too-deep nesting: the value must not be checked or sent. */
  readonly broken: boolean;
  /**
   * True when the text is plain JSON that `JSON.parse` reads alike, with nothing to report: no comment,
   * trailing comma, byte-order mark or duplicated key. Every string of the text is then a key or a value.
   */
  readonly plainJson?: boolean;
  /**
   * When `JSON.parse` read the value: the text it read (the file's own when `plainJson`, or JSONC with its
   * comments and trailing commas blanked), and the length of `JSON.stringify(value)` as if no string
   * needed an escape, counted while the value was checked (see `unescapedJsonLength`). Together they give
   * the size of the value as sent without serialising it (`minifiedJsonBytes`).
   */
  readonly json?: { readonly text: string; readonly unescapedLength: number };
}

/**
 * Default nesting limit (the root object is level 1). 64 is the default maximum depth of both .NET JSON
 * serialisers, so deeper values would most likely fail in the service anyway.
 */
export const defaultMaxDepth = 64;

// jsonc-parser's SyntaxKind and ScanError are `const enum`s, which isolatedModules cannot read from a
// declaration file: the values are mirrored here.
const enum Token {
  OpenBrace = 1,
  CloseBrace = 2,
  OpenBracket = 3,
  CloseBracket = 4,
  Comma = 5,
  Colon = 6,
  Null = 7,
  True = 8,
  False = 9,
  String = 10,
  Number = 11,
  LineComment = 12,
  BlockComment = 13,
  LineBreak = 14,
  Whitespace = 15,
  Unknown = 16,
  EOF = 17,
}

const enum ScanError {
  None = 0,
  UnexpectedEndOfComment = 1,
  UnexpectedEndOfString = 2,
  UnexpectedEndOfNumber = 3,
  InvalidUnicode = 4,
  InvalidEscapeCharacter = 5,
  InvalidCharacter = 6,
}

type SyntaxError =
  | 'invalidSymbol'
  | 'invalidNumber'
  | 'propertyNameExpected'
  | 'valueExpected'
  | 'colonExpected'
  | 'commaExpected'
  | 'closeBraceExpected'
  | 'closeBracketExpected'
  | 'endOfFileExpected'
  | 'unterminatedComment'
  | 'unterminatedString'
  | 'unterminatedNumber'
  | 'invalidUnicode'
  | 'invalidEscape'
  | 'controlCharacter';

const syntaxText: Record<SyntaxError, { message: string; fix: string }> = {
  invalidSymbol: {
    message: 'Unexpected character.',
    fix: 'Remove it. JSON strings and property names use double quotes.',
  },
  invalidNumber: {
    message: 'Invalid number.',
    fix: 'Write the number in JSON form, e.g. 42, -1.5 or 2e3 (no leading zeros, no hex).',
  },
  propertyNameExpected: {
    message: 'Expected a property name.',
    fix: 'Write the input name in double quotes, e.g. "Amount": 42.',
  },
  valueExpected: {
    message: 'Expected a value.',
    fix: 'Add a value: text in double quotes, a number, true, false, an object {…} or a list […].',
  },
  colonExpected: {
    message: 'Expected a colon after the property name.',
    fix: 'Separate the name from its value with a colon, e.g. "Amount": 42.',
  },
  commaExpected: { message: 'Expected a comma.', fix: 'Separate properties and list items with commas.' },
  closeBraceExpected: { message: 'Expected "}".', fix: 'Close the object with "}".' },
  closeBracketExpected: { message: 'Expected "]".', fix: 'Close the list with "]".' },
  endOfFileExpected: {
    message: 'Unexpected text after the end of the JSON value.',
    fix: 'Remove it, or move it inside the object.',
  },
  unterminatedComment: { message: 'Unterminated comment.', fix: 'Close the comment with "*/".' },
  unterminatedString: {
    message: 'Unterminated text: the closing double quote is missing.',
    fix: 'Close the text with a double quote; write line breaks inside text as \\n.',
  },
  unterminatedNumber: { message: 'Unterminated number.', fix: 'Complete the number, e.g. 1.5 or 2e3.' },
  invalidUnicode: { message: 'Invalid \\u escape.', fix: 'Write \\u followed by four hexadecimal digits.' },
  invalidEscape: {
    message: 'Invalid escape sequence in text.',
    fix: 'Use \\" \\\\ \\/ \\b \\f \\n \\r \\t or \\uXXXX; write a backslash as \\\\ (e.g. "C:\\\\Temp").',
  },
  controlCharacter: {
    message: 'Control character in text.',
    fix: 'Write tabs and line breaks inside text as \\t and \\n.',
  },
};

const scanErrors: Partial<Record<ScanError, SyntaxError>> = {
  [ScanError.UnexpectedEndOfComment]: 'unterminatedComment',
  [ScanError.UnexpectedEndOfString]: 'unterminatedString',
  [ScanError.UnexpectedEndOfNumber]: 'unterminatedNumber',
  [ScanError.InvalidUnicode]: 'invalidUnicode',
  [ScanError.InvalidEscapeCharacter]: 'invalidEscape',
  [ScanError.InvalidCharacter]: 'controlCharacter',
};

interface Frame {
  readonly container: Record<string, unknown> | unknown[];
  readonly isArray: boolean;
  readonly begin: number;
  /** Key or index of this container in its parent (undefined for the root). */
  readonly segment: string | number | undefined;
  /** The key whose value is being parsed (objects only). */
  key: string;
}

/** Raised inside the parser to stop at the first blocking problem; never escapes it. */
class StopParsing extends Error {}

function significantDigits(numberText: string): string {
  const mantissa = numberText.replace(/^-/, '').split(/[eE]/)[0] ?? '';
  return mantissa.replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
}

function shortened(text: string): string {
  return text.length > 40 ? `${text.slice(0, 37)}…` : text;
}

/**
 * Parse an input file's text. Never throws.
 *
 * Most files are plain JSON with nothing to report: for them the native `JSON.parse` gives the value, and
 * spans are found only if something asks where a property is (a problem to place). JSONC files whose
 * comments and trailing commas are the only difference take the same path once those are blanked
 * (`jsoncAsJson`), with the warnings the scanner pass would give. Files that `JSON.parse` still refuses (a
 * byte-order mark, syntax errors) and files that might hold something only the text shows (a number with
 * 16 or more digits or a 3-digit exponent, a duplicated key, deep nesting) take the scanner pass at once,
 * so results never differ.
 */
export function parseInputDocument(text: string, maxDepth: number = defaultMaxDepth): InputDocument {
  const plain = parseCleanJson(text, maxDepth);
  if (plain !== undefined) {
    return plain;
  }
  const jsonc = jsoncAsJson(text);
  return (
    (jsonc === undefined ? undefined : parseCleanJson(jsonc.json, maxDepth, jsonc.problems)) ??
    scanInputDocument(text, maxDepth)
  );
}

function commentProblem(path: JsonPath, offset: number, length: number): ProblemDraft {
  return {
    code: 'comment',
    severity: 'warning',
    message: 'Comments are not JSON.',
    fix: 'Remove the comment if a strict JSON tool reads this file (it is not sent to the service).',
    path,
    offset,
    length,
  };
}

function trailingCommaProblem(path: JsonPath, offset: number, inArray: boolean): ProblemDraft {
  return {
    code: 'trailingComma',
    severity: 'warning',
    message: `Trailing comma before "${inArray ? ']' : '}'}".`,
    fix: 'Remove the comma: strict JSON tools reject it (it is not sent to the service).',
    path,
    offset,
    length: 1,
  };
}

/** A container open at some point of `jsoncAsJson`'s walk. */
interface JsoncFrame {
  readonly isArray: boolean;
  /** Where it sits in its parent: an index, or the span of its key (decoded only for a path). */
  readonly segment: number | TextSpan | undefined;
  /** Objects: the last key, and whether the next string is a key. */
  key: TextSpan;
  expectKey: boolean;
  /** Arrays: the index of the current element. */
  index: number;
}

/** The offset of the quote that closes the string opening at `start`, or -1 when it is not closed. */
function closingQuote(text: string, start: number): number {
  for (let end = text.indexOf('"', start + 1); end >= 0; end = text.indexOf('"', end + 1)) {
    // A quote preceded by an odd number of backslashes is escaped.
    let backslashes = 0;
    while (text.charCodeAt(end - 1 - backslashes) === 92 /* \ */) {
      backslashes++;
    }
    if (backslashes % 2 === 0) {
      return end;
    }
  }
  return -1;
}

/**
 * For JSONC: the text with its comments and trailing commas blanked (same length, so every offset holds),
 * and the warnings the scanner pass would give for them, in its order. `undefined` when there are none
 * or the text is not JSONC the walk can read (an unclosed string or comment, a stray "/"): then the scanner
 * pass says what is wrong. One walk that steps over strings by native searches; whether the rest is JSON is
 * left to `JSON.parse` of the blanked text (see `parseCleanJson`).
 */
function jsoncAsJson(text: string): { json: string; problems: ProblemDraft[] } | undefined {
  const problems: ProblemDraft[] = [];
  const blanks: number[] = []; // start, end, start, end, ...
  const frames: JsoncFrame[] = [];
  let readable = true;
  const path = (): JsonPath => {
    const segments: (string | number)[] = [];
    for (let f = 1; f < frames.length; f++) {
      const segment = frames[f]?.segment;
      if (typeof segment === 'number') {
        segments.push(segment);
      } else if (segment !== undefined) {
        try {
          segments.push(JSON.parse(text.slice(segment.offset, segment.offset + segment.length)) as string);
        } catch {
          readable = false; // JSON.parse of the whole would fail too
        }
      }
    }
    return segments;
  };
  let pendingComma = -1; // a comma whose next token is not read yet
  const length = text.length;
  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(i);
    if (c === 32 || c === 10 || c === 13 || c === 9) {
      continue;
    }
    if (c === 47 /* / */) {
      const next = text.charCodeAt(i + 1);
      let end: number;
      if (next === 47 /* / */) {
        end = i + 2;
        while (end < length && text.charCodeAt(end) !== 10 && text.charCodeAt(end) !== 13) {
          end++;
        }
      } else if (next === 42 /* * */) {
        const close = text.indexOf('*/', i + 2);
        if (close < 0) {
          return undefined;
        }
        end = close + 2;
      } else {
        return undefined;
      }
      problems.push(commentProblem(path(), i, end - i));
      blanks.push(i, end);
      i = end - 1;
      continue;
    }
    // A token: the comma before it was a trailing one when it closes the container.
    const top = frames[frames.length - 1];
    if (pendingComma >= 0) {
      if (top !== undefined && c === (top.isArray ? 93 /* ] */ : 125) /* } */) {
        problems.push(trailingCommaProblem(path(), pendingComma, top.isArray));
        blanks.push(pendingComma, pendingComma + 1);
      }
      pendingComma = -1;
    }
    if (c === 34 /* " */) {
      const end = closingQuote(text, i);
      if (end < 0) {
        return undefined;
      }
      if (top !== undefined && top.expectKey) {
        top.key = { offset: i, length: end + 1 - i };
        top.expectKey = false;
      }
      i = end;
    } else if (c === 123 /* { */ || c === 91 /* [ */) {
      frames.push({
        isArray: c === 91,
        segment: top === undefined ? undefined : top.isArray ? top.index : top.key,
        key: { offset: 0, length: 0 },
        expectKey: c === 123,
        index: 0,
      });
    } else if (c === 125 /* } */ || c === 93 /* ] */) {
      frames.pop();
    } else if (c === 44 /* , */) {
      if (top !== undefined) {
        if (top.isArray) {
          top.index++;
        } else {
          top.expectKey = true;
        }
      }
      pendingComma = i;
    }
  }
  if (problems.length === 0 || !readable) {
    return undefined;
  }
  // A trailing comma is found after the comments that follow it: blank in text order.
  const ranges: [number, number][] = [];
  for (let k = 0; k < blanks.length; k += 2) {
    ranges.push([blanks[k] ?? 0, blanks[k + 1] ?? 0]);
  }
  ranges.sort((a, b) => a[0] - b[0]);
  let json = '';
  let copied = 0;
  for (const [start, end] of ranges) {
    json += `${text.slice(copied, start)}${' '.repeat(end - start)}`;
    copied = end;
  }
  return { json: json + text.slice(copied), problems };
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

/**
 * One pass over text that `JSON.parse` accepted: how many colons stand outside strings (one per key
 * written), or -1 when a number may hold something only the scanner can judge: 16 or more digits (digits
 * a double would lose) or a 3-digit exponent (overflow or underflow). The exact count, for the text
 * whose quick checks in `writtenKeys` cannot rule those out (it reads every character).
 */
function keyColonsOfPlainText(text: string): number {
  let colons = 0;
  let run = 0;
  const length = text.length;
  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      // Skip the string: JSON.parse accepted the text, so it is closed, and a quote inside it is escaped,
      // that is, preceded by an odd number of backslashes.
      let end = text.indexOf('"', i + 1);
      for (;;) {
        if (end < 0) {
          return -1; // cannot happen for text JSON.parse accepted; the scanner will say what is wrong
        }
        let backslashes = 0;
        while (text.charCodeAt(end - 1 - backslashes) === 92 /* \ */) {
          backslashes++;
        }
        if (backslashes % 2 === 0) {
          break;
        }
        end = text.indexOf('"', end + 1);
      }
      i = end;
      run = 0;
    } else if (isDigit(c) || c === 46 /* . */) {
      if (++run >= 16) {
        return -1;
      }
    } else {
      run = 0;
      if (c === 58 /* : */) {
        colons++;
      } else if (c === 101 /* e */ || c === 69 /* E */) {
        let j = i + 1;
        const sign = text.charCodeAt(j);
        if (sign === 43 /* + */ || sign === 45 /* - */) {
          j++;
        }
        if (
          isDigit(text.charCodeAt(j)) &&
          isDigit(text.charCodeAt(j + 1)) &&
          isDigit(text.charCodeAt(j + 2))
        ) {
          return -1;
        }
      }
    }
  }
  return colons;
}

/**
 * What a walk over a parsed value counts: the keys of every object, the colons inside every string
 * (keys and values), since a colon written inside a string is no key's colon, and the length of what
 * `JSON.stringify` writes for the value as if no string needed an escape (see `minifiedJsonBytes`).
 */
interface ValueCounts {
  keys: number;
  stringColons: number;
  unescapedLength: number;
}

function colonsIn(text: string): number {
  let colons = 0;
  for (let i = text.indexOf(':'); i >= 0; i = text.indexOf(':', i + 1)) {
    colons++;
  }
  return colons;
}

/** 10 ** k for k = 0…22, every one exact. */
const powersOfTen = Array.from({ length: 23 }, (_, k) => Number(`1e${k}`));

/** How many digits a non-negative integer below 1e15 has. */
function integerDigits(value: number): number {
  let digits = 1;
  while (digits < 22 && value >= (powersOfTen[digits] ?? Infinity)) {
    digits++;
  }
  return digits;
}

/**
 * How many characters `JSON.stringify` writes for a number, without making its text. For a fraction
 * between 1e-6 and 1e15 the shortest decimal that reads back as the same number has the fewest fraction
 * digits k for which round(value × 10^k) / 10^k is the number again (both exact operations below 2^53,
 * and the division rounds as reading the decimal does), so counting k is exact; anything else is written.
 */
function numberLength(value: number): number {
  const abs = Math.abs(value);
  const sign = value < 0 ? 1 : 0; // -0 is written 0
  if (abs < 1e15) {
    if (Number.isInteger(abs)) {
      return sign + integerDigits(abs);
    }
    if (abs >= 1e-6) {
      for (let k = 1; k < 22; k++) {
        const power = powersOfTen[k] ?? Infinity;
        const scaled = Math.round(abs * power);
        if (scaled >= 1e15) {
          break;
        }
        if (scaled / power === abs) {
          return sign + (abs < 1 ? 1 : integerDigits(Math.floor(abs))) + 1 + k;
        }
      }
    }
  }
  return Number.isFinite(value) ? String(value).length : 4; // Infinity and NaN are written null
}

/**
 * Add a string (a key or a value) to `counts`: its quotes and characters, and the colons it holds.
 */
function countString(text: string, counts: ValueCounts): void {
  counts.unescapedLength += text.length + 2;
  if (text.indexOf(':') >= 0) {
    counts.stringColons += colonsIn(text);
  }
}

/**
 * Add one value at `depth` (a member of an array or object at `depth - 1`, or the root at 0) to
 * `counts`; false when a container sits at `maxDepth` or deeper.
 */
function countMember(value: unknown, depth: number, maxDepth: number, counts: ValueCounts): boolean {
  if (typeof value === 'string') {
    countString(value, counts);
  } else if (typeof value === 'number') {
    counts.unescapedLength += numberLength(value);
  } else if (typeof value === 'object' && value !== null) {
    return countValue(value, depth + 1, maxDepth, counts);
  } else {
    // true, false or null (JSON.parse makes nothing else)
    counts.unescapedLength += value === false ? 5 : 4;
  }
  return true;
}

/**
 * Add the keys, string colons and written length of container `value` (at `depth`) to `counts`; false
 * when a container sits at `maxDepth` or deeper.
 */
function countValue(value: object, depth: number, maxDepth: number, counts: ValueCounts): boolean {
  if (depth >= maxDepth) {
    return false;
  }
  let members = 0;
  if (Array.isArray(value)) {
    members = value.length;
    for (let i = 0; i < members; i++) {
      if (!countMember(value[i], depth, maxDepth, counts)) {
        return false;
      }
    }
  } else {
    for (const key in value) {
      members++;
      countString(key, counts);
      if (!countMember((value as Record<string, unknown>)[key], depth, maxDepth, counts)) {
        return false;
      }
    }
    counts.keys += members;
    counts.unescapedLength += members; // the colons
  }
  // The brackets, and a comma between members.
  counts.unescapedLength += members === 0 ? 2 : members + 1;
  return true;
}

/**
 * The length of `JSON.stringify(value)` for a value `JSON.parse` made, as if no string needed an escape:
 * what `minifiedJsonBytes` corrects with the escapes and non-ASCII characters of the text.
 */
export function unescapedJsonLength(value: unknown): number {
  const counts: ValueCounts = { keys: 0, stringColons: 0, unescapedLength: 0 };
  countMember(value, 0, Infinity, counts);
  return counts.unescapedLength;
}

function isDigitOrDot(code: number): boolean {
  return (code >= 48 && code <= 57) || code === 46;
}

/**
 * True when the text (strings included) holds 16 or more digits and dots in a row. Any such run covers
 * one offset of the form 16k + 15, so only those offsets are read, and the run is measured around the
 * ones that hold a digit or a dot: about one character in sixteen is looked at.
 */
function hasLongDigitRun(text: string): boolean {
  const length = text.length;
  for (let i = 15; i < length; i += 16) {
    if (isDigitOrDot(text.charCodeAt(i))) {
      let start = i;
      while (start > 0 && isDigitOrDot(text.charCodeAt(start - 1))) {
        start--;
      }
      let end = i + 1;
      while (end < length && end - start < 16 && isDigitOrDot(text.charCodeAt(end))) {
        end++;
      }
      if (end - start >= 16) {
        return true;
      }
    }
  }
  return false;
}

// A digit, an exponent mark and three digits: a number that may overflow or underflow (or text that
// merely looks like one, inside a string).
const threeDigitExponent = /\d[eE][+-]?\d\d\d/;
// `\u003a` written in a string is a colon in the parsed value that the text does not show as one.
const escapedColon = /\\u003[aA]/;

/**
 * How many keys the text writes (colons outside strings), or -1 when a number may hold something only
 * the scanner can judge. Plain text gets native searches only: all colons of the text, less those the
 * parsed strings hold. Text that may hold such a number or an escaped colon gets the exact loop.
 */
function writtenKeys(text: string, counts: ValueCounts): number {
  if (hasLongDigitRun(text) || threeDigitExponent.test(text) || escapedColon.test(text)) {
    return keyColonsOfPlainText(text);
  }
  return colonsIn(text) - counts.stringColons;
}

/**
 * The fast path: `undefined` unless `text` is plain JSON whose scanner pass would report nothing.
 * Duplicated keys are ruled out by counting: outside strings, every colon of plain JSON separates one
 * key from its value, so when the text holds as many such colons as the parsed value holds keys, no key
 * was written twice (`JSON.parse` keeps only the last of a duplicated key). `jsoncProblems`, for the
 * blanked text of a JSONC file: its comments and trailing commas, reported instead of nothing.
 */
function parseCleanJson(
  text: string,
  maxDepth: number,
  jsoncProblems?: readonly ProblemDraft[],
): InputDocument | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  const counts: ValueCounts = { keys: 0, stringColons: 0, unescapedLength: 0 };
  if (!countMember(value, 0, maxDepth, counts)) {
    return undefined;
  }
  const keyColons = writtenKeys(text, counts);
  if (keyColons < 0 || counts.keys !== keyColons) {
    return undefined;
  }
  return new PlainJsonDocument(text, value, counts.unescapedLength, jsoncProblems);
}

/**
 * What the fast path read; spans are found when first asked for (a problem to place). A class rather than
 * an object literal with getters: V8 gives each such literal its own hidden class holding its getter
 * closures, which stay reachable until the next full collection and so kept every parsed file alive.
 */
class PlainJsonDocument implements InputDocument {
  readonly broken = false;
  readonly problems: readonly ProblemDraft[];
  readonly plainJson?: boolean;
  readonly json: { readonly text: string; readonly unescapedLength: number };
  private spans: Pick<InputDocument, 'root' | 'properties'> | undefined;

  constructor(
    private readonly text: string,
    readonly value: unknown,
    unescapedLength: number,
    jsoncProblems: readonly ProblemDraft[] | undefined,
  ) {
    this.problems = jsoncProblems ?? [];
    if (jsoncProblems === undefined) {
      this.plainJson = true;
    }
    this.json = { text, unescapedLength };
  }

  get root(): InputDocument['root'] {
    this.spans ??= plainJsonSpans(this.text);
    return this.spans.root;
  }

  get properties(): ReadonlyMap<string, PropertySpans> {
    this.spans ??= plainJsonSpans(this.text);
    return this.spans.properties;
  }
}

function isJsonWhitespace(code: number): boolean {
  return code === 32 || code === 10 || code === 13 || code === 9;
}

function skipWhitespace(text: string, from: number): number {
  let i = from;
  while (isJsonWhitespace(text.charCodeAt(i))) {
    i++;
  }
  return i;
}

/** The offset after the string that starts at `start` (a quote) in text `JSON.parse` accepted. */
function stringEnd(text: string, start: number): number {
  let end = text.indexOf('"', start + 1);
  for (;;) {
    // A quote preceded by an odd number of backslashes is escaped.
    let backslashes = 0;
    while (text.charCodeAt(end - 1 - backslashes) === 92 /* \ */) {
      backslashes++;
    }
    if (backslashes % 2 === 0) {
      return end + 1;
    }
    end = text.indexOf('"', end + 1);
  }
}

/** The offset after the value that starts at `start` in text `JSON.parse` accepted. */
function valueEnd(text: string, start: number): number {
  const first = text.charCodeAt(start);
  if (first === 34 /* " */) {
    return stringEnd(text, start);
  }
  if (first !== 123 /* { */ && first !== 91 /* [ */) {
    // A number, true, false or null: up to the next delimiter.
    let i = start + 1;
    for (let c = text.charCodeAt(i); i < text.length; c = text.charCodeAt(++i)) {
      if (isJsonWhitespace(c) || c === 44 /* , */ || c === 125 /* } */ || c === 93 /* ] */) {
        break;
      }
    }
    return i;
  }
  let depth = 0;
  for (let i = start; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      i = stringEnd(text, i) - 1;
    } else if (c === 123 /* { */ || c === 91 /* [ */) {
      depth++;
    } else if ((c === 125 || c === 93) /* } or ] */ && --depth === 0) {
      return i + 1;
    }
  }
  return text.length; // cannot happen for text JSON.parse accepted
}

/**
 * The spans the scanner pass would give, for plain JSON (the fast path's text): one walk over the root
 * object that steps over each input's value by counting brackets outside strings, with no tokens built.
 */
function plainJsonSpans(text: string): Pick<InputDocument, 'root' | 'properties'> {
  const properties = new Map<string, PropertySpans>();
  const start = skipWhitespace(text, 0);
  const first = text.charCodeAt(start);
  if (first !== 123 /* { */) {
    const kind = first === 91 /* [ */ ? 'array' : 'literal';
    return { root: { offset: start, length: valueEnd(text, start) - start, kind }, properties };
  }
  let i = skipWhitespace(text, start + 1);
  while (text.charCodeAt(i) === 34 /* " */) {
    const keyEnd = stringEnd(text, i);
    const key = JSON.parse(text.slice(i, keyEnd)) as string;
    const value = skipWhitespace(text, skipWhitespace(text, keyEnd) + 1); // after the colon
    const end = valueEnd(text, value);
    properties.set(key, {
      key: { offset: i, length: keyEnd - i },
      value: { offset: value, length: end - value },
    });
    i = skipWhitespace(text, end);
    if (text.charCodeAt(i) === 44 /* , */) {
      i = skipWhitespace(text, i + 1);
    }
  }
  // Here `i` is at the closing brace.
  return { root: { offset: start, length: i + 1 - start, kind: 'object' }, properties };
}

/** The scanner pass: value, spans and every problem the text shows (what `parseInputDocument` falls back to). */
export function scanInputDocument(text: string, maxDepth: number = defaultMaxDepth): InputDocument {
  // A byte-order mark is not JSON; blanking it keeps every offset valid.
  const source = text.charCodeAt(0) === 0xfeff ? ` ${text.slice(1)}` : text;
  const scanner = createScanner(source, false);
  const problems: ProblemDraft[] = [];
  const properties = new Map<string, PropertySpans>();
  const frames: Frame[] = [];
  let rootValue: unknown;
  let root: InputDocument['root'];
  let broken = false;
  let topKey: TextSpan | undefined;

  const pathOfFrames = (): (string | number)[] => {
    const path: (string | number)[] = [];
    for (let i = 1; i < frames.length; i++) {
      const segment = frames[i]?.segment;
      if (segment !== undefined) {
        path.push(segment);
      }
    }
    return path;
  };
  /** Key or index the next value of the innermost container gets. */
  const nextSegment = (): string | number | undefined => {
    const top = frames[frames.length - 1];
    return top === undefined ? undefined : top.isArray ? (top.container as unknown[]).length : top.key;
  };
  const childPath = (): JsonPath => {
    const path = pathOfFrames();
    const segment = nextSegment();
    if (segment !== undefined) {
      path.push(segment);
    }
    return path;
  };

  const fail = (error: SyntaxError, offset: number, length: number): never => {
    const empty = source.trim() === '';
    problems.push({
      code: 'syntax',
      severity: 'error',
      message: empty ? 'The file is empty.' : syntaxText[error].message,
      fix: empty
        ? 'Write a JSON object of input values, e.g. { "Amount": 42 }, or just {}.'
        : syntaxText[error].fix,
      path: childPath(),
      offset,
      length,
    });
    broken = true;
    throw new StopParsing();
  };
  const failAtToken = (error: SyntaxError): never =>
    fail(error, scanner.getTokenOffset(), scanner.getTokenLength());

  /** The next token that is not whitespace; comments become warnings. */
  const next = (): Token => {
    for (;;) {
      const token = scanner.scan() as number as Token;
      const scanError = scanner.getTokenError() as number as ScanError;
      if (scanError !== ScanError.None) {
        failAtToken(scanErrors[scanError] ?? 'invalidSymbol');
      }
      switch (token) {
        case Token.Whitespace:
        case Token.LineBreak:
          continue;
        case Token.LineComment:
        case Token.BlockComment:
          problems.push(commentProblem(pathOfFrames(), scanner.getTokenOffset(), scanner.getTokenLength()));
          continue;
        case Token.Unknown:
          return failAtToken('invalidSymbol');
        case Token.OpenBrace:
        case Token.CloseBrace:
        case Token.OpenBracket:
        case Token.CloseBracket:
        case Token.Comma:
        case Token.Colon:
        case Token.Null:
        case Token.True:
        case Token.False:
        case Token.String:
        case Token.Number:
        case Token.EOF:
          return token;
      }
    }
  };

  const add = (value: unknown): void => {
    const top = frames[frames.length - 1];
    if (top === undefined) {
      rootValue = value;
    } else if (top.isArray) {
      (top.container as unknown[]).push(value);
    } else {
      setOwn(top.container as Record<string, unknown>, top.key, value);
    }
  };

  const recordTopLevel = (value: TextSpan): void => {
    const top = frames[0];
    if (frames.length === 1 && top !== undefined && !top.isArray && topKey !== undefined) {
      properties.set(top.key, { key: topKey, value });
    }
  };

  const open = (container: Record<string, unknown> | unknown[]): void => {
    const offset = scanner.getTokenOffset();
    if (frames.length + 1 > maxDepth) {
      problems.push({
        code: 'tooDeep',
        severity: 'error',
        message: `Values are nested more than ${maxDepth} levels deep.`,
        fix: `Flatten the value: the service accepts at most ${maxDepth} levels of objects and lists.`,
        path: childPath(),
        offset,
        length: 1,
      });
      broken = true;
      throw new StopParsing();
    }
    const segment = nextSegment();
    add(container);
    frames.push({ container, isArray: Array.isArray(container), begin: offset, segment, key: '' });
  };

  const close = (): void => {
    const frame = frames.pop();
    if (frame === undefined) {
      return;
    }
    const span = { offset: frame.begin, length: scanner.getTokenOffset() + 1 - frame.begin };
    if (frames.length === 0) {
      root = { ...span, kind: frame.isArray ? 'array' : 'object' };
    } else {
      recordTopLevel(span);
    }
  };

  const trailingComma = (offset: number): void => {
    problems.push(trailingCommaProblem(pathOfFrames(), offset, frames[frames.length - 1]?.isArray === true));
  };

  /** At a property name: record it, then consume it and the colon. Returns the token after the colon. */
  const property = (token: Token): Token => {
    if (token !== Token.String) {
      failAtToken(token === Token.EOF ? 'closeBraceExpected' : 'propertyNameExpected');
    }
    const key = scanner.getTokenValue();
    const offset = scanner.getTokenOffset();
    const length = scanner.getTokenLength();
    const top = frames[frames.length - 1];
    if (top !== undefined) {
      if (Object.prototype.hasOwnProperty.call(top.container, key)) {
        problems.push({
          code: 'duplicateKey',
          severity: 'error',
          message: `"${key}" appears more than once in the same object.`,
          fix: 'Keep one of them: which value would be used is ambiguous.',
          path: [...pathOfFrames(), key],
          offset,
          length,
        });
      }
      top.key = key;
    }
    if (frames.length === 1) {
      topKey = { offset, length };
    }
    if (next() !== Token.Colon) {
      failAtToken('colonExpected');
    }
    return next();
  };

  const literal = (value: unknown): void => {
    const offset = scanner.getTokenOffset();
    const length = scanner.getTokenLength();
    if (frames.length === 0) {
      root = { offset, length, kind: 'literal' };
    } else {
      recordTopLevel({ offset, length });
    }
    add(value);
  };

  const checkNumber = (value: number, written: string, offset: number, length: number): void => {
    if (Number.isFinite(value) && significantDigits(written) === significantDigits(String(value))) {
      return;
    }
    const sent = JSON.stringify(value);
    const huge =
      !Number.isFinite(value) || (Number.isInteger(value) && Math.abs(value) > Number.MAX_SAFE_INTEGER);
    problems.push(
      huge
        ? {
            code: 'hugeNumber',
            severity: 'error',
            message: `The number ${shortened(written)} is too large to be sent exactly; it would become ${sent}.`,
            fix: `Use a number no larger than ${Number.MAX_SAFE_INTEGER}, or write it in double quotes if the input is text.`,
            path: childPath(),
            offset,
            length,
          }
        : {
            code: 'numberPrecision',
            severity: 'warning',
            message: `The number ${shortened(written)} has more digits than can be sent; it would become ${sent}.`,
            fix: 'Use at most 15 significant digits, or write it in double quotes if the input is text.',
            path: childPath(),
            offset,
            length,
          },
    );
  };

  const parse = (): void => {
    let token = next();
    for (;;) {
      // Here `token` starts a value.
      switch (token) {
        case Token.OpenBrace:
          open({});
          token = next();
          if (token === Token.CloseBrace) {
            close();
            token = next();
            break;
          }
          token = property(token);
          continue;
        case Token.OpenBracket:
          open([]);
          token = next();
          if (token === Token.CloseBracket) {
            close();
            token = next();
            break;
          }
          continue;
        case Token.String:
          literal(scanner.getTokenValue());
          token = next();
          break;
        case Token.Number: {
          const written = scanner.getTokenValue();
          const value = Number(written);
          if (Number.isNaN(value)) {
            failAtToken('invalidNumber');
          }
          const length = scanner.getTokenLength();
          if (length > 15 || !Number.isFinite(value)) {
            checkNumber(value, written, scanner.getTokenOffset(), length);
          }
          literal(value);
          token = next();
          break;
        }
        case Token.True:
          literal(true);
          token = next();
          break;
        case Token.False:
          literal(false);
          token = next();
          break;
        case Token.Null:
          literal(null);
          token = next();
          break;
        case Token.CloseBrace:
        case Token.CloseBracket:
        case Token.Comma:
        case Token.Colon:
        case Token.EOF:
        case Token.LineComment:
        case Token.BlockComment:
        case Token.LineBreak:
        case Token.Whitespace:
        case Token.Unknown:
          return failAtToken('valueExpected');
      }
      // Here a value has ended: close containers, or move to the next entry.
      for (;;) {
        const top = frames[frames.length - 1];
        if (top === undefined) {
          if (token !== Token.EOF) {
            failAtToken('endOfFileExpected');
          }
          return;
        }
        const closer = top.isArray ? Token.CloseBracket : Token.CloseBrace;
        if (token === closer) {
          close();
          token = next();
          continue;
        }
        if (token !== Token.Comma) {
          failAtToken(
            token === Token.EOF
              ? top.isArray
                ? 'closeBracketExpected'
                : 'closeBraceExpected'
              : 'commaExpected',
          );
        }
        const comma = scanner.getTokenOffset();
        token = next();
        if (token === closer) {
          trailingComma(comma);
          close();
          token = next();
          continue;
        }
        if (!top.isArray) {
          token = property(token);
        }
        break;
      }
    }
  };

  try {
    parse();
  } catch (e) {
    if (!(e instanceof StopParsing)) {
      throw e;
    }
  }
  return { value: rootValue, root, properties, problems, broken };
}
