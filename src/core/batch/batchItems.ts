/**
 * Which files a batch runs, in which order. Arguments are files or folders; folders are read recursively
 * (hidden folders such as `.desktopflows`, where batch journals live, and `node_modules` are skipped).
 * Every `*.json` file found is a candidate; whether it is an item (its `$schema` names a flow, or `--flow`
 * is given) is decided when it is read. The order is path order: per folder, entries sorted by name in
 * code-unit order (locale independent), folders descended where they sort, so the same tree always
 * gives the same sequence.
 *
 * Only paths are held (a few dozen bytes per item); the files themselves are read one at a time.
 */
import { opendir, stat } from 'node:fs/promises';
import path from 'node:path';
import { throwIfAborted } from '../util/abort';
import { parseInputDocument } from '../inputs/inputDocument';
import { parseSchemaUri, type SchemaUriTarget } from '../inputs/schemaUri';

/** A path argument that is neither a readable file nor a folder. */
export class BatchPathError extends Error {
  constructor(
    readonly argument: string,
    readonly code: string,
  ) {
    super(code === 'ENOENT' ? `${argument} does not exist.` : `${argument} cannot be read (${code}).`);
    this.name = 'BatchPathError';
  }
}

/** Options of `findBatchFiles`. */
export interface FindBatchFilesOptions {
  /** Absolute paths never taken as items (the journal and the report, when they lie inside a folder). */
  readonly exclude?: ReadonlySet<string>;
}

function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function skippedFolder(name: string): boolean {
  return name.startsWith('.') || name === 'node_modules';
}

/**
 * Yields the absolute paths of the candidate files, in path order. A file named directly is yielded
 * whatever its extension; in folders only `*.json` files are. A path is yielded once even when two
 * arguments reach it. Throws `BatchPathError` for an argument that does not exist.
 */
export async function* findBatchFiles(
  args: readonly string[],
  signal: AbortSignal,
  options: FindBatchFilesOptions = {},
): AsyncGenerator<string> {
  const seen = new Set<string>();
  const exclude = options.exclude ?? new Set<string>();
  for (const arg of args) {
    const absolute = path.resolve(arg);
    let info;
    try {
      info = await stat(absolute);
    } catch (e) {
      throw new BatchPathError(arg, (e as NodeJS.ErrnoException).code ?? String(e));
    }
    if (info.isDirectory()) {
      yield* walk(absolute, signal, seen, exclude);
    } else if (!seen.has(absolute) && !exclude.has(absolute)) {
      seen.add(absolute);
      yield absolute;
    }
  }
}

async function* walk(
  folder: string,
  signal: AbortSignal,
  seen: Set<string>,
  exclude: ReadonlySet<string>,
): AsyncGenerator<string> {
  throwIfAborted(signal);
  const entries: { name: string; folder: boolean }[] = [];
  const dir = await opendir(folder);
  for await (const entry of dir) {
    if (entry.isDirectory()) {
      if (!skippedFolder(entry.name)) {
        entries.push({ name: entry.name, folder: true });
      }
    } else if ((entry.isFile() || entry.isSymbolicLink()) && entry.name.toLowerCase().endsWith('.json')) {
      entries.push({ name: entry.name, folder: false });
    }
  }
  entries.sort((a, b) => compareNames(a.name, b.name));
  for (const entry of entries) {
    const full = path.join(folder, entry.name);
    if (entry.folder) {
      yield* walk(full, signal, seen, exclude);
    } else if (!seen.has(full) && !exclude.has(full)) {
      seen.add(full);
      yield full;
    }
  }
}

/** What an input file's `$schema` says, read without validating anything else. */
export function schemaTargetOf(text: string): SchemaUriTarget | undefined {
  const value = parseInputDocument(text).value;
  const schema =
    typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>).$schema
      : undefined;
  return typeof schema === 'string' ? parseSchemaUri(schema.trim()) : undefined;
}

/** A path for messages: relative to `base` when inside it, else absolute. */
export function displayPath(file: string, base: string): string {
  const relative = path.relative(base, file);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : file;
}
