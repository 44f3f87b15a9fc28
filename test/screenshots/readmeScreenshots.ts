// The README screenshots, taken from the real VS Code host. Not a test: scripts/screenshots.mjs has the
// integration harness load this module (through `--entry`) instead of the mocha bootstrap, in the
// offline host (code-server + headless Chromium), where the workbench probe can photograph the window.
// It signs in to an in-process sandbox, drives the UI into each state and saves one PNG per state to
// DESKTOPFLOWS_SCREENSHOT_DIR. run() rejects (non-zero exit) when a state cannot be reached.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { RunSubject } from '../../src/core/runs/runEvents';
import type { ExtensionApi } from '../../src/extension';
import { seedFlowNames, seedIds, seedNames } from '../../src/sandbox/seed';
import { startSandbox } from '../../src/sandbox/server';
import { commandIds } from '../../src/vscode/commandIds';
import type { ExplorerNode } from '../../src/vscode/tree/explorerNode';
import type { WorkbenchProbe } from '../integration/helpers';
import {
  activateExtension,
  makerAttended,
  sleep,
  testOutput,
  waitFor,
  workbenchProbe,
} from '../integration/helpers';

/** Real time, so the transcript's timestamps agree with its durations (Invoice Processing takes 60 s). */
const speed = 1;
const environmentName = 'Contoso Dev';
/** The window: what the harness opens (scripts/vscodeHost/workbenchBrowser.mjs), and taller for the tree. */
const width = 1400;
const height = 900;
const treeHeight = 1440;
const documentHeight = 1060;
const erpKeyVariable = 'CONTOSO_ERP_API_KEY';

/** The file names under docs/images, in README order. */
export const screenshotFiles = {
  explorer: 'explorer-tree.png',
  inputFile: 'input-file-diagnostics.png',
  statusBar: 'status-bar-run.png',
  transcript: 'run-transcript.png',
  outputs: 'run-outputs.png',
  runsView: 'runs-view.png',
  runDocument: 'run-document.png',
  testExplorer: 'test-explorer.png',
} as const;

/**
 * `DESKTOPFLOWS_SCREENSHOT_ONLY=testExplorer,…` (`npm run screenshots -- --only testExplorer`) retakes only
 * those pictures; by default every one is taken.
 */
function wanted(name: keyof typeof screenshotFiles): boolean {
  const only = process.env.DESKTOPFLOWS_SCREENSHOT_ONLY;
  return only === undefined || only === '' || only.split(',').includes(name);
}

function label(node: ExplorerNode): string {
  const l = node.getTreeItem().label;
  return typeof l === 'string' ? l : (l?.label ?? '');
}

async function child(
  api: ExtensionApi,
  parent: ExplorerNode | undefined,
  name: string,
): Promise<ExplorerNode> {
  const list = await api.explorer.provider.getChildren(parent);
  const found = list.find((n) => label(n) === name);
  if (!found) {
    throw new Error(
      `no "${name}" under ${parent ? label(parent) : 'the roots'}; found: ${list.map(label).join(', ')}`,
    );
  }
  return found;
}

/**
 * Reveals and expands a node (`levels` deep); the tree view rejects while it is still rendering, so this
 * retries. Nodes must be the objects the view holds: some parents build new children on every load.
 */
async function expand(api: ExtensionApi, node: ExplorerNode, levels: number | true = true): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await api.explorer.treeView.reveal(node, { expand: levels, select: false, focus: false });
      return;
    } catch (e) {
      if (attempt > 40) {
        throw e;
      }
      await sleep(250);
    }
  }
}

/** Runs VS Code commands that may not exist in every build (layout helpers); a missing one is skipped. */
async function tryCommands(...ids: string[]): Promise<void> {
  for (const id of ids) {
    await vscode.commands.executeCommand(id).then(undefined, () => undefined);
  }
}

async function writeJson(uri: vscode.Uri, content: unknown): Promise<void> {
  await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(`${JSON.stringify(content, null, 2)}\n`));
}

class Shooter {
  constructor(
    readonly probe: WorkbenchProbe,
    private readonly dir: string,
  ) {}

  async expectText(text: string, selector?: string): Promise<void> {
    if (!(await this.probe.waitForText(text, { selector, timeoutMs: 30_000 }))) {
      throw new Error(`"${text}" did not appear in the workbench${selector ? ` (${selector})` : ''}`);
    }
  }

