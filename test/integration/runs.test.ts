import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { ExtensionApi } from '../../src/extension';
import type { RunSubject } from '../../src/core/runs/runEvents';
import { flowSessionStatus } from '../../src/sandbox/dataverseEntities';
import { stableGuid } from '../../src/sandbox/ids';
import { seedEnvironmentNames, seedFlowNames, seedIds, seedNames } from '../../src/sandbox/seed';
import type { Sandbox } from '../../src/sandbox/server';
import { commandIds } from '../../src/vscode/commandIds';
import type { ExplorerNode } from '../../src/vscode/tree/explorerNode';
import type { RunsController } from '../../src/vscode/runs/runsController';
import {
  activateExtension,
  child,
  label,
  makerAttended,
  markdownPreviewShown,
  note,
  signInToSandbox,
  signOutOfSandbox,
  waitFor,
  workbenchErrorsDuring,
  WorkspaceFiles,
} from './helpers';
import { QueuedPrompts } from './queuedPrompts';
import { recordEachTest, reloadRuns } from './runRecorder';

/** Sandbox time runs this many times faster: Invoice Processing (60 s) takes 6 s, Echo Text (20 s) 2 s. */
const speed = 10;
const devEnvironmentId = seedIds.environments.dev;
const secretValue = 'erp-key-7f31c0d9e2';
const secretVariable = 'DESKTOPFLOWS_TEST_RUNS_ERP_KEY';

/** The runs controller of the extension under test. */
function runsOf(api: ExtensionApi): RunsController {
  return api.runs;
}

/** The "Recent runs" rows of a flow, as the tree shows them (reloaded). */
async function recentRunRows(api: ExtensionApi, flowName: string): Promise<ExplorerNode[]> {
  const env = await child(api, undefined, 'Contoso Dev');
  const flows = await child(api, env, 'Desktop flows');
  const flow = await child(api, flows, flowName);
  const group = await child(api, flow, 'Recent runs');
  api.explorer.provider.refresh(group);
  return api.explorer.provider.getChildren(group);
}

function runIdOf(node: ExplorerNode): string | undefined {
  return (node as { subject?: RunSubject }).subject?.runId;
}

function indexOfMatch(list: readonly string[], pattern: RegExp, from = 0): number {
  return list.findIndex((t, i) => i >= from && pattern.test(t));
}

function short(runId: string): string {
  return runId.slice(0, 8);
}

/**
 * Each `it` starts the runs it asserts on and reads only what the run surfaces showed while it ran (its own
 * recorder), so it passes alone (`--grep`) and in any order, beside runs other tests or suites left.
 */
