/**
 * One pass of jsonc-parser over an input file: builds the JavaScript value, remembers where each
 * top-level input sits, and reports what only the text shows (syntax, comments, trailing commas,
 * duplicate keys, numbers that cannot be held exactly, nesting depth). Nothing else re-reads the text,
 * except to place a problem that the schema check finds below the top level.
 *
 * Comments and trailing commas are accepted with a warning: the `inputs` string sent to the service is
 * always re-serialised with `JSON.stringify`, so they never reach it.
 */
import { visit, type ParseErrorCode } from 'jsonc-parser';
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
}

/**
 * Default nesting limit (the root object is level 1). 64 is the default maximum depth of both .NET JSON
 * serialisers, so deeper values would most likely fail in the service anyway.
 */
export const defaultMaxDepth = 64;

interface Frame {
  readonly container: Record<string, unknown> | unknown[];
  readonly isArray: boolean;
  readonly begin: number;
  /** Key or index of this container in its parent (undefined for the root). */
  readonly segment: string | number | undefined;
  /** The key whose value is being parsed (objects only). */
  key: string;
}

/** Thrown out of the visitor to stop at too-deep nesting before jsonc-parser's recursion gets deep. */
class StopParsing extends Error {}

const syntaxText: Record<ParseErrorCode, { message: string; fix: string }> = {
  1: {
    message: 'Unexpected character.',
    fix: 'Remove it. JSON strings and property names use double quotes.',
  },
  2: {
    message: 'Invalid number.',
    fix: 'Write the number in JSON form, e.g. 42, -1.5 or 2e3 (no leading zeros, no hex).',
  },
  3: {
    message: 'Expected a property name.',
    fix: 'Write the input name in double quotes, e.g. "Amount": 42.',
  },
  4: {
    message: 'Expected a value.',
    fix: 'Add a value: text in double quotes, a number, true, false, an object {…} or a list […].',
  },
  5: {
    message: 'Expected a colon after the property name.',
    fix: 'Separate the name from its value with a colon, e.g. "Amount": 42.',
  },
  6: { message: 'Expected a comma.', fix: 'Separate properties and list items with commas.' },
  7: { message: 'Expected "}".', fix: 'Close the object with "}".' },
  8: { message: 'Expected "]".', fix: 'Close the list with "]".' },
  9: {
    message: 'Unexpected text after the end of the JSON value.',
    fix: 'Remove it, or move it inside the object.',
  },
  10: { message: 'Invalid comment.', fix: 'Remove the comment.' },
  11: { message: 'Unterminated comment.', fix: 'Close the comment with "*/".' },
  12: {
    message: 'Unterminated text: the closing double quote is missing.',
    fix: 'Close the text with a double quote; write line breaks inside text as \\n.',
  },
  13: { message: 'Unterminated number.', fix: 'Complete the number, e.g. 1.5 or 2e3.' },
  14: { message: 'Invalid \\u escape.', fix: 'Write \\u followed by four hexadecimal digits.' },
  15: {
    message: 'Invalid escape sequence in text.',
    fix: 'Use \\" \\\\ \\/ \\b \\f \\n \\r \\t or \\uXXXX; write a backslash as \\\\ (e.g. "C:\\\\Temp").',
  },
  16: {
    message: 'Control character in text.',
    fix: 'Write tabs and line breaks inside text as \\t and \\n.',
  },
};

function significantDigits(numberText: string): string {
  const mantissa = numberText.replace(/^-/, '').split(/[eE]/)[0] ?? '';
  return mantissa.replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
}

function shortened(text: string): string {
  return text.length > 40 ? `${text.slice(0, 37)}…` : text;
}