  /** Lets animations and progress bars settle (`settleMs`, 1.2 s by default), then saves the PNG. */
  async shoot(
    file: string,
    options: {
      selector?: string;
      clip?: { x: number; y: number; width: number; height: number };
      settleMs?: number;
    } = {},
  ): Promise<void> {
    const { settleMs = 1_200, ...where } = options;
    await sleep(settleMs);
    const saved = await this.probe.screenshot({ file: path.join(this.dir, file), ...where });
    testOutput(`  saved ${saved}`);
  }
}

export async function run(): Promise<void> {
  const probe = workbenchProbe();
  const dir = process.env.DESKTOPFLOWS_SCREENSHOT_DIR;
  if (!probe || !dir) {
    throw new Error(
      'the README screenshots need the offline host (workbench probe) and DESKTOPFLOWS_SCREENSHOT_DIR',
    );
  }
  const shots = new Shooter(probe, dir);
  const api = await activateExtension();
  await api.restored;
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  if (!folder) {
    throw new Error('the host opened no workspace folder');
  }
  const settings = vscode.workspace.getConfiguration('desktopFlows');
  // Toasts would cover the pictures; the transcript is shown on purpose below.
  await settings.update('runs.notifyOnCompletion', 'off', vscode.ConfigurationTarget.Workspace);
  await settings.update('runs.revealTranscript', 'never', vscode.ConfigurationTarget.Workspace);
  await settings.update('runs.pollIntervalMinSeconds', 1, vscode.ConfigurationTarget.Global);
  await settings.update('runs.pollIntervalMaxSeconds', 2, vscode.ConfigurationTarget.Global);
  // The look of the pictures: dark theme, no port-forwarding noise, no indent guides in the transcript.
  const user = vscode.ConfigurationTarget.Global;
  await vscode.workspace.getConfiguration('workbench').update('colorTheme', 'Default Dark Modern', user);
  await vscode.workspace.getConfiguration('workbench').update('startupEditor', 'none', user);
  await vscode.workspace.getConfiguration('remote').update('autoForwardPorts', false, user);
  await vscode.workspace
    .getConfiguration('editor', { languageId: 'Log' })
    .update('guides.indentation', false, user, true);
  process.env[erpKeyVariable] = 'erp-key-3c9a51f07d';

  const sandbox = await startSandbox({ port: 0, speed });
  try {
    const accountId = await vscode.commands.executeCommand<string>(commandIds.trySandbox, {
      url: sandbox.url,
    });
    if (!accountId) {
      throw new Error('Try the Sandbox did not sign in');
    }
    await waitFor(() => api.isSignedIn(), 'signed in', 30_000);
    const env = await child(api, undefined, environmentName);
    await vscode.commands.executeCommand(commandIds.selectEnvironment, env);
    await waitFor(
      () => api.environmentStatus.text.includes(environmentName),
      'the default environment in the status bar',
    );
    await tryCommands(
      'workbench.action.closeAllEditors',
      'notifications.clearAll',
      'workbench.action.closeAuxiliaryBar',
    );

    // Input files: one that runs, and one with a wrong type and a missing required input.
    const flowFolder = vscode.Uri.joinPath(folder, '.desktopflows', 'invoice-processing');
    const schema = `desktopflows-schema:/${seedIds.environments.dev}/${seedIds.flows.invoice}.json`;
    const goodFile = vscode.Uri.joinPath(flowFolder, 'march-invoice.json');
    await writeJson(goodFile, {
      $schema: schema,
      InvoiceId: 'INV-2041',
      Amount: 1234.5,
      IsUrgent: true,
      Customer: { name: 'Fabrikam', id: 'C-7' },
      LineItems: ['paper', 'toner'],
      Ledger: [{ Line: 1, Account: '6000', Amount: 1234.5 }],
      ApiKey: `\${env:${erpKeyVariable}}`,
      Notes: 'Quarter close',
    });
    const badFile = vscode.Uri.joinPath(flowFolder, 'april-invoice.json');
    await writeJson(badFile, {
      $schema: schema,
      Amount: 'twelve hundred',
      IsUrgent: false,
      Customer: { name: 'Northwind', id: 'C-12' },
      LineItems: ['laptops'],
      Ledger: [],
      ApiKey: '${secret:ERP_API_KEY}',
    });

    if (wanted('testExplorer')) {
      testOutput('Test Explorer with a passed and a failed flow test');
      await testExplorerShot(api, shots, folder);
    }
    const rest = [
      'inputFile',
      'transcript',
      'outputs',
      'statusBar',
      'explorer',
      'runsView',
      'runDocument',
    ] as const;
    if (!rest.some(wanted)) {
      await vscode.commands.executeCommand(commandIds.signOut, accountId);
      return;
    }

    if (wanted('inputFile')) {
      testOutput('input file with diagnostics');
      await inputFileShot(shots, badFile);
    }

    testOutput('transcript of a finished run');
    const invoiceRun = await vscode.commands.executeCommand<RunSubject>(
      commandIds.runInputFile,
      goodFile,
      makerAttended,
    );
    if (!invoiceRun?.runId) {
      throw new Error('Run with This Input File started no run');
    }
    await waitFor(
      () => api.runs.store.find(invoiceRun.environment.orgUrl, invoiceRun.runId)?.status === 'succeeded',
      'the invoice run to succeed',
      150_000,
    );
    await api.runs.idle();
    await tryCommands('workbench.action.closeAllEditors', 'notifications.clearAll');
    if (wanted('transcript')) {
      // The file that ran above, its transcript below; the panel taller than by default (the editor
      // has the focus in this window, so shrinking it grows the panel).
      await vscode.commands.executeCommand('workbench.view.explorer');
      await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(goodFile));
      await vscode.commands.executeCommand(commandIds.showRunTranscript);
      await tryCommands(
        'workbench.action.focusActiveEditorGroup',
        'workbench.action.decreaseViewHeight',
        'workbench.action.decreaseViewHeight',
      );
      await shots.expectText('succeeded on DESKTOP-MAKER01', '.part.panel');
      await shots.shoot(screenshotFiles.transcript);
    }

    if (wanted('outputs')) {
      testOutput('outputs of the succeeded run');
      await tryCommands('workbench.action.closePanel');
      await vscode.commands.executeCommand(commandIds.openRunOutputs, invoiceRun);
      await shots.expectText('Processed', '.part.editor');
      await shots.shoot(screenshotFiles.outputs);
    }

    testOutput('status bar during a run');
    await tryCommands('workbench.action.closeAllEditors', 'workbench.action.closePanel');
    const longRun = await vscode.commands.executeCommand<RunSubject>(commandIds.runFlow, {
      environment: environmentName,
      flowId: seedIds.flows.longReport,
      inputs: { Month: '2025-03' },
      ...makerAttended,
    });
    if (!longRun?.runId) {
      throw new Error('Run Desktop Flow started no run');
    }
    await waitFor(
      () => /Long Running Report: Running \d+:\d\d/.test(api.runs.statusBar.text),
      'the long run running in the status bar',
      60_000,
    );
    if (wanted('statusBar')) {
      await statusBarShot(shots);
    }

    // The long run holds the maker's machine: cancelled first, or the next runs would queue behind it.
    await vscode.commands.executeCommand(commandIds.cancelRun, longRun).then(undefined, () => undefined);
    await finished(api, longRun, 'the long run to be cancelled');
    if (wanted('runsView') || wanted('runDocument') || wanted('explorer')) {
      const failedRun = await startRun(seedIds.flows.legacySchema);
      await finished(api, failedRun, 'the Legacy Schema Flow run to fail');
      // Active rows too: one run on the maker's machine, and one queued behind it.
      const running = await startRun(seedIds.flows.longReport, { Month: '2025-04' });
      await waitFor(
        () => api.runs.store.find(running.environment.orgUrl, running.runId)?.phase === 'running',
        'the second long run to run',
        60_000,
      );
      const queued = await startRun(seedIds.flows.echoText, { inputText: 'Queued', inputInteger: 1 });
      try {
        if (wanted('runsView') || wanted('runDocument')) {
          testOutput('the Runs view and the document of a failed run');
          await runsShots(shots, failedRun);
        }
        // While the long run runs: its machine in use, the status bar counting the active runs.
        if (wanted('explorer')) {
          testOutput('the Desktop Flows tree');
          // Taller, so the expanded tree fits: flows, a flow's children, connections and machines.
          await probe.setViewport(width, treeHeight);
          try {
            await treeShot(api, shots, invoiceRun);
          } finally {
            await probe.setViewport(width, height);
          }
        }
      } finally {
        for (const run of [queued, running]) {
          await vscode.commands.executeCommand(commandIds.cancelRun, run).then(undefined, () => undefined);
          await finished(api, run, 'a run of the Runs view to be cancelled');
        }
      }
    }

    await vscode.commands.executeCommand(commandIds.signOut, accountId);
  } finally {
    delete process.env[erpKeyVariable];
    await sandbox.stop();
  }
}

