import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { ExtensionApi } from '../../src/extension';
import type { RunSubject } from '../../src/core/runs/runEvents';
import type { Fault } from '../../src/sandbox/faults';
import { buildSchemaText } from '../../src/sandbox/flowSchema';
import { stableGuid } from '../../src/sandbox/ids';
import { seedEnvironmentNames, seedFlowNames, seedIds } from '../../src/sandbox/seed';
import type { Sandbox } from '../../src/sandbox/server';
import { commandIds } from '../../src/vscode/commandIds';
import type { ExplorerNode } from '../../src/vscode/tree/explorerNode';
import { recordEachTest } from './runRecorder';
import {
  activateExtension,
  child,
  children,
  makerAttended,
  note,
  notificationSays,
  signInToSandbox,
  signOutOfSandbox,
  waitFor,
  workbenchProbe,
  WorkspaceFiles,
} from './helpers';

const runDesktopFlow = '/org/*/api/data/v9.2/workflows(*)/Microsoft.Dynamics.CRM.RunDesktopFlow';

/**
 * Every way the extension starts a run takes one road (RunRequest → prepareRun → RunService.start). Each
 * entry point is given an input the flow cannot take: the run is refused with the problem in words, and no
 * RunDesktopFlow request reaches the sandbox. Each `it` sets up what it needs and runs alone, in any order.
 */
