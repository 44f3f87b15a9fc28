/**
 * Reading an input file's bytes and turning them into text, the same way in the CLI and the extension:
 * bounded (a file over the limit is refused from its size, before it is read), abortable (a FIFO that
 * nobody writes to never hangs), and never lossy (invalid UTF-8 is refused with its byte position,
 * UTF-16 with a byte-order mark is decoded, everything else that is not UTF-8 text is refused with a
 * message that says what the file is).
 */
import { close, constants, fstat, open, read, type Stats } from 'node:fs';
import { promisify } from 'node:util';
import { Socket } from 'node:net';
import { CancellationError } from '../errors';
import { throwIfAborted } from '../util/abort';
import { largestInputLimitBytes } from '../clouds';
import { formatBytes } from './inputFileAnalysis';

/**
 * The largest input file read: twice the largest cloud's inputs limit, for indentation and comments (the
 * inputs it holds are checked against the environment's own limit once the environment is known).
 */
export const maxInputFileBytes = 2 * largestInputLimitBytes;

/** Why an input file cannot be used as text. */
export type InputFileReadReason =
  | 'notFound'
  | 'unreadable'
  | 'notAFile'
  | 'tooLarge'
  | 'empty'
  | 'invalidUtf8'
  | 'invalidUtf16'
  | 'utf16WithoutBom'
  | 'binary';

/** An input file that cannot be read as text: `message` says what is wrong, `fix` what to do. */
export class InputFileReadError extends Error {
  override readonly name = 'InputFileReadError';
  constructor(
    readonly reason: InputFileReadReason,
    message: string,
    readonly fix: string,
  ) {
    super(message);
  }

  static is(e: unknown, reason?: InputFileReadReason): e is InputFileReadError {
    return e instanceof InputFileReadError && (reason === undefined || e.reason === reason);
  }
}

const openAsync = promisify(open);
const fstatAsync = promisify(fstat);
const closeAsync = promisify(close);
function readAsync(
  fd: number,
  buffer: Buffer,
  offset: number,
  length: number,
  position: number | null,
): Promise<number> {
  return new Promise((resolve, reject) => {
    read(fd, buffer, offset, length, position, (e, bytesRead) =>
      e === null ? resolve(bytesRead) : reject(e),
    );
  });
}

/**
 * In VS Code the file must be read in its own encoding before it is saved as UTF-8: "Save with Encoding" alone
 * writes the U+FFFD the editor shows, and the character is lost.
 */
const saveAsUtf8 =
  'Save it as UTF-8 (in VS Code: "Reopen with Encoding" → the encoding it was written in, often "Western (Windows 1252)"; ' +
  'then "Save with Encoding" → "UTF-8". Saving as UTF-8 without reopening keeps the replacement characters the editor shows, ' +
  'and the original characters are lost).';

function tooLarge(label: string, size: number | undefined, limit: number): InputFileReadError {
  return new InputFileReadError(
    'tooLarge',
    size === undefined
      ? `${label} is larger than ${formatBytes(limit)}, the most an input file may hold.`
      : `${label} is ${formatBytes(size)}, over the ${formatBytes(limit)} an input file may hold.`,
    'Pass large data through a file or a store the flow reads, rather than as an input.',
  );
}

/** Line (1-based) and column (1-based, in bytes) of byte `offset`. */
function bytePlace(bytes: Uint8Array, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset; i++) {
    if (bytes[i] === 0x0a) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

/** Offset of the first byte that breaks UTF-8, or -1 when `bytes` is valid UTF-8. */
export function firstInvalidUtf8(bytes: Uint8Array, from = 0): number {
  let i = from;
  while (i < bytes.length) {
    const b = bytes[i] ?? 0;
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let min: number;
    if (b >= 0xc2 && b <= 0xdf) {
      need = 1;
      min = 0x80;
    } else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      min = 0x800;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      min = 0x10000;
    } else {
      return i;
    }
    let cp = b & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) {
        return i;
      }
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
      return i;
    }
    i += need + 1;
  }
  return -1;
}

