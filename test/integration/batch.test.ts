import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { ExtensionApi } from '../../src/extension';
import { seedEnvironmentNames, seedIds, seedNames } from '../../src/sandbox/seed';
import { startSandbox } from '../../src/sandbox/server';
import { commandIds } from '../../src/vscode/commandIds';
import type { ExplorerNode } from '../../src/vscode/tree/explorerNode';
import { activateExtension, child, label, note, waitFor } from './helpers';

type Sandbox = Awaited<ReturnType<typeof startSandbox>>;

/** Sandbox time runs this many times faster: Echo Text (20 s) takes 1 s. */
const speed = 20;
const devEnvironmentId = seedIds.environments.dev;

describe('Batch runs against the sandbox', function () {
  this.timeout(180_000);
  let api: ExtensionApi;
  let sandbox: Sandbox;
  let accountId: string;
  let root: vscode.Uri;
  const settings = vscode.workspace.getConfiguration('desktopFlows');

  function sandboxRunCount(): number {
    return sandbox.environments.get(seedEnvironmentNames.dev)?.runs.size ?? 0;
  }

  async function writeJson(uri: vscode.Uri, content: unknown): Promise<void> {
    await vscode.workspace.fs.writeFile(
      uri,
      new TextEncoder().encode(`${JSON.stringify(content, null, 2)}\n`),
    );
  }

  /** A folder of `count` Echo Text input files (and, when asked, one invalid file). */
  async function inputFolder(name: string, count: number, invalid = false): Promise<vscode.Uri> {
    const folder = vscode.Uri.joinPath(root, name);
    for (let i = 1; i <= count; i++) {
      await writeJson(vscode.Uri.joinPath(folder, `item-${String(i).padStart(2, '0')}.json`), {
        $schema: `desktopflows-schema:/${devEnvironmentId}/${seedIds.flows.echoText}.json`,
        inputText: `batch item ${i}`,
        inputInteger: i,
      });
    }
    if (invalid) {
      await writeJson(vscode.Uri.joinPath(folder, 'broken.json'), {
        $schema: `desktopflows-schema:/${devEnvironmentId}/${seedIds.flows.echoText}.json`,
        inputText: 42,
        inputInteger: 'not a number',
      });
    }
    return folder;
  }

  /** The batch rows under Echo Text, as the tree shows them. */
  async function batchRows(): Promise<ExplorerNode[]> {
    const env = await child(api, undefined, 'Contoso Dev');
    const flows = await child(api, env, 'Desktop flows');
    const flow = await child(api, flows, 'Echo Text');
    api.explorer.provider.refresh(flow);
    const rows = await api.explorer.provider.getChildren(flow);
    return rows.filter((r) => (r.getTreeItem().contextValue ?? '').split(' ').includes('batch'));
  }

  before(async () => {
    api = await activateExtension();
    await api.restored;
    const workspaceFolder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(workspaceFolder, 'the integration host opens a workspace folder');
    root = vscode.Uri.joinPath(workspaceFolder.uri, `batch-it-${Date.now()}`);
    await settings.update('runs.pollIntervalMinSeconds', 1, vscode.ConfigurationTarget.Global);
    await settings.update('runs.pollIntervalMaxSeconds', 2, vscode.ConfigurationTarget.Global);
    await settings.update('runs.notifyOnCompletion', 'never', vscode.ConfigurationTarget.Workspace);
    await settings.update('runs.revealTranscript', 'never', vscode.ConfigurationTarget.Workspace);
    sandbox = await startSandbox({ port: 0, speed });
    accountId =
      (await vscode.commands.executeCommand<string>(commandIds.trySandbox, { url: sandbox.url })) ?? '';
    assert.ok(accountId, 'Try the Sandbox returned the signed-in account');
    await waitFor(() => api.isSignedIn(), 'signed in');
  });

  after(async () => {
    for (const b of api.batches.batches.values()) {
      b.abort.abort();
    }
    await api.batches.idle();
    await vscode.workspace.fs
      .delete(root, { recursive: true, useTrash: false })
      .then(undefined, () => undefined);
    for (const key of ['runs.pollIntervalMinSeconds', 'runs.pollIntervalMaxSeconds']) {
      await settings.update(key, undefined, vscode.ConfigurationTarget.Global);
    }
    for (const key of ['runs.notifyOnCompletion', 'runs.revealTranscript']) {
      await settings.update(key, undefined, vscode.ConfigurationTarget.Workspace);
    }
    if (accountId) {
      await vscode.commands.executeCommand(commandIds.signOut, accountId);
    }
    await sandbox?.stop();
  });

  it('Batch: runs every input file of a folder over two connections, with live counts in the view and the status bar', async () => {
    const folder = await inputFolder('invoices', 4);
    const before = sandboxRunCount();
    const id = await vscode.commands.executeCommand<string>(commandIds.runFolderBatch, folder, {
      environment: 'Contoso Dev',
      connections: [seedNames.connections.makerMachine, seedNames.connections.financeBots],
      runMode: 'unattended',
    });
    assert.ok(id, 'the command returned the batch id');
    const batch = api.batches.batches.get(id);
    assert.ok(batch, 'the batch is known to the window');
    const row = await waitFor(
      async () => (await batchRows()).find((r) => label(r) === 'Batch invoices'),
      'the batch row under Echo Text',
      30_000,
    );
    note(`batch row while running: ${String(row.getTreeItem().description)}`);
    await waitFor(() => batch.state === 'done', 'the batch done', 90_000);
    await waitFor(
      async () =>
        (await batchRows()).find(
          (r) => label(r) === 'Batch invoices' && r.getTreeItem().description === '4/4, done',
        ),
      'the batch row counting 4/4 done',
      10_000,
    );
    await waitFor(
      () => api.batchStatus.text.endsWith('Batch 4/4, done'),
      `the status bar (${api.batchStatus.text})`,
      10_000,
    );
    assert.equal(sandboxRunCount() - before, 4, 'exactly one run per input file');
    const items = [...batch.items.values()];
    assert.deepEqual(
      items.map((i) => i.status),
      ['succeeded', 'succeeded', 'succeeded', 'succeeded'],
    );
    const connections = new Set(items.map((i) => i.connection));
    assert.equal(connections.size, 2, 'the items were spread over both connections');
    // This test's own row: batches other tests started under Echo Text may be listed first.
    const own = (await batchRows()).find((r) => label(r) === 'Batch invoices');
    assert.ok(own, 'the batch row of this test');
    const rows = await api.explorer.provider.getChildren(own);
    assert.deepEqual(rows.map(label), ['item-01.json', 'item-02.json', 'item-03.json', 'item-04.json']);
    assert.equal(
      rows[0]?.getTreeItem().command?.command,
      commandIds.showRunDetails,
      'an item row opens its run',
    );
    const report = await vscode.commands.executeCommand<string>(commandIds.openBatchReport, id);
    assert.ok(report);
    const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(vscode.Uri.parse(report)));
    assert.match(text, /"succeeded"/);
    note(`status bar: ${api.batchStatus.text}`);
  });

  it('Batch: an invalid input file sends nothing and shows every problem', async () => {
    const folder = await inputFolder('with-invalid', 2, true);
    const before = sandboxRunCount();
    const id = await vscode.commands.executeCommand<string>(commandIds.runFolderBatch, folder, {
      environment: 'Contoso Dev',
      connections: [seedNames.connections.makerMachine],
      runMode: 'unattended',
    });
    assert.ok(id);
    await api.batches.idle();
    assert.equal(api.batches.batches.has(id), false, 'no batch row for a batch that sent nothing');
    assert.equal(sandboxRunCount(), before, 'no RunDesktopFlow reached the sandbox');
    const diagnostics = api.batches.problems.get(vscode.Uri.joinPath(folder, 'broken.json')) ?? [];
    assert.ok(
      diagnostics.length >= 2,
      `both problems of broken.json are listed (${diagnostics.map((d) => d.message).join(' | ')})`,
    );
    note(
      `problems: ${diagnostics.map((d) => `${d.range.start.line + 1}:${d.range.start.character + 1} ${d.message}`).join(' | ')}`,
    );
  });

  it('Batch: resumes an interrupted batch from its journal, starting each item exactly once', async () => {
    const folder = await inputFolder('resumed', 6);
    const before = sandboxRunCount();
    const id = await vscode.commands.executeCommand<string>(commandIds.runFolderBatch, folder, {
      environment: 'Contoso Dev',
      connections: [seedNames.connections.makerMachine],
      runMode: 'unattended',
    });
    assert.ok(id);
    const first = api.batches.batches.get(id);
    assert.ok(first);
    await waitFor(() => (first.counts?.started ?? 0) >= 2, 'two items started', 60_000);
    // What a window reload does to a running batch: its session ends, its journal stays.
    first.abort.abort();
    await api.batches.idle();
    assert.equal(first.state, 'interrupted');
    const resumed = await api.batches.resumeUnfinished();
    assert.equal(resumed, 1, 'the unfinished batch is resumed');
    const second = api.batches.batches.get(id);
    assert.ok(second && second !== first);
    await waitFor(() => second.state === 'done', `the resumed batch done (${second.state})`, 120_000);
    assert.equal(sandboxRunCount() - before, 6, 'each of the 6 items ran exactly once');
    assert.equal(second.counts?.succeeded, 6);
  });
});
