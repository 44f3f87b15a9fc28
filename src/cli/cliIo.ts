/**
 * What the CLI touches of its process: two output streams, the environment variables, stdin and an abort
 * signal (Ctrl+C). `main.ts` passes the real ones; tests pass collectors, so the whole CLI runs in-process.
 * Everything written goes through the secret masker first.
 */
import { secretMasker } from '../core/util/secretMasker';

/** A stream the CLI writes text to (`process.stdout` satisfies it). */
export interface CliWritable {
  write(chunk: string): unknown;
}

/** Where stdin comes from (`process.stdin` satisfies it). */
export interface CliReadable extends AsyncIterable<string | Buffer> {
  /** True for an interactive terminal: device-code sign-in is offered only then (or with --device-code). */
  readonly isTTY?: boolean;
}

/** The process the CLI runs in. */
export interface CliIo {
  readonly stdout: CliWritable;
  readonly stderr: CliWritable;
  /** Environment variables (DESKTOPFLOWS_*, HTTPS_PROXY, `${env:NAME}` references). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** For `--inputs -` and to tell whether the terminal is interactive. */
  readonly stdin?: CliReadable;
  /** Aborts the command (Ctrl+C): waits stop, the sandbox shuts down. */
  readonly signal?: AbortSignal;
}

/** Results on stdout, everything else on stderr; secrets masked on both. */
export class CliOutput {
  constructor(private readonly io: CliIo) {}

  /** A result line (or lines) on stdout. */
  line(text = ''): void {
    this.io.stdout.write(`${secretMasker.mask(text)}\n`);
  }

  /** A JSON result on stdout (`--json`). */
  json(value: unknown): void {
    // Masked by value before serialising: the text masker could corrupt JSON or ids.
    this.io.stdout.write(`${JSON.stringify(secretMasker.maskValue(value), null, 2)}\n`);
  }

  /** Progress, notes and errors on stderr. */
  note(text: string): void {
    this.io.stderr.write(`${secretMasker.mask(text)}\n`);
  }
}

/** Reads stdin to the end as UTF-8. */
export async function readAll(input: CliReadable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of input) {
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
