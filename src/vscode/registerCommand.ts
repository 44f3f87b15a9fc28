import * as vscode from 'vscode';
import type { Logger } from '../core/logger';
import type { CommandId } from './commandIds';
import { commandIds } from './commandIds';
import { describeError } from './errorMessages';

/** A user-facing error thrown by command handlers for bad input or a refused action (already in words). */
export class UserFacingError extends Error {
  constructor(
    message: string,
    readonly actions: { title: string; run: () => unknown }[] = [],
  ) {
    super(message);
    this.name = 'UserFacingError';
  }
}

/**
 * Registers a command through the one error path: errors are logged, cancellation is silent, known
 * errors become a short message with follow-up actions, and the handler's result is returned to the caller.
 */
export function registerCommand<A extends unknown[], R>(
  id: CommandId,
  log: Logger,
  handler: (...args: A) => Promise<R> | R,
): vscode.Disposable {
  return vscode.commands.registerCommand(id, async (...args: unknown[]) => {
    try {
      return await handler(...(args as A));
    } catch (e) {
      // Not awaited: the command settles now, not when the user dismisses the message.
      void reportError(e, log, id);
      return undefined;
    }
  });
}

/** Logs an error and shows it with the fitting actions. Returns once the message is dismissed. */
export async function reportError(e: unknown, log: Logger, context: string): Promise<void> {
  if (e instanceof UserFacingError) {
    log.warn(`[${context}] ${e.message}`);
    const picked = await vscode.window.showWarningMessage(e.message, ...e.actions.map((a) => a.title));
    await e.actions.find((a) => a.title === picked)?.run();
    return;
  }
  const description = describeError(e);
  if (!description) {
    log.debug(`[${context}] cancelled`);
    return;
  }
  log.error(`[${context}] ${description.message}`);
  if (e instanceof Error) {
    log.error(e);
  }
  const actions = [description.signIn ? 'Sign In Again' : undefined, 'Show Log'].filter(
    (a): a is string => a !== undefined,
  );
  const picked = await vscode.window.showErrorMessage(description.message, ...actions);
  if (picked === 'Sign In Again') {
    await vscode.commands.executeCommand(commandIds.signIn);
  } else if (picked === 'Show Log') {
    await vscode.commands.executeCommand(commandIds.showLog);
  }
}
