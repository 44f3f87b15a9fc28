/**
 * Help pages, generated from the command metadata (so they list exactly what the parser accepts): the
 * overview (`desktop-flows --help`) and one page per command (`desktop-flows <command> --help`).
 */
import type { CliCommand, CliOptions } from './cliCommand';
import { commonOptions, serviceOptions } from './cliCommand';
import { commandList } from './commandList';

const width = 100;

/** Word-wraps `text` to the help width, every line after the first indented by `indent`. */
function wrap(text: string, indent: number, firstIndent = indent): string {
  const words = text.split(/\s+/).filter((w) => w !== '');
  const lines: string[] = [];
  let line = ' '.repeat(firstIndent);
  let empty = true;
  for (const word of words) {
    if (!empty && line.length + 1 + word.length > width) {
      lines.push(line);
      line = ' '.repeat(indent);
      empty = true;
    }
    line += empty ? word : ` ${word}`;
    empty = false;
  }
  lines.push(line);
  return lines.join('\n');
}

function optionLabel(name: string, spec: CliOptions[string]): string {
  const long = `--${name}${spec.value === undefined ? '' : ` ${spec.value}`}`;
  return spec.short === undefined ? `    ${long}` : `-${spec.short}, ${long}`;
}

function optionBlock(options: CliOptions): string {
  const entries = Object.entries(options);
  const labelWidth = Math.min(34, Math.max(...entries.map(([n, s]) => optionLabel(n, s).length)));
  return entries
    .map(([name, spec]) => {
      const label = `  ${optionLabel(name, spec)}`;
      const indent = labelWidth + 4;
      if (label.length > indent - 2) {
        return `${label}\n${wrap(spec.description, indent)}`;
      }
      return `${label.padEnd(indent)}${wrap(spec.description, indent).slice(indent)}`;
    })
    .join('\n');
}

function usageLine(command: CliCommand): string {
  const args = command.positionals.map((p) => {
    const name = `<${p.name}>${p.variadic === true ? '...' : ''}`;
    return p.required ? name : `[${name}]`;
  });
  return `Usage: desktop-flows ${[command.name, ...args].join(' ')} [options]`;
}

const exitCodeText = `Exit codes:
    0  success (a waited run succeeded)
    1  the run failed, was cancelled or timed out
    2  bad usage or invalid input: nothing was sent
    3  authentication or permission failure
    4  service or network error
  130  interrupted (Ctrl+C)`;

const signInText = `Sign-in, first that applies:
  DESKTOPFLOWS_TOKEN         a ready access token, sent to every service (it has one audience: pair a
                             Dataverse token with --env <org URL>)
  --client-id and a secret   service principal: DESKTOPFLOWS_CLIENT_SECRET or --certificate, with --tenant
  device code                interactive terminals (or --device-code): the code and URL go to stderr
Tokens stay in memory; nothing is written to disk.`;

/** `desktop-flows --help`. */
export function overviewHelp(version: string): string {
  const nameWidth = Math.max(...commandList.map((c) => c.name.length)) + 2;
  return [
    `desktop-flows ${version}: list, run and watch Power Automate desktop flows from a terminal.`,
    '',
    'Usage: desktop-flows <command> [arguments] [options]',
    '',
    'Commands:',
    ...commandList.map((c) => `  ${c.name.padEnd(nameWidth)}${c.summary}`),
    '',
    'Connection and sign-in (every command but sandbox):',
    optionBlock(serviceOptions),
    '',
    'Common options:',
    optionBlock({ ...commonOptions, version: { type: 'boolean', description: 'Print the version.' } }),
    '',
    signInText,
    '',
    exitCodeText,
    '',
    'Run `desktop-flows <command> --help` for the options of a command. Reference: docs/cli.md.',
  ].join('\n');
}

/** `desktop-flows <command> --help`. */
export function commandHelp(command: CliCommand): string {
  const sections: string[] = [usageLine(command), '', wrap(command.summary, 0)];
  for (const paragraph of command.details ?? []) {
    sections.push('', wrap(paragraph, 0));
  }
  if (command.positionals.length > 0) {
    const nameWidth = Math.max(...command.positionals.map((p) => p.name.length)) + 4;
    sections.push(
      '',
      'Arguments:',
      ...command.positionals.map((p) => `  ${`<${p.name}>`.padEnd(nameWidth)}${p.description}`),
    );
  }
  if (Object.keys(command.options).length > 0) {
    sections.push('', 'Options:', optionBlock(command.options));
  }
  if (command.service) {
    sections.push('', 'Connection and sign-in:', optionBlock(serviceOptions));
  }
  sections.push('', 'Common options:', optionBlock(commonOptions));
  if (command.service) {
    sections.push('', signInText);
  }
  sections.push('', 'Examples:', ...command.examples.map((e) => `  ${e}`));
  return sections.join('\n');
}
