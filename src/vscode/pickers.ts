import * as vscode from 'vscode';
import type { Environment } from '../core/model/environment';
import type { DesktopFlow } from '../core/model/flow';
import { CancellationError } from '../core/errors';
import type { AccountService } from './accounts/accountService';
import type { SignedInAccount } from './accounts/signedInAccount';
import { UserFacingError } from './registerCommand';
import { commandIds } from './commandIds';
import type { Prompts } from './prompts';

export interface EnvironmentChoice {
  account: SignedInAccount;
  environment: Environment;
}

/**
 * Quick pick of every environment of every signed-in account; the default one first. Asked through the prompt
 * helper: Escape → CancellationError.
 */
export async function pickEnvironment(
  prompts: Prompts,
  accounts: AccountService,
  defaultEnvironmentId: string | undefined,
  title = 'Select an environment',
): Promise<EnvironmentChoice> {
  if (accounts.accounts.length === 0) {
    throw new UserFacingError('Sign in first to pick an environment.', [
      { title: 'Sign In', run: () => vscode.commands.executeCommand(commandIds.signIn) },
      { title: 'Try the Sandbox', run: () => vscode.commands.executeCommand(commandIds.trySandbox) },
    ]);
  }
  const controller = new AbortController();
  const items = accounts.allEnvironments(controller.signal).then((all) => {
    const sorted = [...all].sort((a, b) =>
      a.environment.id === defaultEnvironmentId ? -1 : b.environment.id === defaultEnvironmentId ? 1 : 0,
    );
    return sorted.map((choice) => ({
      label: `${choice.environment.id === defaultEnvironmentId ? '$(star-full) ' : ''}${choice.environment.displayName}`,
      description: [
        choice.environment.sku,
        choice.environment.region,
        accounts.accounts.length > 1 ? choice.account.label : undefined,
      ]
        .filter(Boolean)
        .join(' · '),
      detail: choice.environment.orgUrl,
      choice,
    }));
  });
  try {
    const picked = await prompts.pick(items, {
      title,
      placeHolder: 'Environment',
      matchOnDescription: true,
      matchOnDetail: true,
    });
    return picked.choice;
  } finally {
    controller.abort();
  }
}

/**
 * Quick pick of the desktop flows of an environment. The first page loads at once; typing searches on the
 * server (`contains(name, …)`), so environments with thousands of flows stay quick. Escape → CancellationError.
 */
export function pickFlow(choice: EnvironmentChoice, title = 'Select a desktop flow'): Promise<DesktopFlow> {
  // Not Prompts.pick: it searches the server as the user types, which needs a live QuickPick.
  const qp = vscode.window.createQuickPick<vscode.QuickPickItem & { flow: DesktopFlow }>();
  qp.title = title;
  qp.placeholder = `Type to search the desktop flows of ${choice.environment.displayName}`;
  qp.matchOnDetail = true;
  let controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const load = async (text: string): Promise<void> => {
    controller.abort();
    controller = new AbortController();
    const signal = controller.signal;
    qp.busy = true;
    try {
      const page = await choice.account.session.flows.listPage(
        choice.environment.orgUrl,
        { pageSize: 100, ...(text ? { nameContains: text } : {}) },
        signal,
      );
      if (!signal.aborted) {
        qp.items = page.items.map((flow) => ({
          label: flow.name,
          description: flow.isUnpublished ? 'draft' : undefined,
          detail: flow.description,
          alwaysShow: true,
          flow,
        }));
      }
    } catch (e) {
      if (!signal.aborted) {
        qp.items = [];
        qp.placeholder = `Could not list flows: ${e instanceof Error ? e.message : String(e)}`;
      }
    } finally {
      if (!signal.aborted) {
        qp.busy = false;
      }
    }
  };
  return new Promise<DesktopFlow>((resolve, reject) => {
    qp.onDidChangeValue((text) => {
      clearTimeout(timer);
      timer = setTimeout(() => void load(text.trim()), 250);
    });
    qp.onDidAccept(() => {
      const picked = qp.selectedItems[0];
      if (picked) {
        resolve(picked.flow);
        qp.hide();
      }
    });
    qp.onDidHide(() => {
      clearTimeout(timer);
      controller.abort();
      qp.dispose();
      reject(new CancellationError());
    });
    qp.show();
    void load('');
  });
}