/**
 * The bottom left corner: the running run's status bar item and its tooltip. The tooltip is photographed only
 * while it is seen open just before and just after the shot; otherwise the item is pointed at again.
 */
async function statusBarShot(shots: Shooter): Promise<void> {
  const item = '.part.statusbar .statusbar-item:has-text("Long Running Report")';
  const hoverSelector = '.monaco-hover, .workbench-hover';
  await shots.expectText('Long Running Report', '.part.statusbar');
  for (let attempt = 1; ; attempt++) {
    if (!(await shots.probe.hover(item))) {
      throw new Error("the run's status bar item could not be pointed at");
    }
    await shots.expectText('Desktop flow runs', hoverSelector);
    // Whether it stays open over the next seconds (the item's text changes every second while the run runs).
    const seen: string[] = [];
    for (let i = 0; i < 16; i++) {
      await sleep(250);
      const open = await shots.probe.waitForText('Desktop flow runs', {
        selector: hoverSelector,
        timeoutMs: 50,
      });
      seen.push(open ? 'open' : 'closed');
    }
    testOutput(`  tooltip every quarter second after pointing (attempt ${attempt}): ${seen.join(' ')}`);
    const open = () => shots.probe.waitForText('Cancel', { selector: hoverSelector, timeoutMs: 2_000 });
    if (await open()) {
      await shots.shoot(screenshotFiles.statusBar, {
        clip: { x: 0, y: height - 240, width: 720, height: 240 },
        settleMs: 300,
      });
      if (await open()) {
        break;
      }
    }
    if (attempt >= 5) {
      throw new Error("the run's status bar tooltip did not stay open for its picture");
    }
    await shots.probe.hover('.part.editor');
    await sleep(500);
  }
  await shots.probe.hover('.part.editor');
}

