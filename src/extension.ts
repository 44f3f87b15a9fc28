import type * as vscode from 'vscode';

/** The small API returned to integration tests. */
export interface ExtensionApi {
  readonly version: string;
}

export function activate(context: vscode.ExtensionContext): ExtensionApi {
  return { version: String((context.extension.packageJSON as { version?: string }).version) };
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
