/**
 * Command-line entry: `npm run -s sandbox -- [--port N] [--speed K] [--data FILE]`. The first line on
 * stdout is exactly `Sandbox listening on <base URL>`; logs go to stderr. Ctrl+C stops it.
 */
import type { Logger } from '../core/logger';
import { secretMasker } from '../core/util/secretMasker';
import { SandboxDataError } from './dataFile';
import { parseArgs, usage, UsageError } from './cliOptions';
import { capLine } from './logLines';
import { startSandbox } from './server';

function stderrLogger(verbose: boolean): Logger {
  const write = (level: string, message: string | Error, args: unknown[]): void => {
    const text = message instanceof Error ? (message.stack ?? message.message) : message;
    const extra =
      args.length > 0 ? ` ${args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ')}` : '';
    process.stderr.write(
      `${new Date().toISOString()} ${level} ${capLine(secretMasker.mask(text + extra))}\n`,
    );
  };
  return {
    trace: (m, ...a) => verbose && write('trace', m, a),
    debug: (m, ...a) => verbose && write('debug', m, a),
    info: (m, ...a) => write('info', m, a),
    warn: (m, ...a) => write('warn', m, a),
    error: (m, ...a) => write('error', m, a),
  };
}

async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs(process.argv.slice(2));
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`${e.message}\n${usage}\n`);
      process.exitCode = 2;
      return;
    }
    throw e;
  }
  if (parsed.help) {
    process.stdout.write(`${usage}\n`);
    return;
  }
  let sandbox;
  try {
    sandbox = await startSandbox({ ...parsed.options, logger: stderrLogger(parsed.verbose) });
  } catch (e) {
    if (
      e instanceof SandboxDataError ||
      (e instanceof Error && (e as NodeJS.ErrnoException).code === 'EADDRINUSE')
    ) {
      process.stderr.write(`${e.message}\n`);
      process.exitCode = 1;
      return;
    }
    throw e;
  }
  process.stdout.write(`Sandbox listening on ${sandbox.url}\n`);
  const info = sandbox.describe();
  process.stdout.write(`Identity: ${info.identityUrl}  Clock speed: ${info.clock.speed}\n`);
  for (const env of info.environments) {
    process.stdout.write(`  ${env.name.padEnd(16)} ${env.orgUrl}\n`);
  }
  const stop = (): void => {
    process.stdout.write('Stopping the sandbox\n');
    void sandbox.stop().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  // Started by the extension with an IPC channel: stop when the window that started us goes away.
  if (process.send !== undefined) {
    process.once('disconnect', stop);
  }
}

void main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
