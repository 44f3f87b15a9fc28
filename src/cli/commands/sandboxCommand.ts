/**
 * `desktop-flows sandbox`: the same local Power Platform as `npm run sandbox` (same flags, same first
 * stdout line `Sandbox listening on <url>`); Ctrl+C stops it. The CLI carries no copy of the sandbox: it
 * runs the sandbox's own entry as a child process, `dist/sandbox.js` next to `dist/cli.js` (the file the
 * extension starts for "Try the Sandbox"), or `src/sandbox/main.ts` through tsx when the CLI runs from
 * its sources, and passes its output through.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import type { CliCommand } from '../cliCommand';
import { flagValue, numberValue, stringValue } from '../cliCommand';
import { CliError, exitCodes, usageError } from '../cliErrors';

/** The sandbox entry and the Node arguments that run it. */
function sandboxEntry(): { args: string[]; cwd: string | undefined } {
  const bundled = path.join(__dirname, 'sandbox.js');
  if (existsSync(bundled)) {
    return { args: [bundled], cwd: undefined };
  }
  // From the sources (tests, `npx tsx src/cli/main.ts`): src/cli/commands → src/sandbox/main.ts.
  const source = path.resolve(__dirname, '../../sandbox/main.ts');
  if (existsSync(source)) {
    return { args: ['--import', 'tsx', source], cwd: path.resolve(__dirname, '../../..') };
  }
  throw new CliError(
    exitCodes.service,
    `The sandbox is missing from this installation (${bundled} was not found). Reinstall desktop-flows.`,
  );
}

const listeningLine = /^Sandbox listening on \S+/;

export const sandboxCommand: CliCommand = {
  name: 'sandbox',
  summary: 'Run the local sandbox (a fake Power Platform with sample flows) until Ctrl+C.',
  details: [
    'The first line on stdout is exactly "Sandbox listening on <url>"; pass that URL to --sandbox (or DESKTOPFLOWS_SANDBOX_URL) of the other commands. Logs go to stderr. Device codes are approved by the sandbox itself after a moment, so `--device-code` sign-in works unattended.',
  ],
  positionals: [],
  options: {
    port: { type: 'string', value: '<n>', description: 'Port on 127.0.0.1 (default 0: any free port).' },
    speed: { type: 'string', value: '<k>', description: 'Run sandbox time k times faster (default 1).' },
    data: {
      type: 'string',
      value: '<file>',
      description: 'Serve this JSON data instead of the default seed.',
    },
    'token-lifetime': {
      type: 'string',
      value: '<seconds>',
      description: 'Access-token lifetime in sandbox seconds (default 3600).',
    },
    'no-identity': { type: 'boolean', description: 'Do not start the HTTPS identity (sign-in) endpoint.' },
  },
  service: false,
  examples: ['desktop-flows sandbox --port 5555 --speed 10'],
  async run(ctx) {
    if (ctx.json) {
      throw usageError('The sandbox command has no --json output: its first stdout line names the URL.');
    }
    const port = numberValue(ctx.values, 'port', { min: 0, max: 65_535, integer: true });
    const speed = numberValue(ctx.values, 'speed', { min: 0.001, max: 1_000_000 });
    const tokenLifetime = numberValue(ctx.values, 'token-lifetime', {
      min: 1,
      max: 31_536_000,
      integer: true,
    });
    const dataFile = stringValue(ctx.values, 'data');
    const args = [
      ...(port === undefined ? [] : ['--port', String(port)]),
      ...(speed === undefined ? [] : ['--speed', String(speed)]),
      ...(dataFile === undefined ? [] : ['--data', path.resolve(dataFile)]),
      ...(tokenLifetime === undefined ? [] : ['--token-lifetime', String(tokenLifetime)]),
      ...(flagValue(ctx.values, 'no-identity') ? ['--no-identity'] : []),
      ...(flagValue(ctx.values, 'verbose') ? ['--verbose'] : []),
    ];
    const entry = sandboxEntry();
    const child = spawn(process.execPath, [...entry.args, ...args], {
      // The IPC channel ties the sandbox's life to ours: it stops if this process goes away.
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      ...(entry.cwd === undefined ? {} : { cwd: entry.cwd }),
      windowsHide: true,
    });
    let listening = false;
    let stopping = false;
    const stderrTail: string[] = [];
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (text: string) => {
      listening ||= listeningLine.test(text);
      ctx.io.stdout.write(text);
    });
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (text: string) => {
      stderrTail.push(...text.split(/\r?\n/).filter((l) => l.trim() !== ''));
      stderrTail.splice(0, Math.max(0, stderrTail.length - 5));
      ctx.io.stderr.write(text);
    });
    const stop = (): void => {
      stopping = true;
      child.kill('SIGTERM');
    };
    if (ctx.signal.aborted) {
      stop();
    } else {
      ctx.signal.addEventListener('abort', stop, { once: true });
    }
    const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>(
      (resolve, reject) => {
        child.once('error', (e) =>
          reject(new CliError(exitCodes.service, `The sandbox could not be started: ${e.message}`)),
        );
        // 'close', not 'exit': every line the sandbox wrote has been passed on.
        child.once('close', (code, signal) => resolve({ code, signal }));
      },
    ).finally(() => ctx.signal.removeEventListener('abort', stop));
    if (!listening) {
      const last = stderrTail.at(-1) ?? `exit code ${String(exit.code ?? exit.signal)}`;
      if (/EADDRINUSE|address already in use/i.test(stderrTail.join(' '))) {
        throw new CliError(exitCodes.service, `Port ${port ?? 0} is in use: pick another with --port.`);
      }
      if (stopping) {
        return exitCodes.success;
      }
      // Bad --data files are the only other way the sandbox refuses to start.
      throw usageError(`The sandbox did not start: ${last}`);
    }
    if (!stopping) {
      throw new CliError(
        exitCodes.service,
        `The sandbox stopped unexpectedly (${exit.signal ?? `exit code ${String(exit.code)}`}).`,
      );
    }
    return exitCodes.success;
  },
};
