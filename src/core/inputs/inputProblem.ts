/**
 * A problem found in an input file. Every problem says where it is (JSON path, 1-based line/column for
 * people, 0-based offset/length for editors), what is wrong, how to fix it, and whether it blocks a run.
 * `code` is stable: the UI and tests branch on it, never on the message.
 */

/** `error` blocks a run; `warning` does not. */
export type ProblemSeverity = 'error' | 'warning';

/**
 * Stable problem codes.
 *
 * - `syntax`: the text is not JSON (only the first syntax error is reported: later ones are mostly
 *   echoes of it).
 * - `comment`, `trailingComma`: accepted (the inputs string is re-serialised, so they never reach the
 *   service) but flagged, because strict-JSON tools reject them.
 * - `duplicateKey`: the same property twice in one object; which value wins is ambiguous.
 * - `notObject`: the file is not a JSON object.
 * - `schemaUri`: `$schema` is not a string, or not a `desktopflows-schema:` URI.
 * - `schemaMismatch`: `$schema` names another flow (error) or another environment (warning).
 * - `type`, `null`: a value of the wrong type, or `null`.
 * - `required`: a required input is missing (a warning when the schema does not say).
 * - `unknownInput`: a property that is not an input of the flow.
 * - `removedInput`: a property the flow had before but no longer has (maybe renamed).
 * - `placeholder`: a `"<required: …>"` placeholder left in the file.
 * - `hugeNumber`: a number JavaScript cannot hold exactly (it would be sent changed).
 * - `numberPrecision`: a number that loses digits when sent (warning).
 * - `tooDeep`: nesting deeper than the limit.
 * - `tooLarge`: the serialized inputs exceed the cloud's byte limit.
 * - `sensitiveLiteral`: a sensitive input holds a literal value rather than a reference (warning).
 * - `badReference`: a malformed `${…}` reference in a sensitive input, or a malformed `${env:…}` /
 *   `${secret:…}` in any input.
 * - `referenceInPlainInput`: no longer produced (references resolve in every input); kept so that
 *   problems recorded by earlier versions still have a code.
 * - `unresolvedReference`: a reference with no value at trigger time.
 * - `referenceType`: a resolved reference whose value does not fit the input's type.
 */
export type InputProblemCode =
  | 'syntax'
  | 'comment'
  | 'trailingComma'
  | 'duplicateKey'
  | 'notObject'
  | 'schemaUri'
  | 'schemaMismatch'
  | 'type'
  | 'null'
  | 'required'
  | 'unknownInput'
  | 'removedInput'
  | 'placeholder'
  | 'hugeNumber'
  | 'numberPrecision'
  | 'tooDeep'
  | 'tooLarge'
  | 'sensitiveLiteral'
  | 'badReference'
  | 'referenceInPlainInput'
  | 'unresolvedReference'
  | 'referenceType';

/** A JSON path: property names and array indexes from the root. */
export type JsonPath = readonly (string | number)[];

/** One problem in an input file. */
export interface InputProblem {
  readonly code: InputProblemCode;
  readonly severity: ProblemSeverity;
  /** What is wrong, naming the input. Never contains a sensitive value. */
  readonly message: string;
  /** How to fix it. */
  readonly fix: string;
  readonly path: JsonPath;
  /** `path` for people: `$`, `$.Amount`, `$.Items[2]`, `$["odd key"]`. */
  readonly pathText: string;
  /** The top-level input concerned, when there is one. */
  readonly input?: string;
  /** 1-based line. */
  readonly line: number;
  /** 1-based column, in UTF-16 code units (what VS Code counts). */
  readonly column: number;
  /** 0-based offset into the text, in UTF-16 code units. */
  readonly offset: number;
  readonly length: number;
}

/** A problem before its line and column are known (they are computed only for reported problems). */
export type ProblemDraft = Omit<InputProblem, 'line' | 'column' | 'pathText' | 'input'>;

const identifier = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** Format a JSON path for people: `$.a[0]["b c"]`. */
export function formatJsonPath(path: JsonPath): string {
  let out = '$';
  for (const segment of path) {
    if (typeof segment === 'number') {
      out += `[${segment}]`;
    } else if (identifier.test(segment)) {
      out += `.${segment}`;
    } else {
      out += `[${JSON.stringify(segment)}]`;
    }
  }
  return out;
}

/** True when any problem blocks a run. */
export function hasErrors(problems: readonly InputProblem[]): boolean {
  return problems.some((p) => p.severity === 'error');
}
