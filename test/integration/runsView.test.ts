import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { ExtensionApi } from '../../src/extension';
import type { RunSubject } from '../../src/core/runs/runEvents';
import { seedEnvironmentNames, seedIds } from '../../src/sandbox/seed';
import { startSandbox } from '../../src/sandbox/server';
import { commandIds } from '../../src/vscode/commandIds';
import type { RunsViewShown } from '../../src/vscode/commands/runsViewCommands';
import type { WhyWaitingResult } from '../../src/vscode/readiness/whyWaitingCommand';
import { activateExtension, makerAttended, note, waitFor } from './helpers';
import { QueuedPrompts } from './queuedPrompts';

type Sandbox = Awaited<ReturnType<typeof startSandbox>>;

/** Sandbox time runs this many times faster: Echo Text (20 s) takes 2 s, Legacy Schema Flow fails at once. */
const speed = 10;

async function start(flowId: string, inputs: Record<string, unknown> = {}): Promise<RunSubject> {
  const run = await vscode.commands.executeCommand<RunSubject>(commandIds.runFlow, {
    environment: 'Contoso Dev',
    flowId,
    inputs,
    ...makerAttended,
  });
  assert.ok(run?.runId, 'Run Desktop Flow returned the started run');
  return run;
}

function view(command: string, ...args: unknown[]): Promise<RunsViewShown> {
  return Promise.resolve(vscode.commands.executeCommand<RunsViewShown>(command, ...args));
}

function rowOf(shown: RunsViewShown, runId: string): RunsViewShown['rows'][number] | undefined {
  return shown.rows.find((r) => r.runId === runId);
}

