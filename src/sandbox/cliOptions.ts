/** Command-line options of the sandbox (`npm run -s sandbox -- …`), parsed without side effects. */
import type { SandboxOptions } from './server';

/** The help text. */
export const usage = `Usage: npm run -s sandbox -- [options]
  --port N             port on 127.0.0.1 (default 0: any free port)
  --speed K            run sandbox time K times faster (default 1)
  --data FILE          serve this JSON data instead of the default seed (see src/sandbox/README.md)
  --token-lifetime S   access-token lifetime in sandbox seconds (default 3600)
  --no-identity        do not start the HTTPS identity endpoint
  --verbose            log every request
  --help               show this help`;

/** A command line the sandbox cannot use; the message says why. */
export class UsageError extends Error {}

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
