import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { PromptHost } from '../../src/vscode/prompts';

/**
 * What a test answers to the next prompt: a quick pick item's label (or a function choosing the item), the
 * text of an input box (or a function of the prefilled value), files for an open dialog, the file of a save
 * dialog, or `escape`.
 */
export type QueuedAnswer =
  | { pick: string | ((items: readonly vscode.QuickPickItem[]) => vscode.QuickPickItem | undefined) }
  /** The labels to check in a quick pick with check boxes (`canPickMany`). */
  | { pickMany: readonly string[] }
  | { text: string | ((prefilled: string | undefined) => string) }
  | { open: vscode.Uri[] }
  | { save: vscode.Uri }
  /** The action chosen in a modal warning (`Prompts.confirm`). */
  | { confirm: string }
  | 'escape';

/** One prompt as it was shown, for assertions. */
export interface AskedPrompt {
  readonly kind: 'pick' | 'pickMany' | 'text' | 'open' | 'save' | 'confirm';
  readonly title: string | undefined;
  readonly items?: readonly string[];
  /** The input box's validation message for the answer given, when it refused it. */
  readonly refused?: string;
}

/**
 * A prompt host that answers from a queue, in order, instead of pressing "accept" on whatever quick pick is
 * open. A prompt of another kind than the next answer, or a prompt with no answer left, fails the test
 * with what was asked; an answer the input box's own validation refuses fails too.
 */
export class QueuedPrompts implements PromptHost {
  readonly asked: AskedPrompt[] = [];
  private readonly answers: QueuedAnswer[];

  constructor(...answers: QueuedAnswer[]) {
    this.answers = answers;
  }

  /** Answers not used yet (a test asserts none are left). */
  get remaining(): number {
    return this.answers.length;
  }

  showQuickPick<T extends vscode.QuickPickItem>(
    items: readonly T[] | Thenable<readonly T[]>,
    options: vscode.QuickPickOptions & { canPickMany: true },
  ): Promise<T[] | undefined>;
  showQuickPick<T extends vscode.QuickPickItem>(
    items: readonly T[] | Thenable<readonly T[]>,
    options: vscode.QuickPickOptions & { canPickMany?: false },
  ): Promise<T | undefined>;
  async showQuickPick<T extends vscode.QuickPickItem>(
    items: readonly T[] | Thenable<readonly T[]>,
    options: vscode.QuickPickOptions,
  ): Promise<T | T[] | undefined> {
    return options.canPickMany === true
      ? this.pickMany(await items, options)
      : this.pickOne(await items, options);
  }

  private pickMany<T extends vscode.QuickPickItem>(
    list: readonly T[],
    options: vscode.QuickPickOptions,
  ): T[] | undefined {
    this.asked.push({ kind: 'pickMany', title: options.title, items: list.map((i) => i.label) });
    const answer = this.next('pickMany', options.title);
    if (answer === 'escape') {
      return undefined;
    }
    return answer.pickMany.map((label) => {
      const found = list.find((i) => i.label === label);
      assert.ok(
        found,
        `no item ${label} in "${options.title ?? ''}": ${list.map((i) => i.label).join(', ')}`,
      );
      return found;
    });
  }

  private pickOne<T extends vscode.QuickPickItem>(
    list: readonly T[],
    options: vscode.QuickPickOptions,
  ): T | undefined {
    this.asked.push({ kind: 'pick', title: options.title, items: list.map((i) => i.label) });
    const answer = this.next('pick', options.title);
    if (answer === 'escape') {
      return undefined;
    }
    const found =
      typeof answer.pick === 'string'
        ? list.find((i) => i.label === answer.pick)
        : (answer.pick(list) as T | undefined);
    assert.ok(
      found,
      `no item ${String(answer.pick)} in "${options.title ?? ''}": ${list.map((i) => i.label).join(', ')}`,
    );
    return found;
  }

  async showInputBox(options: vscode.InputBoxOptions): Promise<string | undefined> {
    const answer = this.next('text', options.title);
    if (answer === 'escape') {
      this.asked.push({ kind: 'text', title: options.title });
      return undefined;
    }
    const value = typeof answer.text === 'string' ? answer.text : answer.text(options.value);
    const verdict = await options.validateInput?.(value);
    const refused =
      verdict === undefined || verdict === null
        ? undefined
        : typeof verdict === 'string'
          ? verdict
          : verdict.severity === vscode.InputBoxValidationSeverity.Error
            ? verdict.message
            : undefined;
    this.asked.push({ kind: 'text', title: options.title, ...(refused === undefined ? {} : { refused }) });
    assert.equal(refused, undefined, `"${options.title ?? ''}" refused "${value}": ${refused ?? ''}`);
    return value;
  }

  showOpenDialog(options: vscode.OpenDialogOptions): Promise<vscode.Uri[] | undefined> {
    this.asked.push({ kind: 'open', title: options.title });
    const answer = this.next('open', options.title);
    return Promise.resolve(answer === 'escape' ? undefined : answer.open);
  }

  showSaveDialog(options: vscode.SaveDialogOptions): Promise<vscode.Uri | undefined> {
    this.asked.push({ kind: 'save', title: options.title });
    const answer = this.next('save', options.title);
    return Promise.resolve(answer === 'escape' ? undefined : answer.save);
  }

  showWarningMessage<A extends string>(
    message: string,
    options: vscode.MessageOptions,
    ...actions: A[]
  ): Promise<A | undefined> {
    assert.ok(options.modal === true, `the warning "${message}" is not modal: it is not a prompt`);
    this.asked.push({ kind: 'confirm', title: message, items: actions });
    const answer = this.next('confirm', message);
    if (answer === 'escape') {
      return Promise.resolve(undefined);
    }
    const found = actions.find((a) => a === answer.confirm);
    assert.ok(found !== undefined, `no action ${answer.confirm} in "${message}": ${actions.join(', ')}`);
    return Promise.resolve(found);
  }

  private next<K extends 'pick' | 'pickMany' | 'text' | 'open' | 'save' | 'confirm'>(
    kind: K,
    title: string | undefined,
  ): Extract<QueuedAnswer, Record<K, unknown>> | 'escape' {
    const answer = this.answers.shift();
    assert.ok(answer !== undefined, `no answer queued for the ${kind} prompt "${title ?? ''}"`);
    if (answer !== 'escape') {
      assert.ok(
        kind in answer,
        `the ${kind} prompt "${title ?? ''}" came where ${JSON.stringify(answer)} was queued`,
      );
    }
    return answer as Extract<QueuedAnswer, Record<K, unknown>> | 'escape';
  }
}
