/**
 * `desktop-flows mcp`: a Model Context Protocol server over stdio offering the agent tools (list
 * environments and flows, flow schemas, input validation, runs) to any MCP client. Sign-in works as for
 * every other command; a device-code prompt comes back as a tool result, because stdout carries the
 * protocol. Logs go to stderr only; the server ends when stdin closes.
 */
import { Readable, Writable } from 'node:stream';
import { version } from '../../../package.json';
import type { CliCommand } from '../cliCommand';
import { pollOption } from '../cliCommand';
import { exitCodes, usageError } from '../cliErrors';
import { createCliLogger } from '../cliLogger';
import { CliAgentHost } from '../mcp/cliAgentHost';
import { serveMcp } from '../mcp/mcpServer';
import { pollIntervalMs } from '../runProgress';

export const mcpCommand: CliCommand = {
  name: 'mcp',
  summary: 'Serve the agent tools to an MCP client (Model Context Protocol over stdio).',
  details: [
    'Tools: list_environments, list_desktop_flows, get_flow_schema, validate_inputs, run_desktop_flow, get_run, cancel_run, list_runs. Every tool takes an optional `environment`; --env (or DESKTOPFLOWS_ENV) is the default.',
    'run_desktop_flow validates the inputs before any request: on a problem the tool result lists them and nothing is sent. ${secret:NAME} in inputs reads DESKTOPFLOWS_SECRET_NAME. Starts keep the 70-per-minute limit and are exactly once.',
    'stdout carries the protocol only; logs go to stderr (--verbose for details). A device-code sign-in shows its prompt as a tool result. The server ends when stdin closes.',
  ],
  positionals: [],
  options: { ...pollOption },
  service: true,
  examples: [
    'desktop-flows mcp --env "Contoso Dev"',
    'desktop-flows mcp --env https://contoso.crm.dynamics.com --client-id <app id> --tenant contoso.onmicrosoft.com',
  ],
  async run(ctx) {
    const { stdin, stdout } = ctx.io;
    if (!(stdin instanceof Readable) || !(stdout instanceof Writable)) {
      throw usageError(
        'desktop-flows mcp talks to an MCP client over stdin and stdout; run it as a process.',
      );
    }
    const cloud = await ctx.connection.cloud(ctx.signal);
    const pollMs = pollIntervalMs(ctx.values, cloud.loopback);
    // Logs on stderr, from info up (everything with --verbose).
    const logger = ctx.values.verbose === true ? ctx.logger : createCliLogger(ctx.io.stderr, 'info');
    const host = new CliAgentHost({
      io: ctx.io,
      settings: ctx.connection.settings,
      logger,
      pollMs,
      lifetime: ctx.signal,
    });
    try {
      await serveMcp({
        host,
        start: host.start,
        stdin,
        stdout,
        logger,
        version,
        lifetime: ctx.signal,
      });
    } finally {
      await host.dispose();
    }
    return exitCodes.success;
  },
};
