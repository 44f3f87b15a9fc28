/**
 * `desktop-flows sandbox`: the same local Power Platform as `npm run sandbox` (same flags, same first
 * stdout line `Sandbox listening on <url>`), started in this process; Ctrl+C stops it.
 */
import { SandboxDataError } from '../../sandbox/dataFile';
import { startSandbox, type Sandbox, type SandboxOptions } from '../../sandbox/server';
import type { CliCommand } from '../cliCommand';
import { flagValue, numberValue, stringValue } from '../cliCommand';
import { CliError, exitCodes, usageError } from '../cliErrors';
import { createCliLogger } from '../cliLogger';

function untilAborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve();
      return;
    }
    signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

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
    const options: SandboxOptions = {
      ...(port === undefined ? {} : { port }),
      ...(speed === undefined ? {} : { speed }),
      ...(dataFile === undefined ? {} : { dataFile }),
      ...(tokenLifetime === undefined ? {} : { tokenLifetimeSeconds: tokenLifetime }),
      ...(flagValue(ctx.values, 'no-identity') ? { identity: false } : {}),
      logger: createCliLogger(ctx.io.stderr, flagValue(ctx.values, 'verbose') ? 'verbose' : 'info'),
    };
    let sandbox: Sandbox;
    try {
      sandbox = await startSandbox(options);
    } catch (e) {
      if (e instanceof SandboxDataError) {
        throw usageError(e.message);
      }
      if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') {
        throw new CliError(exitCodes.service, `Port ${port ?? 0} is in use: pick another with --port.`);
      }
      throw e;
    }
    try {
      ctx.out.line(`Sandbox listening on ${sandbox.url}`);
      const info = sandbox.describe();
      ctx.out.line(`Identity: ${info.identityUrl}  Clock speed: ${info.clock.speed}`);
      for (const env of info.environments) {
        ctx.out.line(`  ${env.name.padEnd(16)} ${env.orgUrl}`);
      }
      await untilAborted(ctx.signal);
      ctx.out.line('Stopping the sandbox');
    } finally {
      await sandbox.stop();
    }
    return exitCodes.success;
  },
};
