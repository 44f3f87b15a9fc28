/**
 * "Check Before Run" on a flow (tree context menu, palette): checks the flow against every desktop-flow
 * connection of its environment with `checkReadiness` (nothing is sent) and shows the answer as a rendered
 * Markdown document, the best connection first.
 */
import { setMaxListeners } from 'node:events';
import * as vscode from 'vscode';
import type { FlowSchemaCache } from '../../core/inputs/flowSchemaCache';
import type { SecretResolver } from '../../core/inputs/secretReference';
import type { Logger } from '../../core/logger';
import type { Environment } from '../../core/model/environment';
import type { DesktopFlow } from '../../core/model/flow';
import { checkReadiness, type ReadinessReport } from '../../core/runs/readiness';
import { readinessMarkdown } from '../../core/runs/readinessMarkdown';
import type { RunMode } from '../../core/runs/runOptions';
import type { AccountService } from '../accounts/accountService';
import type { SignedInAccount } from '../accounts/signedInAccount';
import { commandIds } from '../commandIds';
import { pickEnvironment, pickFlow } from '../pickers';
import type { Prompts } from '../prompts';
import { ReadOnlyDocuments } from '../readOnlyDocuments';
import { registerCommand, UserFacingError } from '../registerCommand';
import { FlowNode } from '../tree/flowNodes';
import { readinessGoneText, readinessScheme } from './readinessDocumentSchemes';

/** What the command needs. */
export interface CheckBeforeRunDeps {
  readonly log: Logger;
  readonly accounts: AccountService;
  readonly defaultEnvironmentId: () => string | undefined;
  readonly resolver?: SecretResolver;
  /** The window's one schema cache (composition root). */
  readonly schemas: FlowSchemaCache;
  readonly prompts: Prompts;
}

/** What the command resolves to (tests read it): the document and the reports, best first. */
export interface CheckBeforeRunResult {
  readonly uri: vscode.Uri;
  readonly reports: readonly ReadinessReport[];
}

/** Plain arguments: `{ runMode?: 'attended' | 'unattended' }` (default unattended). */
function runModeOf(arg: unknown): RunMode {
  const mode = typeof arg === 'object' && arg !== null ? (arg as { runMode?: unknown }).runMode : undefined;
  return mode === 'attended' ? 'attended' : 'unattended';
}

/** Registers the command and its document provider. */
export function registerCheckBeforeRun(deps: CheckBeforeRunDeps): vscode.Disposable[] {
  const documents = new ReadOnlyDocuments(readinessScheme, readinessGoneText);

  const check = async (
    account: SignedInAccount,
    environment: Environment,
    flow: DesktopFlow,
    runMode: RunMode,
  ): Promise<CheckBeforeRunResult> => {
    const session = account.session;
    return await vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: `Checking "${flow.name}" before a run…`,
        cancellable: true,
      },
      async (_progress, token) => {
        const controller = new AbortController();
        const sub = token.onCancellationRequested(() => controller.abort());
        try {
          const signal = controller.signal;
          // One wait per connection on the window's shared schema cache (each adds an abort listener here):
          // bounded by the environment's connections, so no MaxListenersExceededWarning in the host log.
          setMaxListeners(0, signal);
          const connections = await session.connections.listDesktopFlowConnections(environment.id, signal);
          const reports = await Promise.all(
            connections.map((c) =>
              checkReadiness(
                {
                  target: {
                    environment: {
                      kind: 'resolved',
                      ref: {
                        id: environment.id,
                        orgUrl: environment.orgUrl,
                        displayName: environment.displayName,
                      },
                    },
                    flow: { kind: 'resolved', flow },
                  },
                  inputs: { kind: 'none' },
                  options: { connection: { kind: 'connection', name: c.name }, runMode },
                  origin: 'check',
                },
                {
                  session,
                  schemas: deps.schemas,
                  logger: deps.log,
                  ...(deps.resolver === undefined ? {} : { resolver: deps.resolver }),
                },
                signal,
              ),
            ),
          );
          const rank = { ready: 0, willWait: 1, willFail: 2 } as const;
          const sorted = [...reports].sort((a, b) => rank[a.verdict] - rank[b.verdict]);
          const uri = vscode.Uri.from({
            scheme: readinessScheme,
            path: `/Check ${flow.name.replace(/[\\/]/g, '-')}.md`,
            query: `${environment.id}/${flow.id}/${Date.now()}`,
          });
          documents.set(uri, readinessMarkdown(flow.name, environment.displayName, sorted, new Date()));
          deps.log.info(
            `[check] "${flow.name}" in ${environment.displayName}: ${sorted.map((r) => `${r.connectionDisplayName ?? '?'} ${r.verdict}`).join('; ')}`,
          );
          await vscode.commands.executeCommand('markdown.showPreview', uri);
          return { uri, reports: sorted };
        } finally {
          sub.dispose();
        }
      },
    );
  };

  return [
    documents,
    registerCommand(commandIds.checkBeforeRun, deps.log, async (arg?: unknown, extra?: unknown) => {
      if (arg instanceof FlowNode) {
        return check(arg.account, arg.environment, arg.flow, runModeOf(extra));
      }
      if (deps.accounts.accounts.length === 0) {
        throw new UserFacingError('Sign in first to check a desktop flow before a run.');
      }
      const choice = await pickEnvironment(
        deps.prompts,
        deps.accounts,
        deps.defaultEnvironmentId(),
        'Check Before Run: environment',
      );
      const flow = await pickFlow(choice, 'Check Before Run: desktop flow');
      return check(choice.account, choice.environment, flow, runModeOf(arg));
    }),
  ];
}
