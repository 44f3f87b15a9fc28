/**
 * What a CLI command is: its name, arguments, options (node:util `parseArgs` specs plus help text), and
 * the function that runs it. Help pages are generated from this metadata, so they cannot drift from what
 * the parser accepts.
 */
import type { Logger } from '../core/logger';
import type { CliConnection } from './cliConnection';
import type { ExitCode } from './cliErrors';
import { usageError } from './cliErrors';
import type { CliIo, CliOutput } from './cliIo';

/** One option. */
export interface CliOption {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  /** The option may be given several times (its value is then a list). */
  readonly multiple?: boolean;
  /** Placeholder in help, e.g. `<file>`. */
  readonly value?: string;
  readonly description: string;
}

/** Options by long name (without `--`). */
export type CliOptions = Readonly<Record<string, CliOption>>;

/** One positional argument. */
export interface CliPositional {
  readonly name: string;
  readonly required: boolean;
  readonly description: string;
  /** Takes every remaining argument (last positional only). */
  readonly variadic?: boolean;
}

/** Parsed option values by long name. */
export type CliValues = Readonly<Record<string, string | boolean | readonly string[] | undefined>>;

/** Everything a command gets to run. */
export interface CommandContext {
  readonly io: CliIo;
  readonly out: CliOutput;
  readonly logger: Logger;
  /** Aborts on Ctrl+C. */
  readonly signal: AbortSignal;
  /** Positional arguments after the command name. */
  readonly positionals: readonly string[];
  readonly values: CliValues;
  /** `--json`: results as JSON on stdout. */
  readonly json: boolean;
  /** Cloud, sign-in, session and environment, set up on first use. */
  readonly connection: CliConnection;
}

/** A command. */
export interface CliCommand {
  readonly name: string;
  /** One line for the command list. */
  readonly summary: string;
  /** Paragraphs for the command's help page. */
  readonly details?: readonly string[];
  readonly positionals: readonly CliPositional[];
  readonly options: CliOptions;
  /** True when the command talks to the service: the connection and sign-in options apply. */
  readonly service: boolean;
  readonly examples: readonly string[];
  run(context: CommandContext): Promise<ExitCode>;
}

/** Options every command accepts. */
export const commonOptions: CliOptions = {
  help: { type: 'boolean', short: 'h', description: 'Show help for the command.' },
  json: { type: 'boolean', description: 'Print the result as JSON on stdout (shapes in docs/cli.md).' },
  verbose: {
    type: 'boolean',
    description: 'Log requests and details on stderr, and show stack traces of unexpected errors.',
  },
};

/** Where to connect and how to sign in: every command that talks to the service accepts these. */
export const serviceOptions: CliOptions = {
  env: {
    type: 'string',
    value: '<environment>',
    description:
      'Environment: org URL, environment id, unique name or display name (default: DESKTOPFLOWS_ENV).',
  },
  cloud: {
    type: 'string',
    value: '<cloud>',
    description: 'Public (default), GCC, GCCHigh, DoD or China (default: DESKTOPFLOWS_CLOUD).',
  },
  sandbox: {
    type: 'string',
    value: '<url>',
    description: 'Use a running sandbox, e.g. http://127.0.0.1:5555 (default: DESKTOPFLOWS_SANDBOX_URL).',
  },
  tenant: {
    type: 'string',
    value: '<tenant>',
    description: 'Tenant id or domain to sign in to (default: DESKTOPFLOWS_TENANT, else "organizations").',
  },
  'client-id': {
    type: 'string',
    value: '<id>',
    description:
      'Application (client) id: a service principal with DESKTOPFLOWS_CLIENT_SECRET or --certificate, else the public app for device code (default: DESKTOPFLOWS_CLIENT_ID).',
  },
  certificate: {
    type: 'string',
    value: '<pem file>',
    description: 'PEM file with the service principal certificate and its unencrypted private key.',
  },
  'device-code': {
    type: 'boolean',
    description: 'Sign in with a device code even when stdin is not an interactive terminal.',
  },
};

/** Options of the commands that watch a run. */
export const pollOption: CliOptions = {
  'poll-interval': {
    type: 'string',
    value: '<seconds>',
    description:
      'Fastest status check while waiting (default 2, at least 1; a sandbox on this machine allows 0.05).',
  },
};

/** A string option's value, or `undefined`. */
export function stringValue(values: CliValues, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

/** Every value of an option given several times (`multiple`), in order. */
export function stringValues(values: CliValues, name: string): string[] {
  const v = values[name];
  return typeof v === 'string'
    ? [v]
    : Array.isArray(v)
      ? v.filter((x): x is string => typeof x === 'string')
      : [];
}

/** A boolean option's value. */
export function flagValue(values: CliValues, name: string): boolean {
  return values[name] === true;
}

/** Plain decimal notation only: no hex (`0x10`), exponents (`1e3`), `Infinity` or surrounding spaces. */
const decimalPattern = /^[+-]?(?:\d+(?:\.\d+)?|\.\d+)$/;
const integerPattern = /^[+-]?\d+$/;

/** A numeric option's value, checked; `undefined` when absent. Throws a usage error otherwise. */
export function numberValue(
  values: CliValues,
  name: string,
  bounds: { readonly min: number; readonly max: number; readonly integer?: boolean },
): number | undefined {
  const raw = stringValue(values, name);
  if (raw === undefined) {
    return undefined;
  }
  const integer = bounds.integer === true;
  const kind = integer ? 'a whole number' : 'a number';
  const example = integer ? `e.g. ${Math.max(bounds.min, Math.min(bounds.max, 60))}` : 'e.g. 2 or 0.5';
  if (!(integer ? integerPattern : decimalPattern).test(raw)) {
    throw usageError(`--${name} needs ${kind} written in plain digits (${example}), got "${raw}".`);
  }
  const n = Number(raw);
  if (!Number.isFinite(n)) {
    throw usageError(`--${name} needs ${kind}, got "${raw}".`);
  }
  if (n < bounds.min || n > bounds.max) {
    throw usageError(`--${name} must be between ${bounds.min} and ${bounds.max}, got ${raw}.`);
  }
  return n;
}