describe('Runs against the sandbox', function () {
  this.timeout(180_000);
  let api: ExtensionApi;
  let runs: RunsController;
  let sandbox: Sandbox;
  let accountId: string;
  const files = new WorkspaceFiles();
  const recorded = recordEachTest(() => runs);
  let invoiceFiles = 0;

  const settings = vscode.workspace.getConfiguration('desktopFlows');

  /** Starts Invoice Processing from a new input file (a sensitive input from an environment variable). */
  async function runInvoiceFile(): Promise<RunSubject> {
    invoiceFiles++;
    const file = await files.write(`.desktopflows/invoice-processing/runs-test-${invoiceFiles}.json`, {
      $schema: `desktopflows-schema:/${devEnvironmentId}/${seedIds.flows.invoice}.json`,
      InvoiceId: 'INV-2041',
      Amount: 1234.5,
      IsUrgent: true,
      Customer: { name: 'Fabrikam', id: 'C-7' },
      LineItems: ['paper', 'toner'],
      Ledger: [{ Line: 1, Account: '6000', Amount: 1234.5 }],
      ApiKey: `\${env:${secretVariable}}`,
    });
    const run = await vscode.commands.executeCommand<RunSubject>(
      commandIds.runInputFile,
      file,
      makerAttended,
    );
    assert.ok(run?.runId, 'Run with This Input File returned the started run');
    return run;
  }

  /** An Invoice Processing run of this test, ended successfully. */
  async function succeededInvoiceRun(): Promise<RunSubject> {
    const run = await runInvoiceFile();
    await waitFor(
      () => runs.store.find(run.environment.orgUrl, run.runId)?.status === 'succeeded',
      'the invoice run succeeded',
      60_000,
    );
    await runs.idle();
    return run;
  }

  before(async () => {
    api = await activateExtension();
    await api.restored;
    runs = runsOf(api);
    process.env[secretVariable] = secretValue;
    await settings.update('runs.pollIntervalMinSeconds', 1, vscode.ConfigurationTarget.Global);
    await settings.update('runs.pollIntervalMaxSeconds', 5, vscode.ConfigurationTarget.Global);
    await settings.update('runs.notifyOnCompletion', 'all', vscode.ConfigurationTarget.Workspace);
    await settings.update('runs.revealTranscript', 'never', vscode.ConfigurationTarget.Workspace);
    ({ sandbox, accountId } = await signInToSandbox(api, { speed }));
  });

  afterEach(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  after(async () => {
    delete process.env[secretVariable];
    await files.deleteAll();
    for (const key of ['runs.pollIntervalMinSeconds', 'runs.pollIntervalMaxSeconds']) {
      await settings.update(key, undefined, vscode.ConfigurationTarget.Global);
    }
    for (const key of ['runs.notifyOnCompletion', 'runs.revealTranscript']) {
      await settings.update(key, undefined, vscode.ConfigurationTarget.Workspace);
    }
    await signOutOfSandbox(accountId, sandbox);
  });

  it('runs an input file: status bar through queued, running and succeeded; transcript masked; cancel of a long run', async () => {
    // A long run takes the machine first, so the input file's run has to queue behind it.
    const longRun = await vscode.commands.executeCommand<RunSubject>(commandIds.runFlow, {
      environment: 'Contoso Dev',
      flowId: seedIds.flows.longReport,
      inputs: { Month: '2025-02' },
      ...makerAttended,
    });
    assert.ok(longRun?.runId, 'Run Desktop Flow returned the started run');
    await waitFor(
      () => /Long Running Report: Running \d+:\d\d/.test(runs.statusBar.text),
      'the long run running in the status bar',
      30_000,
    );

    const invoiceRun = await runInvoiceFile();
    await waitFor(
      () => /2 desktop flow runs: .*1 queued/.test(runs.statusBar.text),
      'both runs in the status bar, the input file run queued',
      30_000,
    );
    assert.match(
      runs.statusBar.tooltipMarkdown,
      /command:desktopFlows\.run\.cancel/,
      'the tooltip links Cancel',
    );
    assertHoverSurvivesTicks(runs.statusBar.shownTooltip);

    await vscode.commands.executeCommand(commandIds.cancelRun, longRun);
    await waitFor(
      () => runs.store.find(longRun.environment.orgUrl, longRun.runId)?.status === 'cancelled',
      'the long run cancelled',
      30_000,
    );
    await waitFor(
      () => /\$\(pass\) Invoice Processing: Succeeded/.test(runs.statusBar.text),
      'the invoice run succeeded',
      60_000,
    );
    await runs.idle();

    const texts = recorded().statusTexts;
    note(
      `status bar: ${texts.filter((t, i) => i === 0 || t.replace(/\d/g, '') !== (texts[i - 1] ?? '').replace(/\d/g, '')).join(' → ')}`,
    );
    const queued = indexOfMatch(texts, /1 queued/);
    const running = indexOfMatch(texts, /\$\(sync~spin\) Invoice Processing: Running \d+:\d\d/, queued);
    const succeeded = indexOfMatch(texts, /\$\(pass\) Invoice Processing: Succeeded/, running);
    assert.ok(queued >= 0 && running > queued && succeeded > running, 'queued, then running, then succeeded');

    // The tooltip now lists finished runs too, with Open Outputs, Details, Run Again and Create Test.
    assertHoverSurvivesTicks(runs.statusBar.shownTooltip);

    // Cancelling a run that already ended is refused in words.
    await assert.rejects(runs.cancel(longRun, AbortSignal.timeout(30_000)), /already ended \(cancelled\)/);

    const transcript = recorded().transcript.join('\n');
    assert.match(
      transcript,
      /Started "Invoice Processing" run [0-9a-f]{8} \(attended, priority normal, connection "CONTOSO\\maker \(DESKTOP-MAKER01\)"/,
    );
    assert.match(
      transcript,
      new RegExp(`Inputs: \\{"InvoiceId":"INV-2041",.*"ApiKey":"(\\*{8}|\\$\\{env:${secretVariable}\\})"\\}`),
      'inputs shown; the sensitive one as its reference or masked',
    );
    assert.match(
      transcript,
      /"Invoice Processing" run [0-9a-f]{8} running on DESKTOP-MAKER01 after .* in the queue/,
    );
    assert.match(transcript, /"Long Running Report" run [0-9a-f]{8} cancelled/);
    assert.match(
      transcript,
      /"Invoice Processing" run [0-9a-f]{8} succeeded on DESKTOP-MAKER01 \(ran .*queued/,
    );
    assert.match(
      transcript,
      /Outputs: \{.*"Status":"Processed".*"Receipt":"\*\*\*\*\*\*\*\*"/,
      'outputs shown, the sensitive one masked',
    );
    assert.ok(!transcript.includes(secretValue), 'the resolved secret never appears');
    assert.ok(!transcript.includes('RCPT-0001'), 'the sensitive output never appears');
    note(
      `transcript: ${recorded().transcript.length} lines, e.g. ${transcript.split('\n').find((l) => l.includes('succeeded')) ?? ''}`,
    );

    const finishes = recorded().notificationsOf(invoiceRun.runId);
    assert.equal(finishes.length, 1, 'one completion notification');
    assert.match(finishes[0]?.message ?? '', /"Invoice Processing" succeeded on DESKTOP-MAKER01/);
    assert.ok(
      recorded()
        .notificationsOf(longRun.runId)
        .some((n) => /was cancelled/.test(n.message)),
    );
  });

  it('opens the outputs and the details as read-only documents', async () => {
    const invoiceRun = await succeededInvoiceRun();
    const outputsUri = await vscode.commands.executeCommand<string>(commandIds.openRunOutputs, invoiceRun);
    assert.ok(outputsUri, 'Open Run Outputs returned the document URI');
    const outputs = await vscode.workspace.openTextDocument(vscode.Uri.parse(outputsUri));
    assert.equal(outputs.uri.scheme, 'desktopflows-run');
    assert.equal(outputs.languageId, 'json');
    const values = JSON.parse(outputs.getText()) as Record<string, unknown>;
    assert.equal(values.Status, 'Processed');
    assert.equal(values.Total, 1234.5);
    assert.deepEqual(values.Summary, { name: 'Fabrikam', id: 'C-7' });
    assert.equal(values.Receipt, '********', 'the sensitive output is masked');

    const detailsUri = await vscode.commands.executeCommand<string>(commandIds.showRunDetails, invoiceRun);
    assert.ok(detailsUri);
    const details = await vscode.workspace.openTextDocument(vscode.Uri.parse(detailsUri));
    const text = details.getText();
    assert.match(text, new RegExp(`^# Invoice Processing — run ${short(invoiceRun.runId)}`));
    assert.match(text, /\| Status \| succeeded/);
    assert.match(text, /\| Machine \| DESKTOP-MAKER01 \|/);
    assert.match(text, /## Inputs[\s\S]*"InvoiceId": "INV-2041"/);
    assert.ok(!text.includes(secretValue), 'the sensitive input is masked in the details');
    assert.match(text, /\[Open the flow in Power Automate\]\(http/);

    // Open Preview on the details: the preview watches its document through the file system, which the run
    // documents' scheme has, so the workbench logs no error and the preview shows the run.
    const previewTitle = `${short(invoiceRun.runId)} · details.md`;
    const errors = await workbenchErrorsDuring(api, async () => {
      await vscode.window.showTextDocument(details, { preview: true });
      await vscode.commands.executeCommand('markdown.showPreview', details.uri);
      await waitFor(
        () => markdownPreviewShown(previewTitle),
        'the rendered Markdown preview of the details',
        20_000,
      );
    });
    assert.deepEqual(errors, [], 'the workbench logged no error while previewing the details');
    const previewed = await vscode.workspace.openTextDocument(details.uri);
    assert.match(previewed.getText(), new RegExp(`^# Invoice Processing — run ${short(invoiceRun.runId)}`));
    assert.match(previewed.getText(), /\| Status \| succeeded/);
    note(`documents: ${outputs.uri.path} and ${details.uri.path}, previewed as "${previewTitle}"`);
  });

  it('refreshes an open details document when its run changes state', async () => {
    const longRun = await vscode.commands.executeCommand<RunSubject>(commandIds.runFlow, {
      environment: 'Contoso Dev',
      flowId: seedIds.flows.longReport,
      inputs: { Month: '2025-06' },
      ...makerAttended,
    });
    assert.ok(longRun?.runId, 'the long run started');
    let details: vscode.TextDocument | undefined;
    try {
      const detailsUri = await vscode.commands.executeCommand<string>(commandIds.showRunDetails, longRun);
      assert.ok(detailsUri);
      details = await vscode.workspace.openTextDocument(vscode.Uri.parse(detailsUri));
      await vscode.window.showTextDocument(details, { preview: false });
      assert.match(details.getText(), /\| Status \| (queued|running)/, 'the document shows the live run');
    } finally {
      await vscode.commands.executeCommand(commandIds.cancelRun, longRun);
    }
    await waitFor(
      () => runs.store.find(longRun.environment.orgUrl, longRun.runId)?.status === 'cancelled',
      'the long run cancelled',
      30_000,
    );
    // The open document (the same one the editor shows) is read again: its text says the run was cancelled.
    const open = details;
    await waitFor(
      () => /\| Status \| cancelled/.test(open.getText()),
      () =>
        `the open details document to say the run was cancelled; it says:\n${open.getText().slice(0, 400)}`,
      30_000,
    );
    assert.ok(!open.isClosed, 'the document stayed open');
    assert.match(open.getText(), new RegExp(`^# Long Running Report — run ${short(longRun.runId)}`));
    note(`refreshed: ${open.uri.path}`);
  });

  it('lists runs under their flows in "Recent runs", with status and machine, a page at a time', async () => {
    const longRun = await vscode.commands.executeCommand<RunSubject>(commandIds.runFlow, {
      environment: 'Contoso Dev',
      flowId: seedIds.flows.longReport,
      inputs: { Month: '2025-03' },
      ...makerAttended,
    });
    assert.ok(longRun?.runId, 'the long run started');
    await vscode.commands.executeCommand(commandIds.cancelRun, longRun);
    await waitFor(
      () => runs.store.find(longRun.environment.orgUrl, longRun.runId)?.status === 'cancelled',
      'the long run cancelled',
      30_000,
    );
    const invoiceRun = await succeededInvoiceRun();
    const invoiceRows = await recentRunRows(api, seedFlowNames.invoice);
    const row = invoiceRows.find((r) => runIdOf(r) === invoiceRun?.runId);
    assert.ok(row, `the invoice run is listed; rows: ${invoiceRows.map(label).join(', ')}`);
    const item = row.getTreeItem();
    assert.match(String(item.contextValue), /^run succeeded\b.*\boutputs\b/);
    assert.match(
      label(row),
      /^✓ Succeeded · (just now|\d+ min ago) · \d/i,
      'status first, relative time, run time',
    );
    assert.match(String(item.description), /^DESKTOP-MAKER01 · /);
    assert.ok(invoiceRows.length >= 4, 'the seeded history is listed too');

    const longRows = await recentRunRows(api, seedFlowNames.longReport);
    const cancelled = longRows.find(
      (r) => /^run cancelled\b/.test(String(r.getTreeItem().contextValue)) && runIdOf(r) === longRun.runId,
    );
    assert.ok(
      cancelled,
      `the cancelled run is listed; rows: ${longRows.map((r) => `${label(r)} ${String(r.getTreeItem().description)}`).join(', ')}`,
    );

    // Paged: a flow with more runs than a page (10) shows "Load more…", which appends the older runs.
    const dev = sandbox.environments.get(seedEnvironmentNames.dev);
    assert.ok(dev);
    for (let day = 1; day <= 12; day++) {
      const id = stableGuid(`run:runs-test-paging-${day}`);
      if (!dev.runs.has(id)) {
        const at = `2025-04-${String(day).padStart(2, '0')}T08:00:00Z`;
        sandbox.engine.restore(dev, {
          id,
          flowId: seedIds.flows.nightlyBatch,
          connectionName: seedNames.connections.makerMachine,
          runMode: 'unattended',
          statuscode: flowSessionStatus.Succeeded,
          createdon: at,
          startedon: at,
          completedon: at.replace('08:00', '08:05'),
          outputs: {},
        });
      }
    }
    const total = [...dev.runs.values()].filter(
      (r) => r.flow.id.toLowerCase() === seedIds.flows.nightlyBatch.toLowerCase(),
    ).length;
    const env = await child(api, undefined, 'Contoso Dev');
    const flow = await child(api, await child(api, env, 'Desktop flows'), seedFlowNames.nightlyBatch);
    api.explorer.provider.refresh(flow);
    const group = (await child(api, flow, 'Recent runs')) as ExplorerNode & {
      loadMore(signal: AbortSignal): Promise<void>;
    };
    api.explorer.provider.refresh(group);
    const firstPage = await api.explorer.provider.getChildren(group);
    assert.equal(firstPage.filter((r) => runIdOf(r) !== undefined).length, 10, 'a page of ten runs');
    assert.equal(label(firstPage.at(-1) as ExplorerNode), 'Load more…');
    assert.equal(firstPage.at(-1)?.getTreeItem().command?.command, 'desktopFlows.explorer.loadMore');
    await group.loadMore(AbortSignal.timeout(30_000));
    const twoPages = await api.explorer.provider.getChildren(group);
    const ids = twoPages.map(runIdOf).filter((id) => id !== undefined);
    assert.equal(ids.length, Math.min(total, 20), `the second page is appended (${total} runs in all)`);
    assert.deepEqual(
      ids.slice(0, 10),
      firstPage.map(runIdOf).filter((id) => id !== undefined),
      'pages follow each other, newest first',
    );
    assert.ok(
      ids.includes(stableGuid('run:runs-test-paging-1')) || total > 20,
      'the oldest run is on the second page',
    );
    note(
      `Recent runs of ${seedFlowNames.invoice}: ${invoiceRows.length} rows; first: ${label(invoiceRows[0] as ExplorerNode)} ${String(invoiceRows[0]?.getTreeItem().description)}`,
    );
  });

  it('runs again with the same inputs and options, resumes watching after a restart mid-run, and reports the finish once', async () => {
    const invoiceRun = await succeededInvoiceRun();
    const again = await vscode.commands.executeCommand<RunSubject>(commandIds.runAgain, invoiceRun);
    assert.ok(
      again?.runId && again.runId !== invoiceRun.runId,
      'Run Again started a new run without asking anything',
    );
    await waitFor(
      () => runs.store.find(again.environment.orgUrl, again.runId)?.phase === 'running',
      'the new run running',
      30_000,
    );

    // What a window reload does: the service stops, and a new one resumes from the journal in globalState.
    await runs.stop();
    const saved = runs.journal.key;
    assert.match(
      JSON.stringify(await runs.journal.load(AbortSignal.timeout(5_000))),
      new RegExp(again.runId),
      `the run is journaled under ${saved}`,
    );
    assert.doesNotMatch(runs.statusBar.text, /Running/, 'nothing is watched while stopped');
    const resumed = await runs.start();
    // Runs other tests left in the journal may be resumed too; this one must be among them.
    assert.ok(
      resumed.some((r) => r.runId === again.runId),
      'the journaled run is resumed',
    );
    await waitFor(
      () => runs.store.find(again.environment.orgUrl, again.runId)?.status === 'succeeded',
      'the resumed run succeeded',
      60_000,
    );
    await runs.idle();
    assert.equal(recorded().notificationsOf(again.runId).length, 1, 'its finish is reported once');
    assert.equal(
      recorded().transcript.filter((l) => l.includes(`run ${short(again.runId)} succeeded`)).length,
      1,
    );
    const inputsLines = recorded().transcript.filter((l) => /^\s+Inputs: /.test(l));
    assert.equal(inputsLines.length, 2, 'the first run and the run again');
    assert.equal(inputsLines.at(-1), inputsLines.at(-2), 'the same inputs were sent again');
    // Other suites' runs may still be journaled; this one is gone once it finished.
    assert.doesNotMatch(
      JSON.stringify((await runs.journal.load(AbortSignal.timeout(5_000))) ?? {}),
      new RegExp(again.runId),
      'the run left the journal once it finished',
    );

    // A run that ends while nothing watches is reported once, when watching resumes.
    const echo = await vscode.commands.executeCommand<RunSubject>(commandIds.runFlow, {
      environment: devEnvironmentId,
      flowName: seedFlowNames.echoText,
      inputs: { inputText: 'while away', inputInteger: 7 },
      ...makerAttended,
    });
    assert.ok(echo?.runId);
    await runs.stop();
    const account = api.accounts.get(accountId);
    assert.ok(account);
    await waitFor(
      async () =>
        (
          await account.session.runs.getFlowSession(
            echo.environment.orgUrl,
            echo.runId,
            AbortSignal.timeout(10_000),
          )
        ).status === 'succeeded',
      'the echo run to end on the service',
      30_000,
      250,
    );
    await runs.start();
    await waitFor(
      () => recorded().notificationsOf(echo.runId).length > 0,
      'the run that ended meanwhile is reported',
      30_000,
    );
    await runs.idle();
    const reports = recorded().notificationsOf(echo.runId);
    assert.equal(reports.length, 1);
    assert.match(reports[0]?.message ?? '', /ended while it was not being watched/);
    assert.ok(
      recorded().transcript.some(
        (l) =>
          l.includes(`run ${short(echo.runId)} succeeded`) && l.includes('while it was not being watched'),
      ),
    );

    // A second restart finds neither run to resume (other suites' runs may be) and reports nothing again.
    const resumedAgain = (await reloadRuns(runs)).map((r) => r.runId);
    assert.ok(!resumedAgain.includes(echo.runId) && !resumedAgain.includes(again.runId));
    await runs.idle();
    assert.equal(recorded().notificationsOf(echo.runId).length, 1);
  });

  it('Run Desktop Flow… on a flow node asks for the inputs, then offers the options used last time', async () => {
    // "Last time": a run of Echo Text with known options (attended, on the maker's machine).
    const earlier = await vscode.commands.executeCommand<RunSubject>(commandIds.runFlow, {
      environment: devEnvironmentId,
      flowId: seedIds.flows.echoText,
      inputs: { inputText: 'earlier', inputInteger: 1 },
      ...makerAttended,
    });
    assert.ok(earlier?.runId, 'the earlier run started');
    const env = await child(api, undefined, 'Contoso Dev');
    const flow = await child(api, await child(api, env, 'Desktop flows'), seedFlowNames.echoText);
    // The first item of each question, answered through the prompt helper: "No inputs", then "Same options
    // as last time" (and, when the machine is busy, "Send: it will wait").
    const first = { pick: (items: readonly vscode.QuickPickItem[]) => items[0] };
    const prompts = new QueuedPrompts(first, first, first);
    const answering = api.prompts.answerWith(prompts);
    let run: RunSubject | undefined;
    try {
      run = await vscode.commands.executeCommand<RunSubject | undefined>(commandIds.runFlow, flow);
    } finally {
      answering.dispose();
    }
    assert.ok(run?.runId, `the run started after two answers; asked: ${JSON.stringify(prompts.asked)}`);
    assert.match(prompts.asked[0]?.title ?? '', /inputs/, 'the inputs were asked for first');
    assert.ok(
      prompts.asked[1]?.items?.[0]?.startsWith('$(history) Same options as last time'),
      `then the options, the remembered ones first: ${JSON.stringify(prompts.asked[1])}`,
    );
    assert.equal(run.flowId.toLowerCase(), seedIds.flows.echoText.toLowerCase());
    await waitFor(
      () => runs.store.find(run.environment.orgUrl, run.runId)?.phase === 'finished',
      'the echo run ended',
      60_000,
    );
    await runs.idle();
    const transcript = recorded().transcript.join('\n');
    assert.match(
      transcript,
      new RegExp(
        `Started "Echo Text" run ${short(run.runId)} \\(attended, priority normal, connection "CONTOSO`,
      ),
      'the remembered options were used',
    );
    note(
      `started after ${prompts.asked.length} answer(s); ended ${runs.store.find(run.environment.orgUrl, run.runId)?.status ?? '?'}`,
    );
  });

  it('says when and why a start waits for the rate limit, and warns about a licence check', async () => {
    const dev = sandbox.environments.get(seedEnvironmentNames.dev);
    assert.ok(dev);
    // One start per (sandbox) minute per connection: the second start gets a 429 and waits, visibly.
    sandbox.settings.runsPerMinutePerConnection = 1;
    dev.seed.licenseCheck = 'UnattendedNoAddon';
    try {
      const unattendedBots = {
        ...makerAttended,
        connectionName: seedNames.connections.financeBots,
        runMode: 'unattended',
      } as const;
      const ping = {
        environment: devEnvironmentId,
        flowId: seedIds.flows.quickPing,
        noInputs: true,
        ...unattendedBots,
      };
      const first = await vscode.commands.executeCommand<RunSubject>(commandIds.runFlow, ping);
      const second = await vscode.commands.executeCommand<RunSubject>(commandIds.runFlow, ping);
      assert.ok(
        first?.runId && second?.runId && first.runId !== second.runId,
        'both runs started, one after the other',
      );
      await waitFor(
        () =>
          [first, second].every(
            (r) => runs.store.find(r.environment.orgUrl, r.runId)?.status === 'succeeded',
          ),
        'both pings succeeded',
        60_000,
      );
      await runs.idle();
    } finally {
      sandbox.settings.runsPerMinutePerConnection = 70;
      delete dev.seed.licenseCheck;
    }
    const texts = recorded().statusTexts;
    assert.ok(
      // Alone it reads "Quick Ping: Waiting (rate limit)"; beside runs other tests left, the aggregate counts it.
      texts.some((t) => /^\$\(clock\) Quick Ping: Waiting \(rate limit\)|\b\d+ waiting\b/.test(t)),
      `the status bar said the start waits; it showed: ${texts.join(' → ')}`,
    );
    const transcript = recorded().transcript.join('\n');
    assert.match(transcript, /"Quick Ping" waits until .*: the service asked to slow down \(429\)/);
    assert.match(transcript, /Licence warning for "Quick Ping" run [0-9a-f]{8}: UnattendedNoAddon/);
    const warnings = recorded().notifications.filter(
      (n) => n.severity === 'warning' && /Licence check for "Quick Ping": UnattendedNoAddon/.test(n.message),
    );
    assert.equal(warnings.length, 2, 'each start warns once');
    note(`rate limit: ${transcript.split('\n').find((l) => l.includes('waits until')) ?? ''}`);
  });

  it('compares the outputs of two runs and saves outputs as an input file where names match', async () => {
    const first = await vscode.commands.executeCommand<RunSubject>(commandIds.runFlow, {
      environment: devEnvironmentId,
      flowId: seedIds.flows.echoAllTypes,
      inputs: {
        Text: 'one',
        Number: 1,
        Flag: true,
        Customer: { id: 1 },
        Items: ['a'],
        Table: [{ A: 1 }],
        Secret: 'hidden-value-1',
      },
      ...makerAttended,
    });
    assert.ok(first?.runId);
    await waitFor(
      () => runs.store.find(first.environment.orgUrl, first.runId)?.status === 'succeeded',
      'the first echo run',
      60_000,
    );
    const second = await vscode.commands.executeCommand<RunSubject>(commandIds.runFlow, {
      environment: devEnvironmentId,
      flowId: seedIds.flows.echoAllTypes,
      inputs: {
        Text: 'two',
        Number: 2,
        Flag: false,
        Customer: { id: 1 },
        Items: ['a'],
        Table: [{ A: 1 }],
        Secret: 'hidden-value-2',
      },
      ...makerAttended,
    });
    assert.ok(second?.runId);
    await waitFor(
      () => runs.store.find(second.environment.orgUrl, second.runId)?.status === 'succeeded',
      'the second echo run',
      60_000,
    );

    const [left, right] =
      (await vscode.commands.executeCommand<string[]>(commandIds.compareRunOutputs, second, first)) ?? [];
    assert.ok(left && right, 'Compare Run Outputs returned both documents');
    const before = JSON.parse(
      (await vscode.workspace.openTextDocument(vscode.Uri.parse(left))).getText(),
    ) as Record<string, unknown>;
    const after = JSON.parse(
      (await vscode.workspace.openTextDocument(vscode.Uri.parse(right))).getText(),
    ) as Record<string, unknown>;
    assert.equal(before.Text, 'one', 'the older run on the left');
    assert.equal(after.Text, 'two');
    assert.equal(before.Secret, '********');
    const tab = vscode.window.tabGroups.activeTabGroup.activeTab;
    assert.ok(tab?.input instanceof vscode.TabInputTextDiff, 'a diff editor is open');

    const target = vscode.Uri.joinPath(files.folder, '.desktopflows', 'echo-all-types', 'from-run.json');
    files.created.push(target);
    const saved = await vscode.commands.executeCommand<string>(commandIds.saveOutputsAsInputFile, second, {
      file: target.fsPath,
    });
    assert.equal(vscode.Uri.parse(saved ?? '').fsPath, target.fsPath);
    const file = JSON.parse(new TextDecoder().decode(await vscode.workspace.fs.readFile(target))) as Record<
      string,
      unknown
    >;
    assert.equal(file.$schema, `desktopflows-schema:/${devEnvironmentId}/${seedIds.flows.echoAllTypes}.json`);
    assert.equal(file.Text, 'two');
    assert.equal(file.Number, 2);
    assert.deepEqual(file.Table, [{ A: 1 }]);
    assert.notEqual(file.Secret, 'hidden-value-2', 'a sensitive output is never copied into a file');
    note(`saved input file: ${JSON.stringify(file)}`);
  });
});

/**
 * The status bar sends its whole item, tooltip included, to the workbench on every update: each tick of the
 * clock. An open hover stays open only when the tooltip received compares equal to the one before by VS Code's
 * `markdownStringEqual` (1.100): the same `value` and `supportThemeIcons`, and `isTrusted` by identity, which an
 * `enabledCommands` list never passes once copied across the process boundary (the hover closed and reopened
 * every second, and its links could not be clicked). Every command link must also be one the trust allows.
 */
function assertHoverSurvivesTicks(tooltip: vscode.MarkdownString | undefined): void {
  assert.ok(tooltip !== undefined, 'the status bar has a Markdown tooltip');
  const sent = (): { value: string; isTrusted: unknown; supportThemeIcons: unknown } =>
    JSON.parse(
      JSON.stringify({
        value: tooltip.value,
        isTrusted: tooltip.isTrusted,
        supportThemeIcons: tooltip.supportThemeIcons,
      }),
    ) as { value: string; isTrusted: unknown; supportThemeIcons: unknown };
  const before = sent();
  const after = sent();
  assert.ok(
    before.value === after.value &&
      before.isTrusted === after.isTrusted &&
      before.supportThemeIcons === after.supportThemeIcons,
    `the tooltip sent with the next tick compares equal, so an open hover stays open (isTrusted: ${JSON.stringify(tooltip.isTrusted)})`,
  );
  const trust = tooltip.isTrusted;
  const linked = [...tooltip.value.matchAll(/\(command:([\w.]+)/g)].map((m) => m[1] ?? '');
  assert.ok(linked.length > 0, 'the tooltip has command links');
  for (const id of linked) {
    assert.ok(
      trust === true || (typeof trust === 'object' && trust.enabledCommands.includes(id)),
      `the tooltip's link to ${id} can run`,
    );
  }
}