/**
 * Where the first byte that breaks UTF-8 lands in the text an editor shows for `bytes` (decoded with
 * replacement characters): its line (0-based) and character (0-based, UTF-16 code units), with the byte's
 * offset. `undefined` when `bytes` is valid UTF-8 (a UTF-8 byte-order mark is skipped, as editors do).
 */
export function invalidUtf8Position(
  bytes: Uint8Array,
): { readonly offset: number; readonly line: number; readonly character: number } | undefined {
  const start = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  const offset = firstInvalidUtf8(bytes, start);
  if (offset < 0) {
    return undefined;
  }
  let line = 0;
  let lineStart = start;
  for (let i = start; i < offset; i++) {
    if (bytes[i] === 0x0a) {
      line++;
      lineStart = i + 1;
    }
  }
  // The bytes before it on its line are valid UTF-8, so they decode to exactly the characters shown.
  const character = new TextDecoder('utf-8').decode(bytes.subarray(lineStart, offset)).length;
  return { offset, line, character };
}

function hex(b: number | undefined): string {
  return `0x${(b ?? 0).toString(16).toUpperCase().padStart(2, '0')}`;
}

/** Control characters that never occur in a JSON text file (NUL and the C0 controls but tab, LF, CR, FF). */
function isBinaryByte(b: number): boolean {
  return b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d && b !== 0x0c;
}

/**
 * The text of an input file's bytes. Throws `InputFileReadError` for an empty file, UTF-16 without a
 * byte-order mark, binary data and invalid UTF-8 (with the byte's position); UTF-8 and UTF-16 byte-order
 * marks are honoured and removed.
 */
export function decodeInputFile(bytes: Uint8Array, label: string): string {
  const b0 = bytes[0];
  const b1 = bytes[1];
  if ((b0 === 0xff && b1 === 0xfe) || (b0 === 0xfe && b1 === 0xff)) {
    const encoding = b0 === 0xff ? 'utf-16le' : 'utf-16be';
    let text: string;
    try {
      text = new TextDecoder(encoding, { fatal: true, ignoreBOM: false }).decode(bytes);
    } catch {
      throw new InputFileReadError(
        'invalidUtf16',
        `${label} starts with a ${encoding.toUpperCase()} byte-order mark, but is not valid ${encoding.toUpperCase()} text.`,
        saveAsUtf8,
      );
    }
    return checkText(text, label);
  }
  const start = b0 === 0xef && b1 === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  if (bytes.length - start === 0) {
    throw emptyFile(label);
  }
  // UTF-16 without a byte-order mark: ASCII text with every other byte zero.
  const probe = Math.min(bytes.length, 64);
  let evenZero = 0;
  let oddZero = 0;
  for (let i = start; i < probe; i++) {
    if (bytes[i] === 0) {
      if ((i - start) % 2 === 0) {
        evenZero++;
      } else {
        oddZero++;
      }
    }
  }
  const pairs = Math.floor((probe - start) / 2);
  if (pairs > 0 && (evenZero >= pairs * 0.8 || oddZero >= pairs * 0.8)) {
    throw new InputFileReadError(
      'utf16WithoutBom',
      `${label} looks like UTF-16 text without a byte-order mark, which cannot be read safely.`,
      saveAsUtf8,
    );
  }
  for (let i = start; i < bytes.length; i++) {
    if (isBinaryByte(bytes[i] ?? 0)) {
      const { line, column } = bytePlace(bytes, i);
      throw new InputFileReadError(
        'binary',
        `${label} is not a text file: byte ${i} (line ${line}, column ${column}) is the control character ${hex(bytes[i])}.`,
        'Give a JSON file of input values (`desktop-flows schema <flow> --template` writes one).',
      );
    }
  }
  const invalid = firstInvalidUtf8(bytes, start);
  if (invalid >= 0) {
    const { line, column } = bytePlace(bytes, invalid);
    throw new InputFileReadError(
      'invalidUtf8',
      `${label} is not valid UTF-8: byte ${invalid} (line ${line}, column ${column}) is ${hex(bytes[invalid])}, which UTF-8 does not allow there. Input files must be UTF-8, so nothing is guessed or replaced.`,
      `${saveAsUtf8} A file saved as Latin-1 or Windows-1252 is the usual cause.`,
    );
  }
  return checkText(
    Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8', start),
    label,
  );
}

