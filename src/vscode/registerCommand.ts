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

/** Handlers of the commands registered as stand-ins by `commandsOnFirstUse`, once their feature provides them. */
const onFirstUse = new Map<string, { handler: ((...args: unknown[]) => unknown) | undefined }>();
/** Every command id registered through this module (stand-ins included). */
const registered = new Set<string>();

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
  const slot = onFirstUse.get(id);
  if (slot !== undefined) {
    // A stand-in registered at activation (commandsOnFirstUse) hands its calls to this handler.
    slot.handler = run;
    return {
      dispose: () => {
        if (slot.handler === run) {
          slot.handler = undefined;
        }
      },
    };
  }
  registered.add(id);
  const registration = vscode.commands.registerCommand(id, run);
  return {
    dispose: () => {
      registered.delete(id);
      registration.dispose();
    },
  };
}

/**
 * Registers, at activation, each of `ids` not registered yet as a stand-in: its first call loads the feature
 * that implements it (`load`, which registers the real handler through `registerCommand`), then runs that
 * handler with the same arguments. Errors of the load go through the one error path.
 */
export function commandsOnFirstUse(
  ids: readonly CommandId[],
  log: Logger,
  load: () => Promise<unknown>,
): vscode.Disposable[] {
  return ids
    .filter((id) => !registered.has(id) && !onFirstUse.has(id))
    .map((id) => {
      const slot: { handler: ((...args: unknown[]) => unknown) | undefined } = { handler: undefined };
      onFirstUse.set(id, slot);
      registered.add(id);
      const registration = vscode.commands.registerCommand(id, async (...args: unknown[]) => {
        try {
          await load();
        } catch (e) {
          reportError(e, log, id);
          return undefined;
        }
        if (slot.handler === undefined) {
          log.error(`[${id}] the feature loaded on first use did not register this command`);
          return undefined;
        }
        return slot.handler(...args);
      });
      return {
        dispose: () => {
          registration.dispose();
          registered.delete(id);
          if (onFirstUse.get(id) === slot) {
            onFirstUse.delete(id);
          }
        },
      };
    });
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
