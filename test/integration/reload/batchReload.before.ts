// Before the reload (see index.ts): a batch of six items is running when the window reloads. Two items
// started; the third's start request reached the service but its answer is held back (a sandbox fault), so
// it is uncertain; the last three are not sent yet. What batchReload.after.ts needs is noted to a file.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { seedIds, seedNames } from '../../../src/sandbox/seed';
import { commandIds } from '../../../src/vscode/commandIds';
import { activateExtension, note, waitFor } from '../helpers';
import { reloadSandboxUrl, writeNotes } from './reloadNotes';
import { addFault, faults, runsOfFlow } from './sandboxHttp';

/** What batchReload.after.ts checks. */
export interface BatchReloadNotes {
  readonly accountId: string;
  readonly batchId: string;
  readonly journalFile: string;
  readonly folder: string;
  /** Item file names in path order. */
  readonly files: readonly string[];
  /** Run ids of the items started before the reload, by file name. */
  readonly startedBefore: Record<string, string>;
  /** The item whose start was unanswered at the reload. */
  readonly uncertain: string;
  /** Runs of Echo Text and Quick Ping the sandbox had before the batch (its seeded history). */
  readonly earlierRuns: readonly string[];
}

describe('Batch runs across a window reload', function () {
  this.timeout(120_000);

  it('before the reload: a batch is running, one start is unanswered and three items are not sent yet', async () => {
    const api = await activateExtension();
    await api.restored;
    const settings = vscode.workspace.getConfiguration('desktopFlows');
    await settings.update('runs.pollIntervalMinSeconds', 1, vscode.ConfigurationTarget.Global);
    await settings.update('runs.pollIntervalMaxSeconds', 2, vscode.ConfigurationTarget.Global);
    await settings.update('runs.notifyOnCompletion', 'never', vscode.ConfigurationTarget.Workspace);
    await settings.update('runs.revealTranscript', 'never', vscode.ConfigurationTarget.Workspace);
    const accountId =
      (await vscode.commands.executeCommand<string>(commandIds.trySandbox, { url: reloadSandboxUrl() })) ??
      '';
    assert.ok(accountId, 'Try the Sandbox returned the signed-in account');

    // Items run in path order: two Echo Text, one Quick Ping, three Echo Text.
    const workspaceFolder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(workspaceFolder);
    const folder = vscode.Uri.joinPath(workspaceFolder.uri, 'reloaded');
    const echo = (n: string): unknown => ({
      $schema: `desktopflows-schema:/${seedIds.environments.dev}/${seedIds.flows.echoText}.json`,
      inputText: `reloaded ${n}`,
      inputInteger: 1,
    });
    const items: [string, unknown][] = [
      ['a-01.json', echo('a-01')],
      ['a-02.json', echo('a-02')],
      [
        'b-ping.json',
        { $schema: `desktopflows-schema:/${seedIds.environments.dev}/${seedIds.flows.quickPing}.json` },
      ],
      ['c-01.json', echo('c-01')],
      ['c-02.json', echo('c-02')],
      ['c-03.json', echo('c-03')],
    ];
    for (const [name, content] of items) {
      await vscode.workspace.fs.writeFile(
        vscode.Uri.joinPath(folder, name),
        new TextEncoder().encode(`${JSON.stringify(content, null, 2)}\n`),
      );
    }
    const earlierRuns = [
      ...(await runsOfFlow(seedIds.flows.echoText)),
      ...(await runsOfFlow(seedIds.flows.quickPing)),
    ].map((r) => r.id);
    // Quick Ping's start creates its run at once, and its answer comes a minute later: long after the reload.
    await addFault({
      method: 'POST',
      path: `/org/*/api/data/v9.2/workflows(*${seedIds.flows.quickPing}*)/Microsoft.Dynamics.CRM.RunDesktopFlow`,
      kind: 'delay',
      delayMs: 60_000,
      count: 1,
    });

    const batchId = await vscode.commands.executeCommand<string>(commandIds.runFolderBatch, folder, {
      environment: 'Contoso Dev',
      connections: [seedNames.connections.makerMachine],
      runMode: 'unattended',
    });
    assert.ok(batchId, 'the command returned the batch id');
    const batch = api.batches.batches.get(batchId);
    assert.ok(batch);
    await waitFor(
      async () => (await faults()).some((f) => f.hits === 1),
      'the Quick Ping start sent',
      60_000,
    );
    await waitFor(
      async () =>
        (await runsOfFlow(seedIds.flows.quickPing)).filter((r) => !earlierRuns.includes(r.id)).length === 1,
      'the Quick Ping run created by the service',
      30_000,
    );
    // One lane: nothing more is sent while that answer is held back.
    assert.equal(batch.state, 'running');
    assert.equal(batch.counts?.started, 2, 'two items started');
    const startedBefore: Record<string, string> = {};
    for (const item of batch.items.values()) {
      const name = item.file.split(/[\\/]/).at(-1) ?? '';
      if (item.runId !== undefined) {
        startedBefore[name] = item.runId;
      }
    }
    assert.deepEqual(Object.keys(startedBefore).sort(), ['a-01.json', 'a-02.json']);
    note(`batch ${batch.label}: ${JSON.stringify(batch.counts)}; reloading now`);
    writeNotes<BatchReloadNotes>('batch', {
      accountId,
      batchId,
      journalFile: batch.journalFile,
      folder: folder.fsPath,
      files: items.map(([name]) => name),
      startedBefore,
      uncertain: 'b-ping.json',
      earlierRuns,
    });
  });
});