describe('Runs view and run documents', function () {
  this.timeout(180_000);
  let api: ExtensionApi;
  let sandbox: Sandbox;
  let accountId: string;
  const settings = vscode.workspace.getConfiguration('desktopFlows');

  async function finished(run: RunSubject): Promise<void> {
    await waitFor(
      () => api.runs.store.find(run.environment.orgUrl, run.runId)?.phase === 'finished',
      `run ${run.runId} to finish`,
      60_000,
    );
  }

  before(async () => {
    api = await activateExtension();
    await api.restored;
    await settings.update('runs.pollIntervalMinSeconds', 1, vscode.ConfigurationTarget.Global);
    await settings.update('runs.pollIntervalMaxSeconds', 5, vscode.ConfigurationTarget.Global);
    await settings.update('runs.revealTranscript', 'never', vscode.ConfigurationTarget.Workspace);
    sandbox = await startSandbox({ port: 0, speed });
    accountId =
      (await vscode.commands.executeCommand<string>(commandIds.trySandbox, { url: sandbox.url })) ?? '';
    assert.ok(accountId, 'Try the Sandbox returned the signed-in account');
    await waitFor(() => api.isSignedIn(), 'signed in');
  });

  beforeEach(async () => {
    // Whatever an earlier test or window left: every test starts from the whole, unfiltered list.
    await settings.update('runs.viewPageSize', undefined, vscode.ConfigurationTarget.Workspace);
    await vscode.commands.executeCommand(commandIds.clearRunsFilter);
  });

  afterEach(async () => {
    await vscode.commands.executeCommand(commandIds.clearRunsFilter);
    await settings.update('runs.viewPageSize', undefined, vscode.ConfigurationTarget.Workspace);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  after(async () => {
    for (const key of ['runs.pollIntervalMinSeconds', 'runs.pollIntervalMaxSeconds']) {
      await settings.update(key, undefined, vscode.ConfigurationTarget.Global);
    }
    await settings.update('runs.revealTranscript', undefined, vscode.ConfigurationTarget.Workspace);
    if (accountId) {
      await vscode.commands.executeCommand(commandIds.signOut, accountId);
    }
    await sandbox?.stop();
  });

  it('lists runs newest first with status-first labels, flow, machine and who started them, and filters them', async () => {
    const echo = await start(seedIds.flows.echoText, { inputText: 'runs view', inputInteger: 1 });
    await finished(echo);
    const legacy = await start(seedIds.flows.legacySchema);
    await finished(legacy);

    const all = await view(commandIds.refreshRunsView);
    const echoRow = rowOf(all, echo.runId);
    const legacyRow = rowOf(all, legacy.runId);
    assert.ok(echoRow && legacyRow, `both runs are listed: ${all.rows.map((r) => r.label).join(' | ')}`);
    // Status first, then a relative time, then the run time (defect 4: the status survives a narrow sidebar).
    assert.match(echoRow.label, /^✓ succeeded · (just now|\d+ min ago) · \d+(\.\d+)? s$/);
    assert.match(legacyRow.label, /^✗ failed · (just now|\d+ min ago)/);
    assert.match(
      echoRow.description ?? '',
      /^Echo Text · DESKTOP-MAKER01 · \S/,
      'flow, machine, who started it',
    );
    assert.match(echoRow.tooltip ?? '', /Started by/);
    assert.match(legacyRow.tooltip ?? '', /UnsupportedRpaScriptSchemaVersion/);
    const order = all.rows.filter((r) => r.kind === 'run').map((r) => r.runId);
    assert.ok(order.indexOf(legacy.runId) < order.indexOf(echo.runId), 'newest first');
    // A failed run offers neither outputs nor compare (defect 7); both offer details.
    assert.doesNotMatch(legacyRow.contextValue ?? '', /\boutputs\b|\bcompare\b/);
    assert.match(legacyRow.contextValue ?? '', /\bdetails\b/);
    assert.equal(all.description, 'everyone');
    assert.equal(all.message, undefined);

    const failed = await view(commandIds.filterRunsByStatus, 'failed');
    assert.ok(rowOf(failed, legacy.runId), 'the failed run stays');
    assert.equal(rowOf(failed, echo.runId), undefined, 'the succeeded run is filtered out');
    assert.ok(
      failed.rows.filter((r) => r.kind === 'run').every((r) => r.label.startsWith('✗')),
      failed.rows.map((r) => r.label).join(' | '),
    );
    assert.equal(failed.description, 'everyone · failed');
    assert.match(failed.message ?? '', /^Showing failed runs\. Clear the filter/);

    const mine = await view(commandIds.showMyRuns);
    assert.ok(rowOf(mine, legacy.runId), 'a run I started is mine');
    assert.equal(mine.description, 'mine · failed');
    assert.match(mine.message ?? '', /failed runs you started/);

    const devOnly = await view(commandIds.filterRunsByEnvironment, echo.environment.orgUrl);
    assert.equal(devOnly.description, 'mine · failed · Contoso Dev');

    const cleared = await view(commandIds.clearRunsFilter);
    assert.ok(rowOf(cleared, echo.runId) && rowOf(cleared, legacy.runId));
    note(
      `rows: ${cleared.rows
        .slice(0, 3)
        .map((r) => `${r.label} — ${r.description ?? ''}`)
        .join(' | ')}`,
    );
  });

  it('filters by environments checked in a multi-select; Escape keeps the filter as it was', async () => {
    const prompts = new QueuedPrompts({ pickMany: ['Contoso Dev'] }, 'escape');
    const answering = api.prompts.answerWith(prompts);
    try {
      const devOnly = await view(commandIds.filterRunsByEnvironment);
      assert.equal(prompts.asked[0]?.title, 'Show runs of these environments');
      assert.ok(prompts.asked[0]?.items?.includes('Contoso Dev'), String(prompts.asked[0]?.items));
      assert.match(devOnly.description ?? '', /Contoso Dev$/);
      const escaped = await view(commandIds.filterRunsByEnvironment);
      assert.equal(escaped, undefined, 'Escape is a silent cancel');
      assert.equal(prompts.remaining, 0);
      const after = await view(commandIds.refreshRunsView);
      assert.equal(after.description, devOnly.description, 'the filter is kept');
    } finally {
      answering.dispose();
      await view(commandIds.clearRunsFilter);
    }
  });

  it('loads more runs a page at a time, keeping newest first', async () => {
    const run = await start(seedIds.flows.quickPing);
    await finished(run);
    await settings.update('runs.viewPageSize', 2, vscode.ConfigurationTarget.Workspace);
    const first = await view(commandIds.refreshRunsView);
    const runsShown = (s: RunsViewShown): number => s.rows.filter((r) => r.kind === 'run').length;
    assert.equal(first.rows.at(-1)?.kind, 'more', 'a "Load more…" row ends the page');
    assert.equal(first.rows.at(-1)?.label, 'Load more…');
    const more = await view(commandIds.loadMoreRuns);
    assert.ok(
      runsShown(more) > runsShown(first),
      `more rows after Load more (${runsShown(first)} → ${runsShown(more)})`,
    );
    // The seeded history of Contoso Dev (March 2025) is older than this test's run.
    const ids = more.rows.filter((r) => r.kind === 'run').map((r) => r.runId);
    assert.equal(ids[0], run.runId, 'the newest run stays on top');
    note(`${runsShown(first)} rows, then ${runsShown(more)} after Load more`);
  });

  it('opens the rendered document of a failed run with the error code, remedy and failing action; Copy as Markdown', async () => {
    const legacy = await start(seedIds.flows.legacySchema);
    await finished(legacy);
    const uri = await vscode.commands.executeCommand<string>(commandIds.showRunDetails, legacy);
    assert.ok(uri, 'Show Run Details returned the document URI');
    const tab = await waitFor(
      () =>
        vscode.window.tabGroups.all
          .flatMap((g) => g.tabs)
          .find(
            (t) => t.input instanceof vscode.TabInputWebview && t.label.includes(legacy.runId.slice(0, 8)),
          ),
      'the run document tab',
    );
    assert.match((tab.input as vscode.TabInputWebview).viewType, /desktopFlows\.runDocument/);
    assert.match(tab.label, /^Legacy Schema Flow · /);

    await vscode.env.clipboard.writeText('');
    const markdown = await vscode.commands.executeCommand<string>(commandIds.copyRunAsMarkdown, legacy);
    const clipboard = await vscode.env.clipboard.readText();
    assert.equal(clipboard, markdown, 'Copy as Markdown put the document on the clipboard');
    assert.match(clipboard, /^# Legacy Schema Flow — run /);
    assert.match(clipboard, /\| Status \| failed/);
    assert.match(clipboard, /\| Machine \| DESKTOP-MAKER01 \|/);
    // The connection by its display name (as the picker shows it); its id only among the ids.
    assert.ok(
      clipboard.includes('| Connection | CONTOSO\\\\maker (DESKTOP-MAKER01) |'),
      clipboard
        .split('\n')
        .filter((l) => l.startsWith('| Connection'))
        .join(' / '),
    );
    assert.ok(clipboard.includes(`| Connection id | ${makerAttended.connectionName} |`));
    assert.match(clipboard, /## Error\n\n\*\*UnsupportedRpaScriptSchemaVersion\*\*/);
    assert.match(clipboard, /## Error[\s\S]*\*\*[^*]+\.\*\* /, 'the remedy follows the error');
    assert.match(clipboard, /## Failing action\n\nAction 1: \*\*Start\*\*/);
    assert.match(clipboard, /## Action log\n\n\| # \| Action \|/);
    assert.match(clipboard, /\[Open the flow in Power Automate\]\(http/);
    note(clipboard.split('\n').find((l) => l.startsWith('**Unsupported')) ?? '');
  });

  it('follows a live run in its document until it ends', async () => {
    // A long run takes the maker's machine, so the Echo Text run stays queued until it is cancelled.
    const long = await start(seedIds.flows.longReport, { Month: '2025-05' });
    const echo = await start(seedIds.flows.echoText, { inputText: 'live document', inputInteger: 2 });
    const tabOf = (): vscode.Tab | undefined =>
      vscode.window.tabGroups.all
        .flatMap((g) => g.tabs)
        .find((t) => t.input instanceof vscode.TabInputWebview && t.label.includes(echo.runId.slice(0, 8)));
    try {
      await vscode.commands.executeCommand(commandIds.showRunDetails, echo);
      await waitFor(() => /· queued$/.test(tabOf()?.label ?? ''), 'the document of the queued run', 10_000);
      const early = await vscode.commands.executeCommand<string>(commandIds.copyRunAsMarkdown, echo);
      assert.match(early ?? '', /\| Status \| queued/, 'the run had not started when the document opened');
      assert.match(early ?? '', /_The run is still queued: this document follows it\._/);
    } finally {
      await vscode.commands.executeCommand(commandIds.cancelRun, long).then(undefined, () => undefined);
    }
    await Promise.all([finished(echo), finished(long)]);
    // The panel itself re-read the run when the store reported its end: its tab says so.
    const tab = await waitFor(
      () => (tabOf()?.label.endsWith('· succeeded') === true ? tabOf() : undefined),
      'the document tab to say the run succeeded',
      30_000,
    );
    const late = await vscode.commands.executeCommand<string>(commandIds.copyRunAsMarkdown, echo);
    assert.match(late ?? '', /\| Status \| succeeded/);
    assert.match(late ?? '', /## Outputs\n\n```json/);
    note(`tab: ${tab.label}`);
  });

  /** Starts a run as the signed-in maker from another client (the CLI, another window): straight through the API. */
  async function startElsewhere(flowId: string, inputs: Record<string, unknown>): Promise<string> {
    const orgUrl = sandbox.orgUrl(seedEnvironmentNames.dev);
    const res = await fetch(
      `${orgUrl}/api/data/v9.2/workflows(${flowId})/Microsoft.Dynamics.CRM.RunDesktopFlow`,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${sandbox.token(orgUrl)}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          runMode: 'attended',
          connectionName: makerAttended.connectionName,
          connectionType: 1,
          inputs: JSON.stringify(inputs),
        }),
      },
    );
    const body = (await res.json()) as { flowsessionId?: string };
    assert.equal(res.status, 200, JSON.stringify(body));
    assert.ok(body.flowsessionId, 'RunDesktopFlow answered with the run');
    return body.flowsessionId;
  }

  async function cancelElsewhere(runId: string): Promise<void> {
    const orgUrl = sandbox.orgUrl(seedEnvironmentNames.dev);
    await fetch(
      `${orgUrl}/api/data/v9.2/flowsessions(${runId})/Microsoft.Dynamics.CRM.CancelDesktopFlowRun`,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${sandbox.token(orgUrl)}`, 'content-type': 'application/json' },
        body: '{}',
      },
    );
  }

  it('keeps the row of a run started elsewhere current while the view is shown, without Refresh, and stops when hidden', async () => {
    // Every run on one page, so Load More reads nothing: it only answers with the rows as they are shown.
    await settings.update('runs.viewPageSize', 500, vscode.ConfigurationTarget.Workspace);
    const shownNow = (): Promise<RunsViewShown> => view(commandIds.loadMoreRuns);
    await vscode.commands.executeCommand('desktopFlows.runs.focus');
    // Slower sandbox time, so the run is seen running before it ends (Echo Text: 20 s at 2x = 10 s).
    sandbox.clock.setSpeed(2);
    let long: string | undefined;
    try {
      const runId = await startElsewhere(seedIds.flows.echoText, { inputText: 'elsewhere', inputInteger: 7 });
      await waitFor(
        async () => /^running/.test(rowOf(await view(commandIds.refreshRunsView), runId)?.label ?? ''),
        'the run started elsewhere, running, in the Runs view',
        30_000,
      );
      const ended = await waitFor(
        async () => {
          const row = rowOf(await shownNow(), runId);
          return /^✓ succeeded/.test(row?.label ?? '') ? row : undefined;
        },
        'its row to say it succeeded, without Refresh',
        60_000,
      );
      assert.match(ended.description ?? '', /^Echo Text · DESKTOP-MAKER01/);
      assert.equal(
        api.runs.store.find(sandbox.orgUrl(seedEnvironmentNames.dev), runId),
        undefined,
        'not a run of this window',
      );
      note(`without Refresh: ${ended.label}`);

      // Hidden: the rows of runs started elsewhere are not read any more; shown again, they are.
      long = await startElsewhere(seedIds.flows.longReport, { Month: '2025-06' });
      const listed = await view(commandIds.refreshRunsView);
      assert.match(rowOf(listed, long)?.label ?? '', /^(queued|running)/);
      const polls = sandbox.faults.add({
        method: 'GET',
        path: '/org/*/api/data/v9.2/flowsessions',
        kind: 'delay',
        delayMs: 0,
      });
      await waitFor(() => polls.hits > 0, 'a status poll of the run started elsewhere', 20_000);
      await vscode.commands.executeCommand('workbench.view.explorer');
      await new Promise((r) => setTimeout(r, 1_000));
      const hitsWhenHidden = polls.hits;
      // Longer than the longest poll interval (5 s).
      await new Promise((r) => setTimeout(r, 7_000));
      assert.equal(polls.hits, hitsWhenHidden, 'no status poll while the view is hidden');
      await vscode.commands.executeCommand('desktopFlows.runs.focus');
      await waitFor(() => polls.hits > hitsWhenHidden, 'status polls again once the view is shown', 20_000);
      sandbox.faults.remove(polls.id);
    } finally {
      sandbox.clock.setSpeed(speed);
      if (long !== undefined) {
        await cancelElsewhere(long);
      }
    }
  });

  it('shows how long a run cancelled while it was running ran, even when the service row gives no run time', async () => {
    const long = await start(seedIds.flows.longReport, { Month: '2025-03' });
    await waitFor(
      () => api.runs.store.find(long.environment.orgUrl, long.runId)?.phase === 'running',
      'the run to be seen running',
      30_000,
    );
    // It runs for a while, then is cancelled (from the portal, say); the service's row then says it ended
    // the second it started.
    await new Promise((r) => setTimeout(r, 1_500));
    const dev = sandbox.environments.get(seedEnvironmentNames.dev);
    const run = dev?.runs.get(long.runId);
    assert.ok(dev && run, 'the run is in the sandbox');
    assert.ok(sandbox.engine.cancel(dev, run), 'the sandbox cancelled the running run');
    run.row.startedon = run.row.completedon;
    await finished(long);
    const row = rowOf(await view(commandIds.refreshRunsView), long.runId);
    assert.match(
      row?.label ?? '',
      /^⊘ cancelled · just now · \d+(\.\d+)? s$/,
      `it ran for seconds, not "0 ms": ${row?.label ?? 'no row'}`,
    );
    assert.match(row?.description ?? '', /^Long Running Report · DESKTOP-MAKER01/);
    note(`${row?.label ?? ''} — ${row?.description ?? ''}`);
  });

  it('offers Why Is It Waiting? on a queued run in the Runs view, and explains the wait', async () => {
    // A long run takes the maker's machine, so the next run queues behind it.
    const long = await start(seedIds.flows.longReport, { Month: '2025-04' });
    const queued = await start(seedIds.flows.echoText, { inputText: 'waits', inputInteger: 3 });
    try {
      const shown = await waitFor(
        async () => {
          const s = await view(commandIds.refreshRunsView);
          const row = rowOf(s, queued.runId);
          const longRow = rowOf(s, long.runId);
          return /^queued/.test(row?.label ?? '') && /^running/.test(longRow?.label ?? '') ? s : undefined;
        },
        'the queued run behind the running one in the Runs view',
        30_000,
      );
      const row = rowOf(shown, queued.runId);
      assert.match(row?.contextValue ?? '', /\bwhyWaiting\b/, 'the row offers Why Is It Waiting?');
      assert.doesNotMatch(
        rowOf(shown, long.runId)?.contextValue ?? '',
        /\bwhyWaiting\b/,
        'a running run does not',
      );

      const answer = await vscode.commands.executeCommand<WhyWaitingResult>(commandIds.whyWaiting, queued);
      assert.ok(answer?.answer.reasons.length, 'the explanation gives reasons');
      note(answer.answer.reasons.join(' '));
    } finally {
      await vscode.commands.executeCommand(commandIds.cancelRun, queued).then(undefined, () => undefined);
      await vscode.commands.executeCommand(commandIds.cancelRun, long).then(undefined, () => undefined);
      // Seen to end before the suite stops its sandbox: no run of this test stays active for later tests.
      await Promise.all([finished(queued), finished(long)]);
    }
  });
});