function emptyFile(label: string): InputFileReadError {
  return new InputFileReadError(
    'empty',
    `${label} is empty.`,
    'Write a JSON object of input values, e.g. { "Amount": 42 } (`desktop-flows schema <flow> --template` writes one).',
  );
}

function checkText(text: string, label: string): string {
  const body = text.replace(/^\uFEFF/, '');
  if (body.trim() === '') {
    throw emptyFile(label);
  }
  return body;
}

/** Options of `readInputFileText`. */
export interface ReadInputFileOptions {
  readonly signal: AbortSignal;
  /** The most bytes read; larger files are refused (`maxInputFileBytes` by default). */
  readonly maxBytes?: number;
  /** How messages name the file (the path by default). */
  readonly label?: string;
}

/**
 * Reads and decodes an input file. A regular file over `maxBytes` is refused from its size without
 * reading it; a device (`/dev/zero`) or directory is refused; a FIFO or pipe is read until its writer
 * closes it, at most `maxBytes`, and an unwritten FIFO reads as empty instead of blocking. Throws
 * `InputFileReadError`, or `CancellationError` when `signal` aborts.
 */
export async function readInputFileText(path: string, options: ReadInputFileOptions): Promise<string> {
  const { signal } = options;
  const label = options.label ?? path;
  const maxBytes = options.maxBytes ?? maxInputFileBytes;
  throwIfAborted(signal);
  let fd: number;
  try {
    // Non-blocking, so opening a FIFO without a writer does not wait for one.
    fd = await openAsync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (e) {
    throw openError(e, label);
  }
  let handedOver = false;
  try {
    throwIfAborted(signal);
    const stat = await fstatAsync(fd);
    if (stat.isFile()) {
      if (stat.size > maxBytes) {
        throw tooLarge(label, stat.size, maxBytes);
      }
      return decodeInputFile(await readRegular(fd, stat, maxBytes, label, signal), label);
    }
    if (stat.isFIFO() || stat.isSocket()) {
      let first: Buffer = Buffer.alloc(0);
      if (stat.isFIFO()) {
        const probe = await probeFifo(fd);
        if (probe.atEnd) {
          // Nobody has it open for writing (or all was read): no wait for a writer that may never come.
          return decodeInputFile(probe.first, label);
        }
        first = probe.first;
        if (first.length > maxBytes) {
          throw tooLarge(label, undefined, maxBytes);
        }
      }
      // The stream owns the descriptor from here and closes it.
      handedOver = true;
      return decodeInputFile(await readStream(fd, first, maxBytes, label, signal), label);
    }
    throw new InputFileReadError(
      'notAFile',
      stat.isDirectory()
        ? `${label} is a folder, not an input file.`
        : `${label} is a device, not an input file.`,
      'Give the path of a JSON file of input values, or - to read them from stdin.',
    );
  } finally {
    if (!handedOver) {
      await closeAsync(fd).catch(() => undefined);
    }
  }
}

function openError(e: unknown, label: string): InputFileReadError {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') {
    return new InputFileReadError('notFound', `The input file ${label} does not exist.`, 'Check the path.');
  }
  if (code === 'EISDIR') {
    return new InputFileReadError(
      'notAFile',
      `${label} is a folder, not an input file.`,
      'Give the path of a JSON file of input values.',
    );
  }
  return new InputFileReadError(
    'unreadable',
    `Cannot read the input file ${label}: ${code ?? String(e)}.`,
    code === 'EACCES' ? 'Check that you may read the file.' : 'Check the path and try again.',
  );
}

