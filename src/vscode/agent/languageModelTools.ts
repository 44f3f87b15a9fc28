import * as vscode from 'vscode';
import { agentTools, type AgentToolSpec } from '../../core/agent/agentToolCatalog';
import {
  AgentToolError,
  describePendingCancel,
  describePendingRun,
  invokeAgentTool,
  type AgentArgs,
  type AgentRunStarter,
} from '../../core/agent/agentOperations';
import type { AgentHost } from '../../core/agent/agentHost';
import { CancellationError } from '../../core/errors';
import type { Logger } from '../../core/logger';
import { toAbortSignal } from '../cancellation';
import { hasToolsApi, registerTool } from '../onFirstUse';

/** A tool result: the text for the model, then the same facts as JSON. */
function toolResult(text: string, data: Record<string, unknown> | undefined): vscode.LanguageModelToolResult {
  const parts = [new vscode.LanguageModelTextPart(text)];
  if (data !== undefined && Object.keys(data).length > 0) {
    parts.push(new vscode.LanguageModelTextPart(JSON.stringify(data)));
  }
  return new vscode.LanguageModelToolResult(parts);
}

function argsOf(input: unknown): AgentArgs {
  return typeof input === 'object' && input !== null ? (input as AgentArgs) : {};
}

/** The confirmation of a tool that changes something: what it will do, with inputs masked. */
async function confirmation(
  spec: AgentToolSpec,
  host: AgentHost,
  input: unknown,
  token: vscode.CancellationToken,
): Promise<vscode.PreparedToolInvocation> {
  const signal = toAbortSignal(token);
  const args = argsOf(input);
  const pending =
    spec.id === 'runFlow'
      ? await describePendingRun(host, args, signal)
      : await describePendingCancel(host, args, signal);
  return {
    invocationMessage: spec.id === 'runFlow' ? 'Starting the desktop flow…' : 'Cancelling the run…',
    confirmationMessages: { title: pending.title, message: pending.message },
  };
}

/**
 * The Desktop Flows language-model tools (`desktopFlows_*`, declared in package.json
 * `languageModelTools`): the shared agent operations over the extension's accounts and runs controller.
 * `runFlow` and `cancelRun` ask for confirmation first, naming flow, environment, connection, mode and the
 * masked inputs. Failures come back as tool results that say what to do.
 */
export function registerLanguageModelTools(
  host: AgentHost,
  start: AgentRunStarter,
  log: Logger,
): { disposables: vscode.Disposable[]; tools: ReadonlyMap<string, vscode.LanguageModelTool<unknown>> } {
  const tools = new Map<string, vscode.LanguageModelTool<unknown>>();
  for (const spec of agentTools) {
    tools.set(spec.lmName, {
      ...(spec.changesState
        ? { prepareInvocation: (options, token) => confirmation(spec, host, options.input, token) }
        : {}),
      async invoke(options, token) {
        try {
          const result = await invokeAgentTool(spec.id, host, options.input, toAbortSignal(token), start);
          return toolResult(result.text, result.data);
        } catch (e) {
          if (CancellationError.is(e)) {
            throw e;
          }
          const error = AgentToolError.is(e) ? e : new AgentToolError(host.describeError(e));
          log.info(`[agent] ${spec.lmName}: ${error.message.split('\n')[0] ?? ''}`);
          return toolResult(`Error: ${error.message}`, { ...error.data, error: true });
        }
      },
    });
  }
  if (!hasToolsApi()) {
    log.info('[agent] this VS Code has no language-model tools API; the tools are not registered');
    return { disposables: [], tools };
  }
  return {
    disposables: [...tools].map(([name, tool]) => registerTool(name, tool)),
    tools,
  };
}
