import * as vscode from 'vscode';
import type { Logger } from '../core/logger';
import { RunError } from '../core/runs/runErrors';
import type { CommandId } from './commandIds';
import { commandIds } from './commandIds';
import { presentError, type ErrorButton } from './errorPresentation';
import { describeRunError } from './runs/runErrorWords';

// Kept here so existing `import { UserFacingError } from '../registerCommand'` lines keep working; new code
// imports it from './userFacingError'.
export { UserFacingError } from './userFacingError';

/**
 * Registers a command through the one error path: errors are logged, cancellation is silent, known
 * errors become a short message with follow-up actions (Retry re-runs the command with the same
 * arguments), and the handler's result is returned to the caller. A failed command settles at once
 * (with `undefined`): it does not wait for the user to dismiss the message.
 */
export function registerCommand<A extends unknown[], R>(
  id: CommandId,
  log: Logger,
  handler: (...args: A) => Promise<R> | R,
): vscode.Disposable {
  const run = async (...args: unknown[]): Promise<R | undefined> => {
    try {
      return await handler(...(args as A));
    } catch (e) {
      reportError(e, log, id, () => run(...args));
      return undefined;
    }
  };
  return vscode.commands.registerCommand(id, run);
}

/**
 * Logs an error and shows it with the fitting actions, without waiting for the user: the buttons are
 * handled when (if ever) one is clicked. `retry`, when given, is offered for transient errors.
 */
export function reportError(e: unknown, log: Logger, context: string, retry?: () => unknown): void {
  const error = RunError.is(e) ? describeRunError(e, e.flowName) : e;
  const shown = presentError(error, { canRetry: retry !== undefined });
  if (!shown) {
    log.debug(`[${context}] cancelled`);
    return;
  }
  if (shown.severity === 'warning') {
    log.warn(`[${context}] ${shown.message}`);
  } else {
    log.error(`[${context}] ${shown.message}`);
    if (error instanceof Error) {
      log.error(error);
    }
  }
  const show =
    shown.severity === 'warning' ? vscode.window.showWarningMessage : vscode.window.showErrorMessage;
  const titles = shown.buttons.map((b) => b.title);
  void Promise.resolve(show(shown.text, ...titles))
    .then((picked) => {
      const button = shown.buttons.find((b) => b.title === picked);
      return button && press(button, retry);
    })
    .then(undefined, (followUp: unknown) =>
      log.error(`[${context}] the follow-up action failed: ${String(followUp)}`),
    );
}

async function press(button: ErrorButton, retry: (() => unknown) | undefined): Promise<unknown> {
  switch (button.kind) {
    case 'action':
      return button.run();
    case 'signIn':
      return vscode.commands.executeCommand(commandIds.signIn);
    case 'retry':
      return retry?.();
    case 'showLog':
      return vscode.commands.executeCommand(commandIds.showLog);
  }
}
