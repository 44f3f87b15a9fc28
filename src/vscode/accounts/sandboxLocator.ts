/**
 * Finds the sandbox "Try the Sandbox" signs in to, or starts one. The sandbox never runs inside the
 * extension host: it is started as a child process (`dist/sandbox.js`, the same entry as
 * `npm run sandbox`), and the extension talks to it only by URL, exactly as it talks to Microsoft.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { isLoopbackHost } from '../../core/http/urlSafety';
import type { Logger } from '../../core/logger';
import { UserFacingError } from '../registerCommand';

/** Where the sandbox runs and whether this window started it. */
export interface SandboxLocation {
  readonly url: string;
  readonly started: boolean;
}

/** How long the sandbox may take to print `Sandbox listening on <url>`. */
const startTimeoutMs = 30_000;
const listeningLine = /^Sandbox listening on (\S+)\s*$/;

/** A sandbox child process started by this window. */
interface SandboxChild {
  readonly url: string;
  readonly process: ChildProcess;
  stopping: boolean;
}

let running: Promise<SandboxChild> | undefined;

function isLoopbackUrl(url: string): boolean {
  try {
    return isLoopbackHost(new URL(url).hostname);
  } catch {
    return false;
  }
}

/** The sandbox entry shipped next to the extension bundle (`dist/sandbox.js`). */
function sandboxEntry(): string {
  const entry = path.join(__dirname, 'sandbox.js');
  if (!existsSync(entry)) {
    throw new UserFacingError(
      `The sandbox is missing from this installation (${entry} was not found). Reinstall the extension, or run \`npm run sandbox\` and set desktopFlows.sandbox.url to the URL it prints.`,
    );
  }
  return entry;
}

/** Start `dist/sandbox.js` with this host's Node runtime and wait for its first line. */
function startChild(log: Logger): Promise<SandboxChild> {
  const child = spawn(process.execPath, [sandboxEntry(), '--port', '0'], {
    // The IPC channel ties the sandbox's life to ours: it stops when this window's host goes away.
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
    windowsHide: true,
  });
  const stderrTail: string[] = [];
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    for (const line of chunk.split(/\r?\n/)) {
      if (line.trim() !== '') {
        stderrTail.push(line);
        stderrTail.splice(0, Math.max(0, stderrTail.length - 5));
        log.trace(`[sandbox] ${line}`);
      }
    }
  });
  return new Promise<SandboxChild>((resolve, reject) => {
    let buffered = '';
    let settled = false;
    const fail = (message: string): void => {
      if (!settled) {
        settled = true;
        clearTimeout(timer);
        child.kill();
        reject(new UserFacingError(message));
      }
    };
    const timer = setTimeout(
      () => fail(`The sandbox did not start within ${startTimeoutMs / 1000} seconds.`),
      startTimeoutMs,
    );
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      if (settled) {
        return;
      }
      buffered += chunk;
      const newline = buffered.indexOf('\n');
      if (newline < 0) {
        return;
      }
      const match = listeningLine.exec(buffered.slice(0, newline));
      if (match?.[1] === undefined || !isLoopbackUrl(match[1])) {
        fail(`The sandbox printed "${buffered.slice(0, newline).slice(0, 200)}" instead of its URL.`);
        return;
      }
      settled = true;
      clearTimeout(timer);
      child.stdout?.resume();
      resolve({ url: match[1].replace(/\/+$/, ''), process: child, stopping: false });
    });
    child.once('error', (e) => fail(`The sandbox could not be started: ${e.message}`));
    child.once('exit', (code, signal) => {
      const tail = stderrTail.length === 0 ? '' : ` Its last words: ${stderrTail.join(' | ')}`;
      fail(`The sandbox stopped before it was ready (${signal ?? `exit code ${String(code)}`}).${tail}`);
    });
  });
}

/** Tell the user, in plain words, that the sandbox this window started has stopped. */
function watchForExit(child: SandboxChild, log: Logger): void {
  child.process.once('exit', (code, signal) => {
    if (child.stopping) {
      return;
    }
    running = undefined;
    const how = signal ?? `exit code ${String(code)}`;
    log.warn(`[sandbox] the sandbox at ${child.url} stopped unexpectedly (${how})`);
    void vscode.window
      .showWarningMessage(
        'The sandbox stopped unexpectedly, so its flows, connections and runs cannot be reached. Start it again to keep trying things out.',
        'Start the Sandbox Again',
      )
      .then(async (choice) => {
        if (choice) {
          await vscode.commands.executeCommand('desktopFlows.auth.trySandbox');
        }
      });
  });
}

/**
 * Finds the sandbox: an explicit URL, the `DESKTOPFLOWS_SANDBOX_URL` environment variable (`npm start`
 * sets it), the `desktopFlows.sandbox.url` setting (`settingUrl`, '' when not set), or else a sandbox started as a child process of this
 * window (stopped with the extension, on sign-out of the sandbox account and when the window closes).
 */
export async function locateSandbox(
  explicitUrl: string | undefined,
  settingUrl: string,
  log: Logger,
): Promise<SandboxLocation> {
  const configured = explicitUrl ?? process.env.DESKTOPFLOWS_SANDBOX_URL ?? (settingUrl || undefined);
  if (configured) {
    if (!isLoopbackUrl(configured)) {
      throw new UserFacingError(
        `The sandbox URL "${configured}" is not a loopback address. The sandbox only runs on this machine (127.0.0.1 or localhost).`,
        [
          {
            title: 'Open Settings',
            run: () =>
              vscode.commands.executeCommand('workbench.action.openSettings', 'desktopFlows.sandbox.url'),
          },
        ],
      );
    }
    return { url: configured.replace(/\/+$/, ''), started: false };
  }
  if (running === undefined) {
    const starting = startChild(log).then((child) => {
      log.info(`[sandbox] started as process ${String(child.process.pid)} at ${child.url}`);
      watchForExit(child, log);
      return child;
    });
    running = starting;
    starting.catch(() => {
      if (running === starting) {
        running = undefined;
      }
    });
  }
  return { url: (await running).url, started: true };
}

/** The URL of the sandbox this window started, if it is running. */
export async function startedSandboxUrl(): Promise<string | undefined> {
  try {
    return running === undefined ? undefined : (await running).url;
  } catch {
    return undefined;
  }
}

/** Stops the sandbox this window started, if any, and waits for its process to end. */
export async function stopStartedSandbox(): Promise<void> {
  const current = running;
  running = undefined;
  if (current === undefined) {
    return;
  }
  let child: SandboxChild;
  try {
    child = await current;
  } catch {
    return;
  }
  child.stopping = true;
  if (child.process.exitCode !== null || child.process.signalCode !== null) {
    return;
  }
  const exited = new Promise<void>((resolve) => child.process.once('exit', () => resolve()));
  child.process.kill('SIGTERM');
  const timer = setTimeout(() => child.process.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}
