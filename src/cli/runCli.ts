/**
 * The CLI as a function: `runCli(argv, io)` parses the command line (node:util `parseArgs`), runs one
 * command over the shared core and returns the exit code. `main.ts` calls it with the real process;
 * tests call it in-process with collectors. Every failure ends here as one line on stderr (a stack trace
 * only with `--verbose`) and an exit code from `exitCodes`.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { version } from '../../package.json';
import { closestName } from '../core/inputs/nameSimilarity';
import { secretMasker } from '../core/util/secretMasker';
import type { CliCommand, CliOptions, CliValues, CommandContext } from './cliCommand';
import { commonOptions, serviceOptions } from './cliCommand';
import { CliConnection, connectionSettings } from './cliConnection';
import { CliError, describeFailure, exitCodes, usageError, type ExitCode } from './cliErrors';
import { commandHelp, overviewHelp } from './cliHelp';
import { CliOutput, type CliIo } from './cliIo';
import { createCliLogger } from './cliLogger';
import { commandList, findCommand } from './commandList';

/** The version `--version` prints. */
export const cliVersion: string = version;

type ParseOptions = NonNullable<ParseArgsConfig['options']>;

function parseOptions(options: CliOptions): ParseOptions {
  const out: ParseOptions = {};
  for (const [name, spec] of Object.entries(options)) {
    out[name] = {
      type: spec.type,
      ...(spec.short === undefined ? {} : { short: spec.short }),
      ...(spec.multiple === true ? { multiple: true } : {}),
    };
  }
  return out;
}

const versionOption: CliOptions = { version: { type: 'boolean', description: 'Print the version.' } };

/** Every option of every command: lets a first, lenient pass find the command wherever options stand. */
function everyOption(): ParseOptions {
  let all: CliOptions = { ...commonOptions, ...serviceOptions, ...versionOption };
  for (const command of commandList) {
    all = { ...all, ...command.options };
  }
  return parseOptions(all);
}

/** What the command line asks for. */
type Invocation =
  | { readonly kind: 'overview' }
  | { readonly kind: 'version' }
  | { readonly kind: 'help'; readonly command: CliCommand }
  | {
      readonly kind: 'command';
      readonly command: CliCommand;
      readonly values: CliValues;
      readonly positionals: readonly string[];
    };

function seeHelp(command?: CliCommand): string {
  return command === undefined
    ? 'Run `desktop-flows --help` for the commands.'
    : `Run \`desktop-flows ${command.name} --help\` for its options.`;
}

function commandNamed(name: string): CliCommand {
  const command = findCommand(name);
  if (command === undefined) {
    const near = closestName(
      name,
      commandList.map((c) => c.name),
    );
    throw usageError(
      `Unknown command "${name}".${near === undefined ? '' : ` Did you mean "${near}"?`} ${seeHelp()}`,
    );
  }
  return command;
}

/**
 * node:util reports parse problems as TypeErrors with ERR_PARSE_ARGS_* codes and a readable message of
 * one or more sentences (one per line). A value that starts with a dash (`--timeout -5`) is "ambiguous":
 * say which value and how to pass it, rather than node's generic wording.
 */
function parseProblem(e: unknown, argv: readonly string[]): string {
  const message = e instanceof Error ? e.message : String(e);
  const ambiguous = /^Option '(--?[^' ]+)' argument is ambiguous/.exec(message);
  if (ambiguous?.[1] !== undefined) {
    const option = ambiguous[1];
    const index = argv.indexOf(option);
    const value = index >= 0 ? argv[index + 1] : undefined;
    return value === undefined
      ? `${option} needs a value.`
      : `${option} is followed by "${value}", which looks like another option. To give a value that starts with a dash, write ${option}=${value}.`;
  }
  if ((e as { code?: unknown }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    // node goes on about positionals after `--`, which only confuses here.
    return `${message.split(/\.\s/)[0]?.replace(/\.$/, '') ?? message}.`;
  }
  const sentences = message
    .split(/\n+/)
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .map((line) => (/[.?!]$/.test(line) ? line : `${line}.`));
  return sentences.join(' ');
}

