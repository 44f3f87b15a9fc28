import type * as vscode from 'vscode';

/** An AbortSignal that aborts when the VS Code cancellation token is cancelled. */
export function toAbortSignal(token: vscode.CancellationToken | undefined): AbortSignal {
  const controller = new AbortController();
  if (token) {
    if (token.isCancellationRequested) {
      controller.abort();
    } else {
      const sub = token.onCancellationRequested(() => {
        sub.dispose();
        controller.abort();
      });
    }
  }
  return controller.signal;
}
