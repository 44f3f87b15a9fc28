import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import * as manifest from '../../package.json';
import type { ExtensionApi } from '../../src/extension';
import { seedNames } from '../../src/sandbox/seed';
import { startSandbox, type Sandbox, type SandboxOptions } from '../../src/sandbox/server';
import { commandIds } from '../../src/vscode/commandIds';
import type { ExplorerNode } from '../../src/vscode/tree/explorerNode';

/** `publisher.name` of the extension under test, as VS Code identifies it. */
export const extensionId = `${manifest.publisher}.${manifest.name}`;

/**
 * Writes one line to the test output the harness streams to the terminal. `console.log` in the
 * extension host only reaches the workbench's log service, so tests report through here.
 */
export function testOutput(line: string): void {
  const file = process.env.DESKTOPFLOWS_TEST_OUTPUT;
  if (file) {
    fs.appendFileSync(file, `${line}\n`);
  } else {
    console.log(line);
  }
}

/** An indented note under the current test in the spec output. */
export function note(text: string): void {
  testOutput(`      · ${text}`);
}

/** Where the tests run: proves in CI logs that this is a real VS Code extension host. */
export function hostIdentity(): string {
  const uiKind = vscode.env.uiKind === vscode.UIKind.Web ? 'Web' : 'Desktop';
  return (
    `VS Code ${vscode.version} (${vscode.env.appName}), Node ${process.version}, uiKind=${uiKind}, ` +
    `remoteName=${vscode.env.remoteName ?? 'none'}, appHost=${vscode.env.appHost}`
  );
}

/** The extension under test; fails the calling test when VS Code did not load it. */
export function getExtension(): vscode.Extension<ExtensionApi> {
  const ext = vscode.extensions.getExtension<ExtensionApi>(extensionId);
  assert.ok(ext, `extension ${extensionId} is not loaded in this host (is it the development extension?)`);
  return ext;
}

/**
 * Activates the extension (idempotent) and returns the API `activate` returned, with the features that load
 * on first use (input files, runs, batches, tools) loaded, as a user's first command would.
 */
export async function activateExtension(): Promise<ExtensionApi> {
  const ext = getExtension();
  const api = ext.isActive ? ext.exports : await ext.activate();
  await api.features();
  return api;
}

/** A sandbox this suite signed in to. */
export interface SignedInSandbox {
  readonly sandbox: Sandbox;
  /** The account "Try the Sandbox" signed in. */
  readonly accountId: string;
}

/**
 * Starts a sandbox on a free loopback port and signs in to it with "Try the Sandbox", as a maker would,
 * waiting until the extension says it is signed in. A sandbox whose sign-in failed is stopped.
 */
export async function signInToSandbox(
  api: ExtensionApi,
  options: Omit<SandboxOptions, 'port'> = {},
): Promise<SignedInSandbox> {
  const sandbox = await startSandbox({ port: 0, ...options });
  try {
    return { sandbox, accountId: await trySandbox(api, sandbox) };
  } catch (e) {
    await sandbox.stop();
    throw e;
  }
}

/** Signs in to a running sandbox with "Try the Sandbox" (again, after a Sign Out); returns the account id. */
export async function trySandbox(api: ExtensionApi, sandbox: Sandbox): Promise<string> {
  const accountId =
    (await vscode.commands.executeCommand<string>(commandIds.trySandbox, { url: sandbox.url })) ?? '';
  assert.ok(accountId, 'Try the Sandbox returned the signed-in account');
  await waitFor(() => api.isSignedIn(), 'signed in');
  return accountId;
}

/**
 * Signs out of the account `signInToSandbox` signed in and stops its sandbox. What `before` never got to is
 * skipped (signing out without an id would ask which account).
 */
export async function signOutOfSandbox(
  accountId: string | undefined,
  sandbox: Sandbox | undefined,
): Promise<void> {
  if (accountId) {
    await vscode.commands.executeCommand(commandIds.signOut, accountId);
  }
  await sandbox?.stop();
}

/**
 * Files a suite writes in the workspace folder the integration host opens; `deleteAll()` in its `after`
 * removes them (and anything else it lists in `created`).
 */
