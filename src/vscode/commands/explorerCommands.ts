import * as vscode from 'vscode';
import type { Logger } from '../../core/logger';
import type { AccountService } from '../accounts/accountService';
import { commandIds } from '../commandIds';
import type { EnvironmentStatusBar } from '../environmentStatusBar';
import type { LogChannel } from '../logChannel';
import { pickEnvironment } from '../pickers';
import type { Prompts } from '../prompts';
import { registerCommand, UserFacingError } from '../registerCommand';
import { ConnectionNode, ConnectionReferenceNode } from '../tree/connectionNodes';
import { EnvironmentNode } from '../tree/environmentNode';
import type { ExplorerNode } from '../tree/explorerNode';
import type { ExplorerView } from '../tree/explorerView';
import { FlowNode } from '../tree/flowNodes';
import { MachineGroupNode, MachineNode } from '../tree/machineNodes';
import { MessageNode } from '../tree/messageNode';

export interface ExplorerCommandDeps {
  log: LogChannel;
  accounts: AccountService;
  explorer: ExplorerView;
  environmentStatus: EnvironmentStatusBar;
  prompts: Prompts;
}

/** The id a node stands for (Copy ID), if any. */
function idOf(node: ExplorerNode): string | undefined {
  if (node instanceof FlowNode) {
    return node.flow.id;
  }
  if (node instanceof EnvironmentNode) {
    return node.environment.id;
  }
  if (node instanceof ConnectionNode) {
    return node.connection.name;
  }
  if (node instanceof ConnectionReferenceNode) {
    return node.reference.logicalName;
  }
  if (node instanceof MachineNode) {
    return node.machine.id;
  }
  if (node instanceof MachineGroupNode) {
    return node.group.id;
  }
  return undefined;
}

export function registerExplorerCommands(deps: ExplorerCommandDeps): vscode.Disposable[] {
  const { log, explorer, accounts, environmentStatus } = deps;
  const logger: Logger = log;
  return [
    registerCommand(commandIds.refresh, logger, () => explorer.refresh()),
    registerCommand(commandIds.refreshNode, logger, (node?: ExplorerNode) => explorer.refresh(node)),
    registerCommand(commandIds.retry, logger, (node?: MessageNode | ExplorerNode) => {
      explorer.refresh(node instanceof MessageNode ? node.retryTarget : node?.parent);
    }),
    registerCommand(commandIds.loadMore, logger, async (node?: MessageNode) => {
      const target = node instanceof MessageNode ? node.retryTarget : undefined;
      const loadMore = target?.loadMore?.bind(target);
      if (loadMore) {
        await vscode.window.withProgress({ location: { viewId: 'desktopFlows.explorer' } }, () =>
          loadMore(AbortSignal.timeout(120_000)),
        );
      }
    }),
    registerCommand(commandIds.filterFlows, logger, async (text?: string) => {
      const filter =
        typeof text === 'string'
          ? text
          : await deps.prompts.text({
              title: 'Filter desktop flows by name',
              prompt: 'Only flows whose name contains this text are listed (leave empty to show all).',
              value: explorer.state.flowFilter,
            });
      await explorer.setFlowFilter(filter);
    }),
    registerCommand(commandIds.clearFlowFilter, logger, () => explorer.setFlowFilter('')),
    registerCommand(commandIds.showDrafts, logger, () => explorer.setShowDrafts(true)),
    registerCommand(commandIds.hideDrafts, logger, () => explorer.setShowDrafts(false)),
    registerCommand(commandIds.copyId, logger, async (node?: ExplorerNode) => {
      const id = node ? idOf(node) : undefined;
      if (!id) {
        throw new UserFacingError(
          'Pick a flow, environment, connection or machine in the Desktop Flows view to copy its id.',
        );
      }
      await vscode.env.clipboard.writeText(id);
      void vscode.window.setStatusBarMessage(`$(copy) Copied ${id}`, 3000);
      return id;
    }),
    registerCommand(commandIds.openInPortal, logger, async (node?: ExplorerNode) => {
      const url = node instanceof FlowNode || node instanceof ConnectionNode ? node.portalUrl() : undefined;
      if (!url) {
        throw new UserFacingError('Only desktop flows and connections have a Power Automate page.');
      }
      await vscode.env.openExternal(vscode.Uri.parse(url));
      return url;
    }),
    registerCommand(commandIds.selectEnvironment, logger, async (node?: ExplorerNode) => {
      const choice =
        node instanceof EnvironmentNode
          ? { account: node.account, environment: node.environment }
          : await pickEnvironment(
              deps.prompts,
              accounts,
              explorer.state.defaultEnvironmentId,
              'Default environment for this workspace',
            );
      await environmentStatus.setDefault(choice.environment);
      explorer.state.defaultEnvironmentId = choice.environment.id;
      explorer.provider.rerender(undefined);
      return choice.environment.id;
    }),
    registerCommand(commandIds.showLog, logger, () => log.show()),
  ];
}
