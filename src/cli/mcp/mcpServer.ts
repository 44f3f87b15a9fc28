/**
 * The Model Context Protocol server of `desktop-flows mcp`, on the official SDK's low-level `Server`
 * over stdio: `tools/list` answers with the shared agent tool catalogue (its JSON Schemas as they are),
 * `tools/call` runs the shared operations. Every failure is a tool result (`isError`) that says what to
 * do; stdout carries only the protocol. The server ends when stdin closes or `lifetime` aborts.
 */
import type { Readable, Writable } from 'node:stream';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import {
  CallToolRequestSchema,
  ListToolsRequestSchema,
  type CallToolResult,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import { agentTools, agentToolsFor } from '../../core/agent/agentToolCatalog';
import { AgentToolError, invokeAgentTool, type AgentRunStarter } from '../../core/agent/agentOperations';
import type { AgentHost } from '../../core/agent/agentHost';
import { CancellationError } from '../../core/errors';
import type { Logger } from '../../core/logger';

/** What the server runs on. */
export interface McpServerOptions {
  readonly host: AgentHost;
  readonly start: AgentRunStarter;
  readonly stdin: Readable;
  readonly stdout: Writable;
  readonly logger: Logger;
  readonly version: string;
  /** Aborts the server (Ctrl+C, SIGTERM). */
  readonly lifetime: AbortSignal;
}

const instructions =
  'Desktop Flows for Power Automate: list environments and desktop flows, read a flow\'s input schema, validate inputs (nothing is sent), run a flow (inputs are validated first; starts are exactly once), and follow, list or cancel runs. Call get_flow_schema before run_desktop_flow. Give sensitive inputs as "${secret:NAME}" references (read from DESKTOPFLOWS_SECRET_NAME) rather than literal values.';

/** The tool list as MCP clients see it. */
export function mcpToolList(): Tool[] {
  return agentToolsFor('mcp').map((t) => ({
    name: t.mcpName,
    title: t.title,
    description: t.description,
    inputSchema: t.inputSchema as Tool['inputSchema'],
    annotations: {
      title: t.title,
      readOnlyHint: !t.changesState,
      destructiveHint: t.id === 'cancelRun',
      idempotentHint: !t.changesState,
      openWorldHint: true,
    },
  }));
}

function errorResult(text: string, data?: Record<string, unknown>): CallToolResult {
  return {
    isError: true,
    content: [{ type: 'text', text }],
    ...(data === undefined || Object.keys(data).length === 0 ? {} : { structuredContent: data }),
  };
}

/** Serves until stdin ends or `lifetime` aborts; resolves once the transport is closed. */
export async function serveMcp(options: McpServerOptions): Promise<void> {
  const { host, start, logger, lifetime } = options;
  const server = new Server(
    { name: 'desktop-flows', title: 'Desktop Flows for Power Automate', version: options.version },
    { capabilities: { tools: {} }, instructions },
  );
  server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: mcpToolList() }));
  server.setRequestHandler(CallToolRequestSchema, async (request, extra): Promise<CallToolResult> => {
    const name = request.params.name;
    const spec = agentTools.find((t) => t.mcpName === name);
    if (spec === undefined) {
      return errorResult(
        `There is no tool "${name}". The tools are: ${agentTools.map((t) => t.mcpName).join(', ')}.`,
      );
    }
    const signal = AbortSignal.any([extra.signal, lifetime]);
    logger.debug(`[mcp] ${name}`);
    try {
      const result = await invokeAgentTool(spec.id, host, request.params.arguments ?? {}, signal, start);
      return { content: [{ type: 'text', text: result.text }], structuredContent: result.data };
    } catch (e) {
      if (CancellationError.is(e)) {
        return errorResult(
          'The call was cancelled before it finished. A run that was already started goes on: list_runs shows it.',
        );
      }
      if (AgentToolError.is(e)) {
        return errorResult(e.message, e.data);
      }
      // invokeAgentTool turns every other failure into an AgentToolError; this is the last resort.
      logger.error(e instanceof Error ? e : new Error(String(e)));
      return errorResult(
        'The tool failed unexpectedly. Start the server with --verbose to see why on stderr.',
      );
    }
  });
  server.onerror = (e) => logger.warn(`[mcp] ${e.message}`);

  const transport = new StdioServerTransport(options.stdin, options.stdout);
  const ended = new Promise<'stdin' | 'stopped'>((resolve) => {
    options.stdin.once('end', () => resolve('stdin'));
    options.stdin.once('close', () => resolve('stdin'));
    transport.onclose = () => resolve('stdin');
    if (lifetime.aborted) {
      resolve('stopped');
    }
    lifetime.addEventListener('abort', () => resolve('stopped'), { once: true });
  });
  await server.connect(transport);
  logger.info(`[mcp] desktop-flows ${options.version} serving ${agentTools.length} tools on stdio`);
  const why = await ended;
  await server.close();
  logger.info(why === 'stdin' ? '[mcp] stdin closed; server stopped' : '[mcp] interrupted; server stopped');
}