export class WorkspaceFiles {
  readonly created: vscode.Uri[] = [];

  /** The workspace folder. */
  get folder(): vscode.Uri {
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder, 'the integration host opens a workspace folder');
    return folder.uri;
  }

  /** Writes text as it is, anything else as indented JSON with a final newline, at `relativePath`. */
  async write(relativePath: string, content: unknown): Promise<vscode.Uri> {
    const uri = vscode.Uri.joinPath(this.folder, ...relativePath.split('/'));
    const text = typeof content === 'string' ? content : `${JSON.stringify(content, null, 2)}\n`;
    await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(text));
    this.created.push(uri);
    return uri;
  }

  async deleteAll(): Promise<void> {
    for (const uri of this.created.splice(0)) {
      await vscode.workspace.fs.delete(uri, { useTrash: false }).then(undefined, () => undefined);
    }
  }
}

/** The extension's package.json as VS Code loaded it. */
export function loadedManifest(): typeof manifest {
  return getExtension().packageJSON as typeof manifest;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Polls `condition` until it returns a truthy value (which is returned) or `timeoutMs` passes.
 * UI state in VS Code settles asynchronously; tests wait for it instead of sleeping blindly.
 */
export async function waitFor<T>(
  condition: () => T | Promise<T>,
  what: string | (() => string),
  timeoutMs = 10_000,
  intervalMs = 50,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await condition();
    if (value) {
      return value;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${typeof what === 'string' ? what : what()}`,
      );
    }
    await sleep(intervalMs);
  }
}

/**
 * The workbench as the user sees it, when the harness can look at it (the offline code-server host
 * drives its page with playwright); `undefined` in a desktop VS Code run, where nothing outside
 * the extension host can inspect the window.
 */
export interface WorkbenchProbe {
  /** True when `text` becomes visible within `timeoutMs` (optionally inside a CSS selector). */
  waitForText(text: string, options?: { selector?: string; timeoutMs?: number }): Promise<boolean>;
  /** Saves a PNG of the workbench (or of one element, or a rectangle of it); returns its path. */
  screenshot(options: {
    name?: string;
    file?: string;
    selector?: string;
    clip?: { x: number; y: number; width: number; height: number };
  }): Promise<string>;
  /** Moves the mouse over the first element matching a CSS selector; false when there is none. */
  hover(selector: string, options?: { timeoutMs?: number }): Promise<boolean>;
  /** Resizes the browser window the workbench lives in. */
  setViewport(width: number, height: number): Promise<void>;
  /** Clicks the first button with this name (optionally inside a CSS selector); false when there is none. */
  click(text: string, options?: { selector?: string; timeoutMs?: number }): Promise<boolean>;
}

export function workbenchProbe(): WorkbenchProbe | undefined {
  const base = process.env.DESKTOPFLOWS_TEST_UI_URL;
  if (!base) {
    return undefined;
  }
  const call = async (action: string, body: unknown): Promise<Record<string, unknown>> => {
    const res = await fetch(`${base}/${action}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(70_000),
    });
    const json = (await res.json()) as Record<string, unknown>;
    if (!res.ok) {
      throw new Error(`workbench probe ${action} failed (${res.status}): ${String(json.error)}`);
    }
    return json;
  };
  return {
    async waitForText(text, options = {}) {
      const r = await call('waitForText', { text, selector: options.selector, timeoutMs: options.timeoutMs });
      return r.found === true;
    },
    async screenshot(options) {
      const r = await call('screenshot', options);
      return String(r.file);
    },
    async hover(selector, options = {}) {
      const r = await call('hover', { selector, timeoutMs: options.timeoutMs });
      return r.hovered === true;
    },
    async setViewport(width, height) {
      await call('viewport', { width, height });
    },
    async click(text, options = {}) {
      const r = await call('click', { text, selector: options.selector, timeoutMs: options.timeoutMs });
      return r.clicked === true;
    },
  };
}

/** A row the view must show: its text, inside the rows a CSS selector matches. */
export interface ExpectedRow {
  readonly text: string;
  readonly selector: string;
  /** What the assertion says when the row does not show, e.g. 'the view shows the machines of "Finance Bots"'. */
  readonly what: string;
}