async function startRun(flowId: string, inputs?: Record<string, unknown>): Promise<RunSubject> {
  const run = await vscode.commands.executeCommand<RunSubject>(commandIds.runFlow, {
    environment: environmentName,
    flowId,
    ...(inputs === undefined ? {} : { inputs }),
    ...makerAttended,
  });
  if (!run?.runId) {
    throw new Error('Run Desktop Flow started no run');
  }
  return run;
}

async function finished(api: ExtensionApi, run: RunSubject, what: string): Promise<void> {
  await waitFor(
    () => api.runs.store.find(run.environment.orgUrl, run.runId)?.phase === 'finished',
    what,
    150_000,
  );
}

/** How many `decreaseViewWidth` steps of the editor the side bar has been widened by, from its default. */
let sideBarSteps = 0;

/**
 * Widens (or narrows back) the side bar to `steps` steps wider than its default: the width is taken from (or
 * given back to) the focused editor, which also takes the focus (and its outline) from the side bar's lists.
 * Needs an open editor.
 */
async function widenSideBar(steps: number): Promise<void> {
  await tryCommands('workbench.action.focusActiveEditorGroup');
  for (; sideBarSteps < steps; sideBarSteps++) {
    await tryCommands('workbench.action.decreaseViewWidth');
  }
  for (; sideBarSteps > steps; sideBarSteps--) {
    await tryCommands('workbench.action.increaseViewWidth');
  }
}

/**
 * Shows or hides a view of the Desktop Flows side bar (the tree and the Runs view share it), as the view's
 * "Hide" context menu action does; a picture of one gets the whole height.
 */
async function showView(viewId: string, shown: boolean): Promise<void> {
  if (shown) {
    await vscode.commands.executeCommand(`${viewId}.focus`);
  } else {
    await vscode.commands.executeCommand(`${viewId}.removeView`);
  }
  await sleep(500);
}

/**
 * The Runs view (the whole side bar: the tree's section collapsed) with succeeded, failed, cancelled,
 * running and queued runs; then the rendered document of the failed run beside it.
 */
