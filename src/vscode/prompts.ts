import * as vscode from 'vscode';
import { CancellationError } from '../core/errors';
import { UserFacingError } from './userFacingError';

/** The prompts of `vscode.window` the extension uses: the only place they are called. */
export interface PromptHost {
  showQuickPick<T extends vscode.QuickPickItem>(
    items: readonly T[] | Thenable<readonly T[]>,
    options: vscode.QuickPickOptions & { canPickMany?: false },
  ): Thenable<T | undefined>;
  showQuickPick<T extends vscode.QuickPickItem>(
    items: readonly T[] | Thenable<readonly T[]>,
    options: vscode.QuickPickOptions & { canPickMany: true },
  ): Thenable<T[] | undefined>;
  showInputBox(options: vscode.InputBoxOptions): Thenable<string | undefined>;
  showOpenDialog(options: vscode.OpenDialogOptions): Thenable<vscode.Uri[] | undefined>;
  showSaveDialog(options: vscode.SaveDialogOptions): Thenable<vscode.Uri | undefined>;
  showWarningMessage<A extends string>(
    message: string,
    options: vscode.MessageOptions,
    ...actions: A[]
  ): Thenable<A | undefined>;
}

/**
 * Prompts that never return "nothing": Escape (or closing the prompt) throws `CancellationError`, which the
 * command wrapper keeps silent. One `Prompts` is built by the composition root over `vscode.window`;
 * integration tests swap in a host that answers from a queue (`test/integration/queuedPrompts.ts`).
 */
export class Prompts {
  private host: PromptHost;

  constructor(private readonly defaultHost: PromptHost = vscode.window) {
    this.host = defaultHost;
  }

  /** One item of a quick pick. */
  async pick<T extends vscode.QuickPickItem>(
    items: readonly T[] | Thenable<readonly T[]>,
    options: vscode.QuickPickOptions = {},
  ): Promise<T> {
    return answered(await this.host.showQuickPick(items, { ...options, canPickMany: false }));
  }

  /**
   * Several items of a quick pick (check boxes); at least one. Accepting with none checked is a cancel, or,
   * given `noneChecked`, a `UserFacingError` with that message.
   */
  async pickMany<T extends vscode.QuickPickItem>(
    items: readonly T[] | Thenable<readonly T[]>,
    options: vscode.QuickPickOptions = {},
    noneChecked?: string,
  ): Promise<T[]> {
    const picked = answered(await this.host.showQuickPick(items, { ...options, canPickMany: true }));
    if (picked.length === 0 && noneChecked !== undefined) {
      throw new UserFacingError(noneChecked);
    }
    return answered(picked.length > 0 ? picked : undefined);
  }

  /**
   * A modal warning that asks before doing something: returns the action the user chose; Escape, Cancel or
   * closing the dialog throws `CancellationError`.
   */
  async confirm<A extends string>(
    message: string,
    options: { readonly detail?: string },
    ...actions: [A, ...A[]]
  ): Promise<A> {
    return answered(await this.host.showWarningMessage(message, { ...options, modal: true }, ...actions));
  }

  /** A line of text (an empty string when the user accepts an empty box). */
  async text(options: vscode.InputBoxOptions): Promise<string> {
    return answered(await this.host.showInputBox(options));
  }

  /** One or more files or folders; at least one. */
  async open(options: vscode.OpenDialogOptions): Promise<vscode.Uri[]> {
    const picked = await this.host.showOpenDialog(options);
    return answered(picked && picked.length > 0 ? picked : undefined);
  }

  /** Where to save a file. */
  async save(options: vscode.SaveDialogOptions): Promise<vscode.Uri> {
    return answered(await this.host.showSaveDialog(options));
  }

  /** Answers prompts from `host` until the returned disposable is disposed (for tests). */
  answerWith(host: PromptHost): vscode.Disposable {
    this.host = host;
    return new vscode.Disposable(() => {
      if (this.host === host) {
        this.host = this.defaultHost;
      }
    });
  }
}

function answered<T>(value: T | undefined): T {
  if (value === undefined) {
    throw new CancellationError();
  }
  return value;
}