/**
 * Waits until the view shows each of `rows` (the first within 15 s, each next within 5 s: the view renders
 * them together), then asserts that VS Code showed no "Element with id … is already registered" notification.
 * That is what VS Code reports when it replaced a tree node while fetching its rows: the node stays expanded
 * and empty.
 */
export async function expectNoDoubleRegistration(
  probe: WorkbenchProbe,
  rows: readonly ExpectedRow[],
): Promise<void> {
  for (const [i, row] of rows.entries()) {
    assert.ok(
      await probe.waitForText(row.text, { selector: row.selector, timeoutMs: i === 0 ? 15_000 : 5_000 }),
      row.what,
    );
  }
  assert.equal(
    await probe.waitForText('is already registered', {
      selector: '.notifications-toasts',
      timeoutMs: 1_000,
    }),
    false,
    'VS Code reported no tree element registered twice',
  );
}

/**
 * Whether a notification shown since the last "Clear All" says `words`: in its toast, or else in the notification
 * center, which lists every one of them. In the tier, now and then a toast was not found although the command had
 * shown its notification (once right after a suite signed in, once in a run of several refusals in a row).
 */
export async function notificationSays(probe: WorkbenchProbe, words: string): Promise<boolean> {
  if (await probe.waitForText(words, { selector: '.notifications-toasts', timeoutMs: 15_000 })) {
    return true;
  }
  await vscode.commands.executeCommand('notifications.showList');
  try {
    const found = await probe.waitForText(words, { selector: '.notifications-center', timeoutMs: 5_000 });
    note(`"${words}" was ${found ? '' : 'not '}found in the notification center instead of a toast`);
    return found;
  } finally {
    await vscode.commands.executeCommand('notifications.hideList');
  }
}

/**
 * Whether a tree node carries a `contextValue` tag. Tests must not use `instanceof` on nodes: the test
 * bundle has its own copies of the classes, separate from the extension's.
 */
export function is(node: { getTreeItem(): vscode.TreeItem } | undefined, tag: string): boolean {
  const value = node?.getTreeItem().contextValue ?? '';
  return value.split(' ').includes(tag);
}

/** A tree node's label as the view shows it. */
export function label(node: ExplorerNode): string {
  const l = node.getTreeItem().label;
  return typeof l === 'string' ? l : (l?.label ?? '');
}

/** The children of a node (or the roots), through the extension's own tree provider. */
export function children(api: ExtensionApi, node?: ExplorerNode): Promise<ExplorerNode[]> {
  return api.explorer.provider.getChildren(node);
}

/** The child with this label; fails the test with what was there instead. */
export async function child(
  api: ExtensionApi,
  parent: ExplorerNode | undefined,
  name: string,
): Promise<ExplorerNode> {
  const list = await children(api, parent);
  const found = list.find((n) => label(n) === name);
  assert.ok(
    found,
    `"${name}" under ${parent ? label(parent) : 'the roots'}; found: ${list.map(label).join(', ')}`,
  );
  return found;
}

/** Run options for attended runs through the maker's connection: they go to DESKTOP-MAKER01, one at a time. */
export const makerAttended = {
  connectionName: seedNames.connections.makerMachine,
  connectionType: 1,
  runMode: 'attended',
  priority: 'normal',
  timeoutSeconds: 3_600,
} as const;

/**
 * The lines of the extension host's own log (exthost.log / remoteexthost.log, next to the extension's log
 * folder) that VS Code wrote about this extension at warning level or above, or that name its code.
 */
export async function hostLogProblems(api: ExtensionApi): Promise<string[]> {
  const folder = vscode.Uri.joinPath(api.logUri, '..');
  const entries = await vscode.workspace.fs.readDirectory(folder);
  const logs = entries.filter(([name]) => /exthost\.log$/i.test(name)).map(([name]) => name);
  assert.ok(
    logs.length > 0,
    `the extension host log is in ${folder.fsPath} (found: ${entries.map(([n]) => n).join(', ')})`,
  );
  const lines: string[] = [];
  for (const name of logs) {
    const text = new TextDecoder().decode(
      await vscode.workspace.fs.readFile(vscode.Uri.joinPath(folder, name)),
    );
    lines.push(...text.split('\n'));
  }
  return lines.filter(
    (line) =>
      /\[(warning|error)\]/.test(line) &&
      (line.includes(`[${extensionId}]`) || /desktopFlows\.|Channel has been closed/.test(line)),
  );
}

