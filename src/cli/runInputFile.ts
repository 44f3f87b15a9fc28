/**
 * `run --inputs <file>`: the same input files as the extension (`$schema` naming the flow and optionally
 * its environment, `${env:NAME}` and `${secret:NAME}` references), checked by the same core validator
 * before anything is sent. In the CLI, `${secret:NAME}` reads the environment variable
 * `DESKTOPFLOWS_SECRET_<NAME>`; resolved values are masked everywhere and never written anywhere.
 */
import { InputFileReadError, readInputFileText, readInputStream } from '../core/inputs/inputFileBytes';
import { parseInputDocument } from '../core/inputs/inputDocument';
import type { InputProblem } from '../core/inputs/inputProblem';
import { parseSchemaUri, type SchemaUriTarget } from '../core/inputs/schemaUri';
import type { SecretResolver } from '../core/inputs/secretReference';
import { locateProblems } from '../core/inputs/textPositions';
import { describeValue } from '../core/inputs/variableValues';
import { throwIfAborted } from '../core/util/abort';
import { usageError } from './cliErrors';
import type { CliIo } from './cliIo';

/** The prefix of the environment variables `${secret:NAME}` reads. */
export const secretVariablePrefix = 'DESKTOPFLOWS_SECRET_';

/** An input file as read. */
export interface InputFileText {
  /** How messages name it: the path, or `<stdin>`. */
  readonly label: string;
  readonly text: string;
  /** What its `$schema` names, when it is a well-formed `desktopflows-schema:` URI. */
  readonly target: SchemaUriTarget | undefined;
  /** Why the file names no flow, in words (`has no "$schema"`, `is not valid JSON (…)`). */
  readonly noTarget: string;
}

/**
 * Reads `--inputs` (a path, or `-` for stdin) through the core reader the extension uses too: bounded,
 * abortable, and refusing what is not UTF-8 JSON text with a message that says what the file is.
 */
export async function readInputFile(
  path: string,
  io: CliIo,
  signal: AbortSignal = io.signal ?? new AbortController().signal,
): Promise<InputFileText> {
  let text: string;
  let label = path;
  try {
    if (path === '-') {
      if (io.stdin === undefined) {
        throw usageError('--inputs - reads stdin, but there is none.');
      }
      label = '<stdin>';
      text = await readInputStream(io.stdin, { signal, label });
    } else {
      text = await readInputFileText(path, { signal, label });
    }
  } catch (e) {
    if (InputFileReadError.is(e)) {
      throw usageError(`${e.message} ${e.fix}`);
    }
    throw e;
  }
  const document = parseInputDocument(text);
  const value = document.value;
  if (!document.broken && (typeof value !== 'object' || value === null || Array.isArray(value))) {
    throw usageError(
      `${label} must be a JSON object of input values, but it is ${describeValue(value)}. Write the values as an object keyed by input name, e.g. { "Amount": 42 }.`,
    );
  }
  const schema =
    typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>).$schema
      : undefined;
  const [syntax] = document.broken ? locateProblems(text, document.problems) : [];
  return {
    label,
    text,
    target: typeof schema === 'string' ? parseSchemaUri(schema.trim()) : undefined,
    noTarget:
      syntax !== undefined
        ? `is not valid JSON (line ${syntax.line}, column ${syntax.column}: ${syntax.message})`
        : schema === undefined
          ? 'has no "$schema": "desktopflows-schema:/<flowId>.json"'
          : 'has a "$schema" that is not a desktopflows-schema: URI',
  };
}

/** The environment variables `${secret:NAME}` is looked up in, in order. */
export function secretVariableNames(name: string): string[] {
  const exact = `${secretVariablePrefix}${name}`;
  const portable = `${secretVariablePrefix}${name.toUpperCase().replace(/[^A-Z0-9_]/g, '_')}`;
  return exact === portable ? [exact] : [exact, portable];
}

/** `${env:NAME}` from the environment; `${secret:NAME}` from `DESKTOPFLOWS_SECRET_<NAME>`. */
export function cliSecretResolver(env: Readonly<Record<string, string | undefined>>): SecretResolver {
  return (kind, name, signal) => {
    throwIfAborted(signal);
    if (kind === 'env') {
      return Promise.resolve(env[name]);
    }
    for (const variable of secretVariableNames(name)) {
      const value = env[variable];
      if (value !== undefined) {
        return Promise.resolve(value);
      }
    }
    return Promise.resolve(undefined);
  };
}

/** Problems as compiler-style lines: `file:line:column: error: message Fix.` */
export function formatProblems(label: string, problems: readonly InputProblem[]): string[] {
  return problems.map((p) =>
    `${label}:${p.line}:${p.column}: ${p.severity}: ${p.message} ${p.fix}`.trimEnd(),
  );
}
