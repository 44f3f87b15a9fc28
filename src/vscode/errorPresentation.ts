import { ApiError, AuthError } from '../core/errors';
import { describeError } from './errorMessages';
import { UserFacingError } from './userFacingError';

/** A button of an error notification. */
export type ErrorButton =
  | { kind: 'action'; title: string; run: () => unknown }
  | { kind: 'signIn'; title: 'Sign In Again' }
  | { kind: 'retry'; title: 'Retry' }
  | { kind: 'showLog'; title: 'Show Log' };

/** How the command error path shows an error. Pure (no `vscode`), so the choice of buttons is unit-tested. */
export interface ErrorPresentation {
  /** `warning` for refusals already in words (`UserFacingError`), `error` for failures. */
  readonly severity: 'warning' | 'error';
  /** The notification text: the first line of the message (the whole message goes to the log). */
  readonly text: string;
  /** The full message, for the log. */
  readonly message: string;
  readonly buttons: readonly ErrorButton[];
}

export interface PresentErrorOptions {
  /** The failed operation can run again as it was (a command re-invoked with the same arguments). */
  readonly canRetry: boolean;
}

/**
 * Decides what the user sees for an error: nothing for cancellation; a warning with the error's own
 * actions for a `UserFacingError`; otherwise the words of `describeError` with **Sign In Again** when
 * signing in again fixes it, **Retry** when the error is transient and the operation can be repeated, and
 * **Show Log** when there is more than the notification shows (a multi-line message, or an unexpected error
 * whose stack is in the log).
 */
export function presentError(e: unknown, options: PresentErrorOptions): ErrorPresentation | undefined {
  if (e instanceof UserFacingError) {
    const { text, multiLine } = firstLine(e.message);
    return {
      severity: 'warning',
      text,
      message: e.message,
      buttons: [
        ...e.actions.map((a): ErrorButton => ({ kind: 'action', title: a.title, run: a.run })),
        ...(multiLine ? [showLog] : []),
      ],
    };
  }
  const description = describeError(e);
  if (!description) {
    return undefined;
  }
  const { text, multiLine } = firstLine(description.message);
  const typed = e instanceof ApiError || e instanceof AuthError;
  const buttons: ErrorButton[] = [];
  if (description.signIn) {
    buttons.push({ kind: 'signIn', title: 'Sign In Again' });
  }
  if (description.retry && options.canRetry) {
    buttons.push({ kind: 'retry', title: 'Retry' });
  }
  if (multiLine || !typed) {
    buttons.push(showLog);
  }
  return { severity: 'error', text, message: description.message, buttons };
}

const showLog: ErrorButton = { kind: 'showLog', title: 'Show Log' };

function firstLine(message: string): { text: string; multiLine: boolean } {
  const lines = message
    .split(/\r?\n/)
    .map((l) => l.trimEnd())
    .filter((l) => l.trim() !== '');
  const first = lines[0] ?? message.trim();
  if (lines.length <= 1) {
    return { text: first, multiLine: false };
  }
  return {
    text: /[.!?:]$/.test(first) ? `${first} See the log for details.` : `${first}. See the log for details.`,
    multiLine: true,
  };
}