/** True once a rendered Markdown preview whose tab title includes `title` is open. */
export function markdownPreviewShown(title: string): boolean {
  return vscode.window.tabGroups.all
    .flatMap((g) => g.tabs)
    .some((t) => t.label.includes(title) && t.input instanceof vscode.TabInputWebview);
}

/** The workbench's own log: the window's, not the extension host's (see `workbenchErrorsDuring`). */
async function workbenchLogUri(api: ExtensionApi): Promise<vscode.Uri> {
  if (vscode.env.uiKind === vscode.UIKind.Web) {
    // The browser keeps the window's logs under vscode-log:/<session>/; the newest session is this window's.
    const root = vscode.Uri.from({ scheme: 'vscode-log', path: '/' });
    const sessions = (await vscode.workspace.fs.readDirectory(root))
      .filter(([, type]) => type === vscode.FileType.Directory)
      .map(([name]) => name)
      .sort();
    const newest = sessions.at(-1);
    assert.ok(newest !== undefined, 'the workbench keeps its log under vscode-log:/');
    return vscode.Uri.joinPath(root, newest, 'window.log');
  }
  // Desktop: <session>/window1/renderer.log, two folders above the extension's <session>/window1/exthost/<id>.
  return vscode.Uri.joinPath(api.logUri, '..', '..', 'renderer.log');
}

/** The entries of a log: each entry's first line with the lines (a stack) that follow it. */
async function logEntries(uri: vscode.Uri): Promise<string[]> {
  const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
  const entries: string[] = [];
  for (const line of text.split('\n')) {
    if (/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/.test(line)) {
      entries.push(line);
    } else if (entries.length > 0) {
      entries[entries.length - 1] += `\n${line}`;
    }
  }
  return entries;
}

/**
 * The errors the workbench (the window itself, e.g. its file service) logged while `action` ran; the
 * extension host's log (`hostLogProblems`) does not have them. The workbench handles what an extension
 * asked of it after the call returned (a Markdown preview watches its document), so after `action` the
 * extension host asks the workbench's file service about a scheme that has no file system (which waits for
 * the same activation as every earlier request), then writes a marker line that the workbench copies into
 * its log; the entries are read once the marker is there.
 */
export async function workbenchErrorsDuring(
  api: ExtensionApi,
  action: () => Promise<void>,
): Promise<string[]> {
  const log = await workbenchLogUri(api);
  const before = (await logEntries(log)).length;
  await action();
  return workbenchErrorsSince(log, before);
}

/**
 * The errors the workbench logged since this window opened (its log is this window's, see `workbenchLogUri`),
 * e.g. while restoring its editors after a reload; read as `workbenchErrorsDuring` reads them.
 */
export async function workbenchErrorsSinceWindowOpened(api: ExtensionApi): Promise<string[]> {
  return workbenchErrorsSince(await workbenchLogUri(api), 0);
}

/** The errors among the entries of `log` from the `before`-th on, once the workbench has handled every request. */
async function workbenchErrorsSince(log: vscode.Uri, before: number): Promise<string[]> {
  const nowhere = vscode.Uri.from({ scheme: 'desktopflows-test-no-file-system', path: '/marker' });
  await vscode.workspace.fs.stat(nowhere).then(
    () => assert.fail(`${nowhere.toString()} has no file system`),
    () => undefined,
  );
  const marker = `Desktop Flows test marker ${Date.now()}-${Math.random()}`;
  console.warn(marker);
  const added = await waitFor(
    async () => {
      const entries = await logEntries(log);
      const at = entries.findIndex((e, i) => i >= before && e.includes(marker));
      return at >= 0 ? entries.slice(before, at) : undefined;
    },
    `the marker in the workbench log ${log.toString()}`,
    20_000,
    100,
  );
  return added.filter((e) => /^\S+ \S+ \[error\]/.test(e));
}