async function runsShots(shots: Shooter, failedRun: RunSubject): Promise<void> {
  await tryCommands(
    'workbench.action.closeAllEditors',
    'notifications.clearAll',
    'workbench.action.closePanel',
  );
  await vscode.commands.executeCommand('workbench.view.extension.desktopFlows');
  await showView('desktopFlows.runs', true);
  await showView('desktopFlows.explorer', false);
  await vscode.commands.executeCommand(commandIds.refreshRunsView);
  for (const text of ['Legacy Schema Flow', 'failed', 'running', 'queued', 'succeeded']) {
    await shots.expectText(text, '.part.sidebar');
  }
  await vscode.commands.executeCommand(commandIds.showRunDetails, failedRun);
  // The document is a webview (its text is in a frame the probe does not read): its tab says the run's
  // status once the document shows the run as read.
  await shots.expectText(`Legacy Schema Flow · ${failedRun.runId.slice(0, 8)} · failed`, '.part.editor');
  // The side bar wide enough for each row's status, times, flow, machine and who started it.
  await widenSideBar(7);
  await tryCommands('notifications.clearAll');
  await shots.expectText('Sandbox Maker', '.part.sidebar');
  if (wanted('runsView')) {
    await shots.shoot(screenshotFiles.runsView, { clip: { x: 0, y: 0, width: 800, height: 400 } });
  }
  // Narrower again: the document needs the room more than the rows.
  await widenSideBar(4);
  await sleep(500);
  if (wanted('runDocument')) {
    // Taller, so the failing action shows below the error and its remedy.
    await shots.probe.setViewport(width, documentHeight);
    try {
      await sleep(1_000);
      await shots.shoot(screenshotFiles.runDocument);
    } finally {
      await shots.probe.setViewport(width, height);
    }
  }
  // The side bar as it was.
  await showView('desktopFlows.explorer', true);
}

async function testExplorerShot(api: ExtensionApi, shots: Shooter, folder: vscode.Uri): Promise<void> {
  const dir = vscode.Uri.joinPath(folder, 'tests', 'echo');
  const passing = vscode.Uri.joinPath(dir, 'greeting.flowtest.json');
  const failing = vscode.Uri.joinPath(dir, 'counter.flowtest.json');
  const test = (name: string, text: string, n: number, expected: Record<string, unknown>): unknown => ({
    name,
    flow: seedFlowNames.echoText,
    environment: environmentName,
    inputs: { inputText: text, inputInteger: n },
    // A connection reference, as the README's example: a logical name that reads well and works in every
    // environment the solution is imported to.
    run: { connectionReference: seedNames.connectionReferences.makerMachine, mode: 'unattended' },
    expect: { status: 'succeeded', outputs: expected, maxDurationSeconds: 120 },
  });
  await writeJson(passing, test('Greeting is echoed', 'Hello, Contoso', 1, { outputText: 'Hello, Contoso' }));
  await writeJson(
    failing,
    test('Counter is echoed', 'Invoice count', 41, { outputText: 'Invoice count', outputInteger: 42 }),
  );
  await api.flowTests.discover();
  const group = await waitFor(() => api.flowTests.itemFor(dir), 'the tests/echo group', 30_000);
  await waitFor(() => group.children.size === 2, 'both flow tests discovered', 30_000);
  await vscode.commands.executeCommand('workbench.view.testing.focus');
  const report = await api.flowTests.run(
    new vscode.TestRunRequest([group]),
    new vscode.CancellationTokenSource().token,
  );
  const outcomes = [...report.values()].map((r) => `${r.label}: ${r.outcome}`).join(', ');
  testOutput(`  ${outcomes}`);
  if (!outcomes.includes('passed') || !outcomes.includes('failed')) {
    throw new Error(`expected a passed and a failed flow test, got ${outcomes}`);
  }
  // The failing test open, its diff message inline, the Testing view with both results beside it.
  await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(failing));
  await tryCommands('testing.goToNextMessage');
  // Both tests revealed (their group expanded) with their results.
  await vscode.commands.executeCommand('workbench.view.testing.focus');
  for (const uri of [passing, failing]) {
    const test = api.flowTests.itemFor(uri);
    if (test !== undefined) {
      await vscode.commands
        .executeCommand('vscode.revealTestInExplorer', test)
        .then(undefined, () => undefined);
    }
  }
  await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(failing));
  // The failure's message (expected and actual) in a peek under the mismatching output.
  await tryCommands('testing.openOutputPeek');
  if (
    !(await shots.probe.waitForText('outputInteger', { selector: '.peekview-widget', timeoutMs: 10_000 }))
  ) {
    testOutput('  the failure peek did not show "outputInteger"');
  }
  const missing: string[] = [];
  for (const text of ['Greeting is echoed', 'Counter is echoed']) {
    if (!(await shots.probe.waitForText(text, { selector: '.part.sidebar', timeoutMs: 20_000 }))) {
      missing.push(text);
    }
  }
  await shots.shoot(screenshotFiles.testExplorer);
  // Checked after the shot, so a failure leaves the picture to look at.
  if (missing.length > 0) {
    throw new Error(`not visible in the Testing view: ${missing.join(', ')}`);
  }
  await tryCommands('workbench.action.closeAllEditors', 'workbench.action.closePanel');
}

