import * as vscode from 'vscode';
import type { BatchController, BatchView } from './batchController';

/** "143/200, 3 failed" (done = items that reached an end). */
export function batchSummaryText(batch: BatchView): string {
  const c = batch.counts;
  if (batch.state === 'checking') {
    // A batch resumed after a reload shows what its journal says was started while its files are checked.
    const started = [...batch.items.values()].filter((i) => i.runId !== undefined).length;
    return started > 0
      ? `${started} started, checking the other input files…`
      : `checking ${batch.items.size} input files…`;
  }
  if (c === undefined) {
    if (batch.state !== 'running') {
      return batch.state;
    }
    // Before the first count (a resumed batch settling its uncertain items): what its rows already know.
    const ended = [...batch.items.values()].filter((i) =>
      ['succeeded', 'failed', 'cancelled', 'skipped'].includes(i.status),
    ).length;
    return `${ended}/${batch.items.size}`;
  }
  const done = c.succeeded + c.failed + c.cancelled + c.skipped;
  const parts = [`${done}/${c.total}`];
  if (c.failed > 0) {
    parts.push(`${c.failed} failed`);
  }
  if (c.cancelled > 0) {
    parts.push(`${c.cancelled} cancelled`);
  }
  if (c.waitingForRateLimit > 0) {
    parts.push('waiting for the rate limit');
  }
  if (batch.state !== 'running') {
    parts.push(batch.state);
  }
  return parts.join(', ');
}

/** The batch status bar item: the newest batch of the window ("Batch 143/200, 3 failed"); hidden when none. */
export class BatchStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem(
    'desktopFlows.batch',
    vscode.StatusBarAlignment.Left,
    40,
  );
  private readonly subscription: vscode.Disposable;

  constructor(private readonly controller: BatchController) {
    this.item.name = 'Desktop Flows Batch';
    this.subscription = controller.onDidChange(() => this.update());
  }

  get text(): string {
    return this.item.text;
  }

  private update(): void {
    const list = [...this.controller.batches.values()];
    const batch = list.filter((b) => b.state === 'running' || b.state === 'checking').at(-1) ?? list.at(-1);
    if (batch === undefined) {
      this.item.hide();
      return;
    }
    const active = batch.state === 'running' || batch.state === 'checking';
    this.item.text = `${active ? '$(loading~spin)' : '$(layers)'} Batch ${batchSummaryText(batch)}`;
    this.item.tooltip = `Batch "${batch.label}" in ${batch.environment.displayName ?? batch.environment.orgUrl}. Click to open its report.`;
    this.item.command = {
      command: 'desktopFlows.batch.openReport',
      title: 'Open Report',
      arguments: [batch.id],
    };
    this.item.show();
  }

  dispose(): void {
    this.subscription.dispose();
    this.item.dispose();
  }
}
