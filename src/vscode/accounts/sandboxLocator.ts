import * as vscode from 'vscode';
import type { Logger } from '../../core/logger';
import { startSandbox } from '../../sandbox/server';
import { UserFacingError } from '../registerCommand';
import { readConfig } from '../configuration';

/** Where the sandbox runs and, when we started it, how to stop it. */
export interface SandboxLocation {
  readonly url: string;
  readonly started: boolean;
  stop(): Promise<void>;
}

let embedded: Promise<{ url: string; stop(): Promise<void> }> | undefined;

function isLoopback(url: string): boolean {
  try {
    const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
    return host === 'localhost' || host === '::1' || /^127\./.test(host);
  } catch {
    return false;
  }
}

/**
 * Finds the sandbox "Try the Sandbox" signs in to: an explicit URL, the `DESKTOPFLOWS_SANDBOX_URL`
 * environment variable (`npm start` sets it), the `desktopFlows.sandbox.url` setting, or else a sandbox
 * started inside this extension host on 127.0.0.1 (stopped when the extension deactivates).
 */
export async function locateSandbox(explicitUrl: string | undefined, log: Logger): Promise<SandboxLocation> {
  const configured = explicitUrl ?? process.env.DESKTOPFLOWS_SANDBOX_URL ?? (readConfig().sandboxUrl || undefined);
  if (configured) {
    if (!isLoopback(configured)) {
      throw new UserFacingError(
        `The sandbox URL "${configured}" is not a loopback address. The sandbox only runs on this machine (127.0.0.1 or localhost).`,
        [{ title: 'Open Settings', run: () => vscode.commands.executeCommand('workbench.action.openSettings', 'desktopFlows.sandbox.url') }],
      );
    }
    return { url: configured.replace(/\/+$/, ''), started: false, stop: () => Promise.resolve() };
  }
  embedded ??= (async () => {
    const sandbox = await startSandbox({ port: 0 });
    log.info(`[sandbox] started inside VS Code at ${sandbox.url}`);
    return sandbox;
  })();
  embedded.catch(() => (embedded = undefined));
  const sandbox = await embedded;
  return { url: sandbox.url, started: true, stop: () => stopEmbeddedSandbox() };
}

/** Stops the sandbox this extension host started, if any. */
export async function stopEmbeddedSandbox(): Promise<void> {
  const running = embedded;
  embedded = undefined;
  if (running) {
    await (await running).stop();
  }
}
