/**
 * The CLI's `Logger`: silent by default (stdout and stderr belong to results and the one error line),
 * every level on stderr with `--verbose`; the sandbox command logs from `info` up, like `npm run sandbox`.
 * Lines are masked with the process-wide secret masker.
 */
import type { Logger } from '../core/logger';
import { silentLogger } from '../core/logger';
import { secretMasker } from '../core/util/secretMasker';
import type { CliWritable } from './cliIo';

function render(message: string | Error, args: readonly unknown[]): string {
  const text = message instanceof Error ? (message.stack ?? message.message) : message;
  const extra = args.map((a) =>
    typeof a === 'string' ? a : a instanceof Error ? a.message : JSON.stringify(a),
  );
  return [text, ...extra].join(' ');
}

/** How much a logger writes: nothing, info and above, or everything. */
export type CliLogLevel = 'quiet' | 'info' | 'verbose';

/** A logger writing to `stderr` at `level` (`quiet` drops everything). */
export function createCliLogger(stderr: CliWritable, level: CliLogLevel): Logger {
  if (level === 'quiet') {
    return silentLogger;
  }
  const write =
    (name: string) =>
    (message: string | Error, ...args: unknown[]): void => {
      stderr.write(`${new Date().toISOString()} ${name} ${secretMasker.mask(render(message, args))}\n`);
    };
  const detail = level === 'verbose' ? write : (): Logger['debug'] => () => undefined;
  return {
    trace: detail('trace'),
    debug: detail('debug'),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
  };
}
