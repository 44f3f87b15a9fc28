import * as vscode from 'vscode';

/** Typed context keys used in `when` clauses of package.json. */
export type ContextKey =
  | 'desktopFlows.signedIn'
  | 'desktopFlows.hasEnvironments'
  | 'desktopFlows.showDrafts'
  | 'desktopFlows.flowFilterActive'
  | 'desktopFlows.inputFileActive'
  | 'desktopFlows.hasActiveRuns'
  | 'desktopFlows.hasRunHistory'
  /** The Runs view shows only the signed-in user's runs. */
  | 'desktopFlows.runs.mine'
  /** The Runs view filters by status or environment. */
  | 'desktopFlows.runs.filtered';

const current = new Map<ContextKey, unknown>();

/** Sets a context key (skipping the round trip when the value is unchanged). */
export async function setContext(key: ContextKey, value: boolean | string): Promise<void> {
  if (current.get(key) === value) {
    return;
  }
  current.set(key, value);
  await vscode.commands.executeCommand('setContext', key, value);
}

/** The last value we set, for tests and for code that must read its own state. */
export function getContext(key: ContextKey): unknown {
  return current.get(key);
}