async function readRegular(
  fd: number,
  stat: Stats,
  maxBytes: number,
  label: string,
  signal: AbortSignal,
): Promise<Uint8Array> {
  // One byte more than allowed, so a file that grew since `stat` is still caught.
  const buffer = Buffer.alloc(Math.min(stat.size, maxBytes) + 1);
  let filled = 0;
  for (;;) {
    throwIfAborted(signal);
    const bytesRead = await readAsync(fd, buffer, filled, buffer.length - filled, filled);
    if (bytesRead === 0) {
      break;
    }
    filled += bytesRead;
    if (filled === buffer.length) {
      if (filled > maxBytes) {
        throw tooLarge(label, undefined, maxBytes);
      }
      break;
    }
  }
  return buffer.subarray(0, filled);
}

/**
 * The first read of a FIFO opened without blocking: end of file at once when nobody has it open for
 * writing (Linux never reports "hang up" for a FIFO that never had a writer, so a stream would wait for
 * ever), the bytes already there, or nothing yet (EAGAIN: a writer, no data so far).
 */
async function probeFifo(fd: number): Promise<{ readonly atEnd: boolean; readonly first: Buffer }> {
  const buffer = Buffer.alloc(64 * 1024);
  try {
    const n = await readAsync(fd, buffer, 0, buffer.length, null);
    return { atEnd: n === 0, first: buffer.subarray(0, n) };
  } catch (e) {
    if (
      (e as NodeJS.ErrnoException).code === 'EAGAIN' ||
      (e as NodeJS.ErrnoException).code === 'EWOULDBLOCK'
    ) {
      return { atEnd: false, first: Buffer.alloc(0) };
    }
    throw e;
  }
}

/** Reads a FIFO or socket through a libuv stream: abortable, bounded, EOF at once without a writer. */
function readStream(
  fd: number,
  first: Buffer,
  maxBytes: number,
  label: string,
  signal: AbortSignal,
): Promise<Uint8Array> {
  return new Promise<Uint8Array>((resolve, reject) => {
    const socket = new Socket({ fd, readable: true, writable: false });
    const chunks: Buffer[] = [first];
    let size = first.length;
    let settled = false;
    const finish = (error: Error | undefined): void => {
      if (settled) {
        return;
      }
      settled = true;
      signal.removeEventListener('abort', onAbort);
      socket.destroy();
      if (error !== undefined) {
        reject(error);
      } else {
        resolve(Buffer.concat(chunks, size));
      }
    };
    const onAbort = (): void => finish(new CancellationError());
    signal.addEventListener('abort', onAbort, { once: true });
    socket.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        finish(tooLarge(label, undefined, maxBytes));
        return;
      }
      chunks.push(chunk);
    });
    socket.on('end', () => finish(undefined));
    socket.on('error', (e) =>
      finish(
        new InputFileReadError(
          'unreadable',
          `Cannot read the input file ${label}: ${e.message}.`,
          'Try again.',
        ),
      ),
    );
    if (signal.aborted) {
      onAbort();
    }
  });
}

/** Reads an already open stream (stdin) the same way: bounded, abortable, decoded. */
export async function readInputStream(
  input: AsyncIterable<string | Uint8Array>,
  options: ReadInputFileOptions & { readonly label: string },
): Promise<string> {
  const { signal, label } = options;
  const maxBytes = options.maxBytes ?? maxInputFileBytes;
  const chunks: Buffer[] = [];
  let size = 0;
  const iterator = input[Symbol.asyncIterator]();
  const aborted = new Promise<never>((_, reject) => {
    const onAbort = (): void => reject(new CancellationError());
    if (signal.aborted) {
      onAbort();
    } else {
      signal.addEventListener('abort', onAbort, { once: true });
    }
  });
  aborted.catch(() => undefined);
  try {
    for (;;) {
      const next = await Promise.race([iterator.next(), aborted]);
      if (next.done === true) {
        break;
      }
      const value: string | Uint8Array = next.value;
      const chunk = typeof value === 'string' ? Buffer.from(value, 'utf8') : Buffer.from(value);
      size += chunk.length;
      if (size > maxBytes) {
        throw tooLarge(label, undefined, maxBytes);
      }
      chunks.push(chunk);
    }
  } finally {
    void iterator.return?.();
  }
  return decodeInputFile(Buffer.concat(chunks, size), label);
}
