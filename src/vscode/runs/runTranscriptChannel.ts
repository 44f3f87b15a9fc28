import * as vscode from 'vscode';
import { formatTimestamp } from '../../core/runs/runTranscript';
import { secretMasker } from '../../core/util/secretMasker';

const maxKeptLines = 5_000;

/**
 * The "Desktop Flows: Runs" output channel: the user-facing run transcript (plain `OutputChannel`, separate
 * from the "Desktop Flows" diagnostics log). Every line passes through the secret masker. The last lines are
 * also kept in memory, for tests and for "Show Run Transcript" to know whether there is anything to show.
 */
export class RunTranscriptChannel implements vscode.Disposable {
  readonly channel: vscode.OutputChannel;
  private readonly kept: string[] = [];

  constructor(name = 'Desktop Flows: Runs') {
    this.channel = vscode.window.createOutputChannel(name);
  }

  /** Appends text (one or more `\n`-separated lines), masked. */
  append(text: string): void {
    const masked = secretMasker.mask(text);
    this.channel.appendLine(masked);
    this.kept.push(...masked.split('\n'));
    if (this.kept.length > maxKeptLines) {
      this.kept.splice(0, this.kept.length - maxKeptLines);
    }
  }

  /** Appends one line with the transcript's timestamp prefix. */
  appendStamped(text: string, at: number = Date.now()): void {
    this.append(`[${formatTimestamp(at)}] ${text}`);
  }

  /** The lines written so far (the last few thousand). */
  get lines(): readonly string[] {
    return this.kept;
  }

  show(preserveFocus = true): void {
    this.channel.show(preserveFocus);
  }

  dispose(): void {
    this.channel.dispose();
  }
}