async function inputFileShot(shots: Shooter, file: vscode.Uri): Promise<void> {
  await vscode.commands.executeCommand('workbench.view.explorer');
  const editor = await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(file));
  await waitFor(
    () => {
      const all = vscode.languages.getDiagnostics(file);
      return all.some((d) => d.message.includes('InvoiceId')) && all.some((d) => /number/i.test(d.message));
    },
    'the wrong-type and missing-input diagnostics',
    30_000,
  );
  await vscode.commands.executeCommand('workbench.actions.view.problems');
  await shots.expectText('InvoiceId', '.part.panel');
  // The hover on the wrong value says what is expected, as a user pointing at the squiggle sees it.
  const text = editor.document.getText();
  const at = editor.document.positionAt(text.indexOf('"twelve hundred"') + 3);
  editor.selection = new vscode.Selection(at, at);
  await vscode.window.showTextDocument(editor.document);
  await vscode.commands.executeCommand('editor.action.showHover');
  // Our own message (VS Code's JSON schema warning is not shown twice): its first words in the hover.
  const wrongType = vscode.languages.getDiagnostics(file).find((d) => /number/i.test(d.message));
  await shots.expectText((wrongType?.message ?? 'number').split('\n')[0]!.slice(0, 30), '.monaco-hover');
  // Validate Input File says in words whether the flow can run with this file.
  await vscode.commands.executeCommand(commandIds.validateInputFile, file);
  await shots.expectText('cannot run with it', '.notifications-toasts');
  await shots.shoot(screenshotFiles.inputFile);
  await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  await tryCommands('workbench.action.closePanel');
}

async function treeShot(api: ExtensionApi, shots: Shooter, invoiceRun: RunSubject): Promise<void> {
  await vscode.commands.executeCommand('workbench.view.extension.desktopFlows');
  await vscode.commands.executeCommand('desktopFlows.explorer.focus');
  await waitFor(() => api.explorer.treeView.visible, 'the Desktop Flows view visible');
  // The Runs view shares the side bar: hidden, so the tree has all of its height.
  await showView('desktopFlows.runs', false);
  const env = await child(api, undefined, environmentName);
  await expand(api, env);
  const flows = await child(api, env, 'Desktop flows');
  await expand(api, flows);
  // A flow's groups (and the machine groups) are rebuilt on each load, so they are expanded from their
  // parent, two levels at once, instead of being fetched here: the view must hold the nodes it shows.
  const flow = await child(api, flows, seedFlowNames.invoice);
  await expand(api, flow, 2);
  await expand(api, await child(api, env, 'Connections'));
  // Machines first, then its groups: the group rows are read once the machines' list has settled (it
  // re-renders itself once loaded, and VS Code may lose rows read while it does).
  const machines = await child(api, env, 'Machines');
  await expand(api, machines, 1);
  await sleep(1_500);
  await expand(api, machines, 2);
  // The flow selected, the details of the run started from its input file open (alone) beside the tree.
  await tryCommands('workbench.action.closeAllEditors');
  await vscode.commands.executeCommand(commandIds.showRunDetails, invoiceRun);
  await shots.expectText(`Invoice Processing · ${invoiceRun.runId.slice(0, 8)} · succeeded`, '.part.editor');
  await api.explorer.treeView.reveal(flow, { select: true, focus: false });
  // Wide enough for the rows' descriptions (an input file's environment at the end of its row).
  await widenSideBar(7);
  const expected = ['march-invoice.json', 'Recent runs', 'Finance Bots', 'FIN-BOT-01', 'DESKTOP-MAKER01'];
  const missing: string[] = [];
  for (const text of expected) {
    if (!(await shots.probe.waitForText(text, { selector: '.part.sidebar', timeoutMs: 20_000 }))) {
      missing.push(text);
    }
  }
  // The tree and the left part of the details: the rest of the window adds size, not information.
  await shots.shoot(screenshotFiles.explorer, { clip: { x: 0, y: 0, width: 1280, height: treeHeight } });
  // Checked after the shot, so a failure leaves the picture to look at.
  if (missing.length > 0) {
    throw new Error(`not visible in the Desktop Flows view: ${missing.join(', ')}`);
  }
}
