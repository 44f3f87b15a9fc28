import * as vscode from 'vscode';
import { formatTimestamp } from '../../core/runs/runTranscript';
import { secretMasker } from '../../core/util/secretMasker';

/**
 * The "Desktop Flows: Runs" output channel: the user-facing run transcript (plain `OutputChannel`, separate
 * from the "Desktop Flows" diagnostics log). Every line passes through the secret masker.
 */
export class RunTranscriptChannel implements vscode.Disposable {
  readonly channel: vscode.OutputChannel;
  private readonly appended = new vscode.EventEmitter<readonly string[]>();
  /** Fires with the lines of each append, as written (masked). */
  readonly onDidAppend = this.appended.event;

  constructor(name = 'Desktop Flows: Runs') {
    this.channel = vscode.window.createOutputChannel(name);
  }

  /** Appends text (one or more `\n`-separated lines), masked. */
  append(text: string): void {
    const masked = secretMasker.mask(text);
    this.channel.appendLine(masked);
    this.appended.fire(masked.split('\n'));
  }

  /** Appends one line with the transcript's timestamp prefix. */
  appendStamped(text: string, at: number = Date.now()): void {
    this.append(`[${formatTimestamp(at)}] ${text}`);
  }

  show(preserveFocus = true): void {
    this.channel.show(preserveFocus);
  }

  dispose(): void {
    this.appended.dispose();
    this.channel.dispose();
  }
}
