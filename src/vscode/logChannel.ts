import * as vscode from 'vscode';
import type { Logger } from '../core/logger';
import { secretMasker } from '../core/util/secretMasker';

/**
 * The "Desktop Flows" diagnostics log: a `LogOutputChannel` (the user picks the level with
 * "Developer: Set Log Level…"), wrapped so every line passes through the secret masker first.
 */
export class LogChannel implements Logger, vscode.Disposable {
  readonly channel: vscode.LogOutputChannel;
  /**
   * Once disposed (the window closing), lines are dropped: work still settling then (a prompt dismissed by
   * the closing window, a load aborted) would otherwise throw "Channel has been closed" into the host log.
   */
  private disposed = false;

  constructor(name = 'Desktop Flows') {
    this.channel = vscode.window.createOutputChannel(name, { log: true });
  }

  trace(message: string, ...args: unknown[]): void {
    if (this.disposed) {
      return;
    }
    this.channel.trace(mask(message), ...args.map(maskArg));
  }
  debug(message: string, ...args: unknown[]): void {
    if (this.disposed) {
      return;
    }
    this.channel.debug(mask(message), ...args.map(maskArg));
  }
  info(message: string, ...args: unknown[]): void {
    if (this.disposed) {
      return;
    }
    this.channel.info(mask(message), ...args.map(maskArg));
  }
  warn(message: string, ...args: unknown[]): void {
    if (this.disposed) {
      return;
    }
    this.channel.warn(mask(message), ...args.map(maskArg));
  }
  error(message: string | Error, ...args: unknown[]): void {
    if (this.disposed) {
      return;
    }
    if (message instanceof Error) {
      const masked = new Error(mask(message.message));
      masked.name = message.name;
      masked.stack = message.stack === undefined ? undefined : mask(message.stack);
      this.channel.error(masked, ...args.map(maskArg));
    } else {
      this.channel.error(mask(message), ...args.map(maskArg));
    }
  }

  show(): void {
    if (!this.disposed) {
      this.channel.show(true);
    }
  }

  /** True once the channel is closed (writes are dropped). */
  get isDisposed(): boolean {
    return this.disposed;
  }

  dispose(): void {
    this.disposed = true;
    this.channel.dispose();
  }
}

function mask(text: string): string {
  return secretMasker.mask(text);
}

function maskArg(arg: unknown): unknown {
  if (typeof arg === 'string') {
    return mask(arg);
  }
  if (arg instanceof Error) {
    return mask(`${arg.name}: ${arg.message}`);
  }
  if (typeof arg === 'object' && arg !== null) {
    try {
      return mask(JSON.stringify(arg));
    } catch {
      return '[unserializable]';
    }
  }
  return arg;
}
