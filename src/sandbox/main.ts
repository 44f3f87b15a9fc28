/**
 * Command-line entry: `npm run -s sandbox -- [--port N] [--speed K] [--data FILE]`. The first line on
 * stdout is exactly `Sandbox listening on <base URL>`; logs go to stderr. Ctrl+C stops it.
 */
import type { Logger } from '../core/logger';
import { secretMasker } from '../core/util/secretMasker';
import { SandboxDataError } from './dataFile';
import { startSandbox } from './server';
import type { SandboxOptions } from './server';

const usage = `Usage: npm run -s sandbox -- [options]
  --port N             port on 127.0.0.1 (default 0: any free port)
  --speed K            run sandbox time K times faster (default 1)
  --data FILE          serve this JSON data instead of the default seed (see src/sandbox/README.md)
  --token-lifetime S   access-token lifetime in sandbox seconds (default 3600)
  --no-identity        do not start the HTTPS identity endpoint
  --verbose            log every request
  --help               show this help`;

class UsageError extends Error {}

function positiveNumber(flag: string, value: string | undefined, integer: boolean): number {
  const n = Number(value);
  if (
    value === undefined ||
    value === '' ||
    !Number.isFinite(n) ||
    n < 0 ||
    (integer && !Number.isInteger(n))
  ) {
    throw new UsageError(`${flag} needs a ${integer ? 'whole ' : ''}number, got ${value ?? 'nothing'}.`);
  }
  return n;
}

/** Parses the command line into sandbox options. */
export function parseArgs(argv: readonly string[]): {
  options: SandboxOptions;
  verbose: boolean;
  help: boolean;
} {
  const options: SandboxOptions = {};
  let verbose = false;
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const [flag, inline] = arg.includes('=')
      ? (arg.split(/=(.*)/s, 2) as [string, string])
      : [arg, undefined];
    const value = (): string | undefined => inline ?? argv[++i];
    switch (flag) {
      case '--port':
        options.port = positiveNumber(flag, value(), true);
        break;
      case '--speed': {
        const speed = positiveNumber(flag, value(), false);
        if (speed === 0) {
          throw new UsageError('--speed must be greater than 0.');
        }
        options.speed = speed;
        break;
      }
      case '--data': {
        const file = value();
        if (file === undefined) {
          throw new UsageError('--data needs a file name.');
        }
        options.dataFile = file;
        break;
      }
      case '--token-lifetime':
        options.tokenLifetimeSeconds = positiveNumber(flag, value(), true);
        break;
      case '--no-identity':
        options.identity = false;
        break;
      case '--verbose':
        verbose = true;
        break;
      case '--help':
      case '-h':
        help = true;
        break;
      default:
        throw new UsageError(`Unknown option ${arg}.`);
    }
  }
  return { options, verbose, help };
}

function stderrLogger(verbose: boolean): Logger {
  const write = (level: string, message: string | Error, args: unknown[]): void => {
    const text = message instanceof Error ? (message.stack ?? message.message) : message;
    const extra =
      args.length > 0 ? ` ${args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ')}` : '';
    process.stderr.write(`${new Date().toISOString()} ${level} ${secretMasker.mask(text + extra)}\n`);
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
}

void main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
