/**
 * `run --inputs <file>`: the same input files as the extension (`$schema` naming the flow and optionally
 * its environment, `${env:NAME}` and `${secret:NAME}` references), checked by the same core validator
 * before anything is sent. In the CLI, `${secret:NAME}` reads the environment variable
 * `DESKTOPFLOWS_SECRET_<NAME>`; resolved values are masked everywhere and never written anywhere.
 */
import { readFile } from 'node:fs/promises';
import { parseInputDocument } from '../core/inputs/inputDocument';
import type { InputProblem } from '../core/inputs/inputProblem';
import { parseSchemaUri, type SchemaUriTarget } from '../core/inputs/schemaUri';
import type { SecretResolver } from '../core/inputs/secretReference';
import { throwIfAborted } from '../core/util/abort';
import { usageError } from './cliErrors';
import { readAll, type CliIo } from './cliIo';

/** The prefix of the environment variables `${secret:NAME}` reads. */
export const secretVariablePrefix = 'DESKTOPFLOWS_SECRET_';

/** An input file as read. */
export interface InputFileText {
  /** How messages name it: the path, or `<stdin>`. */
  readonly label: string;
  readonly text: string;
  /** What its `$schema` names, when it is a well-formed `desktopflows-schema:` URI. */
  readonly target: SchemaUriTarget | undefined;
}

/** Reads `--inputs` (a path, or `-` for stdin). */
export async function readInputFile(path: string, io: CliIo): Promise<InputFileText> {
  let text: string;
  let label = path;
  if (path === '-') {
    if (io.stdin === undefined) {
      throw usageError('--inputs - reads stdin, but there is none.');
    }
    label = '<stdin>';
    text = await readAll(io.stdin);
  } else {
    try {
      text = await readFile(path, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw usageError(
        code === 'ENOENT'
          ? `The input file ${path} does not exist.`
          : `Cannot read the input file ${path}: ${code ?? String(e)}.`,
      );
    }
  }
  // A byte-order mark is not part of the JSON text.
  text = text.replace(/^\uFEFF/, '');
  const value = parseInputDocument(text).value;
  const schema =
    typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>).$schema
      : undefined;
  return { label, text, target: typeof schema === 'string' ? parseSchemaUri(schema.trim()) : undefined };
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