/** Reads the command line; throws a usage error (exit 2) when it cannot be understood. */
function parseCommandLine(argv: readonly string[]): Invocation {
  const loose = parseArgs({
    args: [...argv],
    options: everyOption(),
    strict: false,
    allowPositionals: true,
  });
  const name = loose.positionals[0];
  if (name === undefined) {
    if (loose.values.version === true) {
      return { kind: 'version' };
    }
    if (loose.values.help === true) {
      return { kind: 'overview' };
    }
    throw usageError(`Name a command: ${commandList.map((c) => c.name).join(', ')}. ${seeHelp()}`);
  }
  if (name === 'help') {
    const topic = loose.positionals[1];
    return topic === undefined ? { kind: 'overview' } : { kind: 'help', command: commandNamed(topic) };
  }
  const command = commandNamed(name);
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: parseOptions({
        ...commonOptions,
        ...(command.service ? serviceOptions : {}),
        ...command.options,
      }),
      strict: true,
      allowPositionals: true,
    });
  } catch (e) {
    throw usageError(`${parseProblem(e, argv)} ${seeHelp(command)}`);
  }
  const values = parsed.values as CliValues;
  if (values.help === true) {
    return { kind: 'help', command };
  }
  // The first positional is the command name itself.
  const positionals = parsed.positionals.slice(1);
  const [firstExtra] = positionals.slice(command.positionals.length);
  if (firstExtra !== undefined && command.positionals.at(-1)?.variadic !== true) {
    throw usageError(`Unexpected argument "${firstExtra}" for ${command.name}. ${seeHelp(command)}`);
  }
  const missing = command.positionals.slice(positionals.length).find((p) => p.required);
  if (missing !== undefined) {
    throw usageError(`${command.name} needs <${missing.name}>: ${missing.description} ${seeHelp(command)}`);
  }
  return { kind: 'command', command, values, positionals };
}

function causes(e: unknown): string[] {
  const lines: string[] = [];
  let current: unknown = e;
  for (let depth = 0; current instanceof Error && depth < 5; depth++) {
    lines.push(current.stack ?? `${current.name}: ${current.message}`);
    current = current.cause;
  }
  return lines;
}

/**
 * Runs the CLI with `argv` (the arguments after the program name) in `io`; resolves with the exit code.
 * Never throws, and releases every connection before it resolves.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<ExitCode> {
  const out = new CliOutput(io);
  const signal = io.signal ?? new AbortController().signal;
  const verbose = argv.includes('--verbose');
  let connection: CliConnection | undefined;
  try {
    const invocation = parseCommandLine(argv);
    switch (invocation.kind) {
      case 'overview':
        out.line(overviewHelp(cliVersion));
        return exitCodes.success;
      case 'version':
        out.line(cliVersion);
        return exitCodes.success;
      case 'help':
        out.line(commandHelp(invocation.command));
        return exitCodes.success;
      case 'command':
        break;
    }
    const { command, values, positionals } = invocation;
    const logger = createCliLogger(io.stderr, verbose ? 'verbose' : 'quiet');
    connection = new CliConnection(io, connectionSettings(values, io.env), logger, out);
    const context: CommandContext = {
      io,
      out,
      logger,
      signal,
      positionals,
      values,
      json: values.json === true,
      connection,
    };
    return await command.run(context);
  } catch (e) {
    const report =
      signal.aborted && !CliError.is(e)
        ? { exitCode: exitCodes.interrupted, message: 'Interrupted.' }
        : describeFailure(e);
    out.note(`error: ${report.message}`);
    if (verbose && !CliError.is(e)) {
      for (const line of causes(e)) {
        out.note(secretMasker.mask(line));
      }
    }
    return report.exitCode;
  } finally {
    await connection?.dispose();
  }
}
