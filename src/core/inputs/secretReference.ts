/**
 * `${env:NAME}` and `${secret:NAME}` references: how an input file names a value without holding it. A
 * reference is the whole string value of an input, sensitive or not; it is resolved only when a run is
 * triggered (`prepareRunInputs`) and the resolved value is never written back to the file. A missing
 * variable or secret is an error: nothing is sent.
 */

/** Where a reference is looked up: an environment variable, or the host's secret store. */
export type ReferenceKind = 'env' | 'secret';

/** A parsed reference. */
export interface SecretReference {
  readonly kind: ReferenceKind;
  readonly name: string;
  /** The reference exactly as written, e.g. `${secret:DbPassword}`. */
  readonly text: string;
}

/**
 * Looks a reference up at trigger time; `undefined` when there is no such value. The VS Code layer
 * backs `secret` with SecretStorage, the CLI with environment variables. Throws `CancellationError`
 * when `signal` aborts.
 */
export type SecretResolver = (
  kind: ReferenceKind,
  name: string,
  signal: AbortSignal,
) => Promise<string | undefined>;

/** The characters a reference name may use (environment-variable style, plus `.` and `-`). */
const namePattern = '[A-Za-z_][A-Za-z0-9_.-]*';

/**
 * The JSON Schema `pattern` a reference string matches (no `u`-mode escapes needed, so VS Code's JSON
 * language service and ajv read it the same way).
 */
export const referencePattern = `^\\$\\{(env|secret):${namePattern}\\}$`;

const referenceRegExp = new RegExp(referencePattern);
// Anything shaped like `${…}` is meant as a reference; a malformed one must not be sent as a literal.
const referenceLikeRegExp = /^\s*\$\{[^}]*\}\s*$/;

/** The reference `value` spells, or `undefined` when it is not one. */
export function parseReference(value: unknown): SecretReference | undefined {
  if (typeof value !== 'string' || !referenceRegExp.test(value)) {
    return undefined;
  }
  const colon = value.indexOf(':');
  return { kind: value.slice(2, colon) as ReferenceKind, name: value.slice(colon + 1, -1), text: value };
}

/** True when `value` looks like an attempted reference (`${…}`), well-formed or not. */
export function looksLikeReference(value: unknown): boolean {
  return typeof value === 'string' && referenceLikeRegExp.test(value);
}

// `${env:…}` / `${secret:…}` that is not well-formed: in an input that is not sensitive, other `${…}`
// text may be meant literally, but these prefixes are meant as references.
const knownReferenceLikeRegExp = /^\s*\$\{\s*(?:env|secret)\s*:[^}]*\}\s*$/i;

/** True when `value` tries to be an `${env:…}` or `${secret:…}` reference but is not a valid one. */
export function looksLikeKnownReference(value: unknown): boolean {
  return (
    typeof value === 'string' && knownReferenceLikeRegExp.test(value) && parseReference(value) === undefined
  );
}

/** Format a reference, e.g. `formatReference('secret', 'DbPassword')` → `${secret:DbPassword}`. */
export function formatReference(kind: ReferenceKind, name: string): string {
  return `\${${kind}:${name}}`;
}