describe('Run entry points refuse invalid inputs before sending', function () {
  this.timeout(120_000);
  let api: ExtensionApi;
  let sandbox: Sandbox;
  let accountId: string;
  /** Counts RunDesktopFlow requests (a zero-delay fault changes nothing else). */
  let sent: Fault;
  const files = new WorkspaceFiles();

  const recorded = recordEachTest(() => api.runs);

  /** Waits for the transcript to say (during this test) the run was refused, and returns that line. */
  async function refusal(pattern: RegExp): Promise<string> {
    return waitFor(
      () =>
        recorded().transcript.find((l) => /was not started; nothing was sent\./.test(l) && pattern.test(l)),
      `a refusal matching ${String(pattern)}`,
      30_000,
    );
  }

  async function flowNode(name: string): Promise<ExplorerNode> {
    const env = await child(api, undefined, 'Contoso Dev');
    return child(api, await child(api, env, 'Desktop flows'), name);
  }

  before(async () => {
    api = await activateExtension();
    await api.restored;
    ({ sandbox, accountId } = await signInToSandbox(api, { speed: 10 }));
    sent = sandbox.faults.add({ method: 'POST', path: runDesktopFlow, kind: 'delay', delayMs: 0 });
  });

  afterEach(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  after(async () => {
    await files.deleteAll();
    await signOutOfSandbox(accountId, sandbox);
  });

  it('inline arguments of "Run Desktop Flow…": a text for a number input is refused, nothing sent', async () => {
    const hits = sent.hits;
    const run = await vscode.commands.executeCommand<RunSubject | undefined>(commandIds.runFlow, {
      environment: 'Contoso Dev',
      flowId: seedIds.flows.echoText,
      inputs: { inputText: 'hello', inputInteger: 'seven' },
      ...makerAttended,
    });
    assert.equal(run, undefined, 'no run started');
    const line = await refusal(/"Echo Text" was not started; nothing was sent\./);
    note(line);
    assert.match(line, /inline inputs: .*inputInteger/i);
    assert.equal(sent.hits, hits, 'no RunDesktopFlow request reached the sandbox');
  });

  it('palette "Run Desktop Flow…" with no inputs for a flow with required inputs is refused, nothing sent', async () => {
    const hits = sent.hits;
    const run = await vscode.commands.executeCommand<RunSubject | undefined>(commandIds.runFlow, {
      environment: 'Contoso Dev',
      flowName: seedFlowNames.invoice,
      noInputs: true,
      ...makerAttended,
    });
    assert.equal(run, undefined, 'no run started');
    const line = await refusal(/"Invoice Processing" has required inputs without defaults.*"InvoiceId"/);
    note(line);
    assert.equal(sent.hits, hits, 'no RunDesktopFlow request reached the sandbox');
  });

  it('a flow in the tree with an over-limit input is refused, nothing sent', async () => {
    const hits = sent.hits;
    const node = await flowNode(seedFlowNames.echoText);
    const run = await vscode.commands.executeCommand<RunSubject | undefined>(commandIds.runFlow, node, {
      inputs: { inputText: 'x'.repeat(2 * 1024 * 1024 + 10) },
      ...makerAttended,
    });
    assert.equal(run, undefined, 'no run started');
    const line = await refusal(/"Echo Text" was not started; nothing was sent\./);
    note(line.slice(0, 300));
    assert.match(line, /MB|bytes|limit/i);
    assert.equal(sent.hits, hits, 'no RunDesktopFlow request reached the sandbox');
  });

  it('an input file from its CodeLens (file argument) with a wrong type is refused at its line, nothing sent', async () => {
    const hits = sent.hits;
    const uri = await files.write('.desktopflows/echo-text/entry-codelens.json', {
      $schema: `desktopflows-schema:/${seedIds.environments.dev}/${seedIds.flows.echoText}.json`,
      inputText: 'hello',
      inputInteger: 'seven',
    });
    const run = await vscode.commands.executeCommand<RunSubject | undefined>(
      commandIds.runInputFile,
      uri,
      makerAttended,
    );
    assert.equal(run, undefined, 'no run started');
    const line = await refusal(
      /"Echo Text" was not started; nothing was sent\. .*entry-codelens\.json: at line 4, column/,
    );
    note(line);
    const diagnostics = await waitFor(
      () => {
        const list = vscode.languages
          .getDiagnostics(uri)
          .filter((d) => d.severity === vscode.DiagnosticSeverity.Error);
        return list.length > 0 ? list : undefined;
      },
      'the problem in the Problems panel',
      30_000,
    );
    assert.equal(diagnostics[0]?.range.start.line, 3, 'on the inputInteger line');
    assert.equal(sent.hits, hits, 'no RunDesktopFlow request reached the sandbox');
  });

  it('the input file of the active editor (editor title button) with an unknown input is refused, nothing sent', async () => {
    const hits = sent.hits;
    const uri = await files.write('.desktopflows/echo-text/entry-editor.json', {
      $schema: `desktopflows-schema:/${seedIds.environments.dev}/${seedIds.flows.echoText}.json`,
      inputText: 'hello',
      inputTxet: 'typo',
    });
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
    const run = await vscode.commands.executeCommand<RunSubject | undefined>(
      commandIds.runInputFile,
      makerAttended,
    );
    assert.equal(run, undefined, 'no run started');
    const line = await refusal(/entry-editor\.json: at line 4, column .*inputTxet/);
    note(line);
    assert.equal(sent.hits, hits, 'no RunDesktopFlow request reached the sandbox');
  });

  /** Writes `parts` (text as UTF-8, numbers as raw bytes) as a saved input file of Echo Text. */
  async function writeBytes(relativePath: string, parts: readonly (string | number)[]): Promise<vscode.Uri> {
    const uri = vscode.Uri.joinPath(files.folder, ...relativePath.split('/'));
    const bytes = parts.flatMap((p) => (typeof p === 'number' ? [p] : [...new TextEncoder().encode(p)]));
    await vscode.workspace.fs.writeFile(uri, Uint8Array.from(bytes));
    files.created.push(uri);
    return uri;
  }

  /**
   * Runs an input file as its "Run" CodeLens does (the file's URI as argument, as the test above), with
   * the run options given so that nothing is asked.
   */
  async function runFromLens(uri: vscode.Uri): Promise<RunSubject | undefined> {
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
    return vscode.commands.executeCommand<RunSubject | undefined>(
      commandIds.runInputFile,
      uri,
      makerAttended,
    );
  }

  const echoSchema = `desktopflows-schema:/${seedIds.environments.dev}/${seedIds.flows.echoText}.json`;

  it('a saved input file with an invalid UTF-8 byte (Latin-1 "é") run from its CodeLens is refused at its line and column, nothing sent', async () => {
    const dev = sandbox.environments.get(seedEnvironmentNames.dev);
    assert.ok(dev, 'Contoso Dev in the sandbox');
    const runsBefore = dev.runs.size;
    const hits = sent.hits;
    // Line 4 holds "Caf" then 0xE9 (Latin-1 "é"), which VS Code shows as U+FFFD: byte column 20.
    const uri = await writeBytes('.desktopflows/echo-text/entry-latin1.json', [
      `{\n  "$schema": "${echoSchema}",\n  "inputInteger": 7,\n  "inputText": "Caf`,
      0xe9,
      ' au lait"\n}\n',
    ]);
    const document = await vscode.workspace.openTextDocument(uri);
    assert.ok(document.getText().includes('\uFFFD'), 'the editor shows a replacement character');
    // Earlier refusals' notifications would hide this one.
    await vscode.commands.executeCommand('notifications.clearAll');
    const run = await runFromLens(uri);
    if (run !== undefined) {
      // Leave nothing running for other tests when the file was not refused.
      await api.runs.cancel(run, AbortSignal.timeout(30_000)).catch(() => undefined);
    }
    assert.equal(run, undefined, 'no run started');
    const line = await waitFor(
      () => recorded().transcript.find((l) => /entry-latin1\.json/.test(l)),
      'the refusal in the transcript',
      30_000,
    );
    note(line);
    assert.match(
      line,
      /"\.desktopflows\/echo-text\/entry-latin1\.json" is not valid UTF-8: byte \d+ \(line 4, column 20\) is 0xE9\b.* Nothing was sent\./,
    );
    const probe = workbenchProbe();
    if (probe) {
      assert.ok(
        await notificationSays(probe, 'entry-latin1.json" is not valid UTF-8'),
        'the error notification says the file is not valid UTF-8',
      );
    }
    assert.equal(sent.hits, hits, 'no RunDesktopFlow request reached the sandbox');
    assert.equal(dev.runs.size, runsBefore, 'the sandbox created no run');
    const diagnostic = await waitFor(
      () => vscode.languages.getDiagnostics(uri).find((d) => /not valid UTF-8/.test(d.message)),
      'the encoding problem in the Problems panel',
      30_000,
    );
    assert.equal(diagnostic.severity, vscode.DiagnosticSeverity.Error);
    assert.equal(document.getText(diagnostic.range), '\uFFFD', 'at the character of the invalid byte');
    assert.equal(diagnostic.range.start.line, 3);
  });

  it('a saved input file with non-ASCII UTF-8 text ("Zürich ✓") runs from its CodeLens and the sandbox gets that exact text', async () => {
    const dev = sandbox.environments.get(seedEnvironmentNames.dev);
    assert.ok(dev, 'Contoso Dev in the sandbox');
    const runsBefore = new Set(dev.runs.keys());
    const uri = await writeBytes('.desktopflows/echo-text/entry-utf8.json', [
      `{\n  "$schema": "${echoSchema}",\n  "inputInteger": 7,\n  "inputText": "Z\u00fcrich \u2713"\n}\n`,
    ]);
    const run = await runFromLens(uri);
    assert.ok(run?.runId, 'the run started');
    try {
      const created = [...dev.runs.values()].filter((r) => !runsBefore.has(String(r.row.flowsessionid)));
      assert.equal(created.length, 1, 'the sandbox created one run');
      assert.equal(created[0]?.inputs?.inputText, 'Z\u00fcrich \u2713', 'the exact text was sent');
      assert.ok(
        !vscode.languages.getDiagnostics(uri).some((d) => /UTF-8/.test(d.message)),
        'no encoding problem is reported',
      );
    } finally {
      await api.runs.cancel(run, AbortSignal.timeout(30_000)).catch(() => undefined);
      await waitFor(
        () => api.runs.store.find(run.environment.orgUrl, run.runId)?.phase === 'finished',
        'the run ended',
        60_000,
      );
    }
  });

  it('Run Again of a run from history whose stored inputs no longer fit the flow says what changed, nothing sent', async () => {
    // The seeded Invoice Processing run of 10 Mar sent no inputs; the flow now requires "InvoiceId".
    const node = await flowNode(seedFlowNames.invoice);
    const group = await child(api, node, 'Recent runs');
    api.explorer.provider.refresh(group);
    const rows = await children(api, group);
    const historic = rows.find(
      (r) =>
        (r as { subject?: RunSubject }).subject?.runId.toLowerCase() === stableGuid('run:h1').toLowerCase(),
    );
    assert.ok(historic, `the run of 10 Mar under Recent runs; found ${rows.length} row(s)`);
    const hits = sent.hits;
    const run = await vscode.commands.executeCommand<RunSubject | undefined>(
      commandIds.runAgain,
      historic,
      makerAttended,
    );
    assert.equal(run, undefined, 'no run started');
    const line = await refusal(/Input `InvoiceId` is now required; the run from 10 Mar did not send it\./);
    note(line);
    assert.equal(sent.hits, hits, 'no RunDesktopFlow request reached the sandbox');
  });

  it('Run Again of a run of this window after the flow changed says what changed, nothing sent', async () => {
    const dev = sandbox.environments.get(seedEnvironmentNames.dev);
    const flow = dev?.flows.get(seedIds.flows.invoice.toLowerCase());
    assert.ok(flow, 'Invoice Processing in the sandbox');
    const first = await vscode.commands.executeCommand<RunSubject>(commandIds.runFlow, {
      environment: 'Contoso Dev',
      flowId: seedIds.flows.invoice,
      inputs: { InvoiceId: 'INV-7', ApiKey: 'k-123' },
      ...makerAttended,
    });
    assert.ok(first?.runId, 'the first run started');
    // The sandbox serves a flow's schema from its workflow row: the maker changes "InvoiceId" from text to a
    // number in the designer (there is no Web API call for that, so the test edits the row).
    const rows = (dev as unknown as { workflowRows: Record<string, unknown>[] }).workflowRows;
    const row = rows.find((r) => String(r.workflowid).toLowerCase() === seedIds.flows.invoice.toLowerCase());
    assert.ok(row, 'the workflow row of Invoice Processing');
    const original = row.inputs;
    try {
      row.inputs = buildSchemaText(
        flow.inputs.map((v) => (v.name === 'InvoiceId' ? { ...v, type: 'number' as const } : v)),
        true,
      );
      const hits = sent.hits;
      const again = await vscode.commands.executeCommand<RunSubject | undefined>(commandIds.runAgain, first);
      assert.equal(again, undefined, 'no run started');
      const line = await refusal(/Input `InvoiceId` is now a number; the run from .* sent/);
      note(line);
      assert.equal(sent.hits, hits, 'no RunDesktopFlow request reached the sandbox');
    } finally {
      row.inputs = original;
      // Leave nothing running for other tests.
      await api.runs.cancel(first, AbortSignal.timeout(30_000)).catch(() => undefined);
      await waitFor(
        () => api.runs.store.find(first.environment.orgUrl, first.runId)?.phase === 'finished',
        'the first run ended',
        60_000,
      );
    }
  });
});