/** Parse an input file's text. Never throws. */
export function parseInputDocument(text: string, maxDepth: number = defaultMaxDepth): InputDocument {
  // A byte-order mark is not JSON; blanking it keeps every offset valid.
  const source = text.charCodeAt(0) === 0xfeff ? ` ${text.slice(1)}` : text;
  const problems: ProblemDraft[] = [];
  const properties = new Map<string, PropertySpans>();
  const frames: Frame[] = [];
  let rootValue: unknown;
  let root: InputDocument['root'];
  let broken = false;
  let lastComma = -1;
  let topKey: TextSpan | undefined;

  const pathOfFrames = (count: number): (string | number)[] => {
    const path: (string | number)[] = [];
    for (let i = 1; i < count; i++) {
      const segment = frames[i]?.segment;
      if (segment !== undefined) {
        path.push(segment);
      }
    }
    return path;
  };
  /** Path of the value about to be added to the innermost container. */
  const childPath = (): JsonPath => {
    const path = pathOfFrames(frames.length);
    const top = frames[frames.length - 1];
    if (top !== undefined) {
      path.push(top.isArray ? (top.container as unknown[]).length : top.key);
    }
    return path;
  };
  const nextSegment = (): string | number | undefined => {
    const top = frames[frames.length - 1];
    return top === undefined ? undefined : top.isArray ? (top.container as unknown[]).length : top.key;
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

  const open = (container: Record<string, unknown> | unknown[], offset: number): void => {
    lastComma = -1;
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

  const close = (offset: number): void => {
    const frame = frames[frames.length - 1];
    if (frame === undefined) {
      return;
    }
    if (lastComma >= 0) {
      problems.push({
        code: 'trailingComma',
        severity: 'warning',
        message: `Trailing comma before "${frame.isArray ? ']' : '}'}".`,
        fix: 'Remove the comma: strict JSON tools reject it (it is not sent to the service).',
        path: pathOfFrames(frames.length),
        offset: lastComma,
        length: 1,
      });
      lastComma = -1;
    }
    frames.pop();
    const span = { offset: frame.begin, length: offset + 1 - frame.begin };
    if (frames.length === 0) {
      root = { ...span, kind: frame.isArray ? 'array' : 'object' };
    } else {
      recordTopLevel(span);
    }
  };

  try {
    visit(
      source,
      {
        onObjectBegin: (offset) => open({}, offset),
        onArrayBegin: (offset) => open([], offset),
        onObjectEnd: (offset) => close(offset),
        onArrayEnd: (offset) => close(offset),
        onObjectProperty: (key, offset, length) => {
          lastComma = -1;
          const top = frames[frames.length - 1];
          if (top === undefined) {
            return;
          }
          if (Object.prototype.hasOwnProperty.call(top.container, key)) {
            problems.push({
              code: 'duplicateKey',
              severity: 'error',
              message: `"${key}" appears more than once in the same object.`,
              fix: 'Keep one of them: which value would be used is ambiguous.',
              path: [...pathOfFrames(frames.length), key],
              offset,
              length,
            });
          }
          top.key = key;
          if (frames.length === 1) {
            topKey = { offset, length };
          }
        },
        onLiteralValue: (value: unknown, offset, length) => {
          lastComma = -1;
          if (typeof value === 'number' && (length > 15 || !Number.isFinite(value))) {
            checkNumber(value, offset, length);
          }
          if (frames.length === 0) {
            root = { offset, length, kind: 'literal' };
          } else {
            recordTopLevel({ offset, length });
          }
          add(value);
        },
        onSeparator: (character, offset) => {
          if (character === ',') {
            lastComma = offset;
          }
        },
        onComment: (offset, length) => {
          problems.push({
            code: 'comment',
            severity: 'warning',
            message: 'Comments are not JSON.',
            fix: 'Remove the comment if a strict JSON tool reads this file (it is not sent to the service).',
            path: pathOfFrames(frames.length),
            offset,
            length,
          });
        },
        onError: (error, offset, length) => {
          if (broken) {
            return;
          }
          broken = true;
          const empty = source.trim() === '';
          const t = syntaxText[error];
          problems.push({
            code: 'syntax',
            severity: 'error',
            message: empty ? 'The file is empty.' : t.message,
            fix: empty ? 'Write a JSON object of input values, e.g. { "Amount": 42 }, or just {}.' : t.fix,
            path: childPath(),
            offset,
            length,
          });
        },
      },
      { allowTrailingComma: true, disallowComments: false, allowEmptyContent: false },
    );
  } catch (e) {
    if (!(e instanceof StopParsing)) {
      throw e;
    }
  }

  function checkNumber(value: number, offset: number, length: number): void {
    const written = source.slice(offset, offset + length);
    const sent = JSON.stringify(value);
    if (Number.isFinite(value) && significantDigits(written) === significantDigits(String(value))) {
      return;
    }
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
  }

  return { value: rootValue, root, properties, problems, broken };
}
