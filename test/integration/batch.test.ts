import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { ExtensionApi } from '../../src/extension';
import { seedAccounts, seedEnvironmentNames, seedIds, seedNames } from '../../src/sandbox/seed';
import { startSandbox } from '../../src/sandbox/server';
import { commandIds } from '../../src/vscode/commandIds';
import type { BatchView } from '../../src/vscode/batch/batchController';
import type { ExplorerNode } from '../../src/vscode/tree/explorerNode';
import { activateExtension, child, label, note, waitFor } from './helpers';
import { QueuedPrompts } from './queuedPrompts';

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
        inputText: `${name} item ${i}`,
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

  /** Runs in the sandbox whose Echo Text input starts with `prefix` (the folder name), by status code. */
  function sandboxRunsOf(prefix: string): number[] {
    const runs = [...(sandbox.environments.get(seedEnvironmentNames.dev)?.runs.values() ?? [])];
    return runs
      .filter(
        (r) => typeof r.inputs.inputText === 'string' && r.inputs.inputText.startsWith(`${prefix} item `),
      )
      .map((r) => Number(r.row.statuscode));
  }

  /** "Run All Input Files in Folder…" with palette arguments (one maker connection unless given); the batch. */
  async function startBatch(
    folder: vscode.Uri,
    args: { connections?: string[]; connectionReferences?: string[] } = {},
  ): Promise<BatchView> {
    const id = await vscode.commands.executeCommand<string>(commandIds.runFolderBatch, folder, {
      environment: 'Contoso Dev',
      connections:
        args.connections ?? (args.connectionReferences ? [] : [seedNames.connections.makerMachine]),
      ...(args.connectionReferences ? { connectionReferences: args.connectionReferences } : {}),
      runMode: 'unattended',
    });
    assert.ok(id, 'the command returned the batch id');
    const batch = api.batches.batches.get(id);
    assert.ok(batch, 'the batch is known to the window');
    return batch;
  }

  /** A batch run to its end. */
  async function runBatch(folder: vscode.Uri, args?: Parameters<typeof startBatch>[1]): Promise<BatchView> {
    const batch = await startBatch(folder, args);
    await waitFor(() => batch.state === 'done', `the batch done (${batch.state})`, 90_000);
    return batch;
  }

  /** The batch rows under a flow (Echo Text unless named), as the tree shows them. */
  async function batchRows(flowName = 'Echo Text'): Promise<ExplorerNode[]> {
    const env = await child(api, undefined, 'Contoso Dev');
    const flows = await child(api, env, 'Desktop flows');
    const flow = await child(api, flows, flowName);
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

  it('Batch: the connection picker takes two connections, and the starts are spread round-robin over both', async () => {
    const folder = await inputFolder('picked', 4);
    const maker = `$(plug) ${seedAccounts.maker} (DESKTOP-MAKER01)`;
    const bots = `$(plug) ${seedAccounts.bot} (Finance Bots)`;
    // As from the Explorer's context menu, with the environment given: the connections and the mode are asked.
    const prompts = new QueuedPrompts({ pickMany: [maker, bots] }, { pick: 'Unattended' });
    const answering = api.prompts.answerWith(prompts);
    let id: string | undefined;
    try {
      id = await vscode.commands.executeCommand<string>(commandIds.runFolderBatch, folder, {
        environment: 'Contoso Dev',
      });
    } finally {
      answering.dispose();
    }
    assert.equal(prompts.remaining, 0, 'both prompts were shown');
    const [connectionsPrompt, modePrompt] = prompts.asked;
    assert.equal(connectionsPrompt?.kind, 'pickMany', 'the connections are picked with check boxes');
    assert.match(connectionsPrompt.title ?? '', /70 starts per minute/);
    assert.ok(connectionsPrompt.items?.includes(maker) && connectionsPrompt.items.includes(bots));
    assert.equal(modePrompt?.kind, 'pick');
    assert.ok(id, 'the command returned the batch id');
    const batch = api.batches.batches.get(id);
    assert.ok(batch);
    await waitFor(
      () => batch.state === 'done',
      () => `the batch done (${batch.state})`,
      90_000,
    );

    const items = [...batch.items.values()].sort((a, b) => (a.file < b.file ? -1 : 1));
    note(`connections of the items: ${items.map((i) => i.connection ?? '?').join(', ')}`);
    const perConnection = new Map<string, number>();
    for (const i of items) {
      perConnection.set(i.connection ?? '', (perConnection.get(i.connection ?? '') ?? 0) + 1);
    }
    assert.deepEqual(
      [...perConnection.keys()].sort(),
      [seedNames.connections.financeBots, seedNames.connections.makerMachine].sort(),
      'both picked connections were used',
    );
    // Round-robin: the first two items go one to each connection.
    assert.notEqual(items[0]?.connection, items[1]?.connection);
    // The service saw the same: each run on the connection its item names.
    const runs = [...(sandbox.environments.get(seedEnvironmentNames.dev)?.runs.values() ?? [])];
    for (const item of items) {
      const run = runs.find((r) => String(r.row.flowsessionid) === item.runId);
      assert.equal(run?.row.connectionid, item.connection, `${item.file}'s run on its connection`);
    }
    assert.equal(sandboxRunsOf('picked').length, 4, 'one run per input file');
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
    const first = await startBatch(folder);
    const id = first.id;
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

  it('Batch: a failed item shows its error and remedy on its row, and Rerun Failed runs only the failed items again', async () => {
    const folder = await inputFolder('mixed', 1);
    await writeJson(vscode.Uri.joinPath(folder, 'legacy.json'), {
      $schema: `desktopflows-schema:/${devEnvironmentId}/${seedIds.flows.legacySchema}.json`,
    });
    const before = sandboxRunCount();
    const batch = await runBatch(folder);
    const id = batch.id;
    assert.equal(sandboxRunCount() - before, 2);

    const legacyBatch = await waitFor(
      async () => (await batchRows('Legacy Schema Flow')).find((r) => label(r) === 'Batch mixed'),
      'the batch row under Legacy Schema Flow',
      10_000,
    );
    const [failedRow] = await api.explorer.provider.getChildren(legacyBatch);
    assert.ok(failedRow);
    const item = failedRow.getTreeItem();
    assert.equal(label(failedRow), 'legacy.json');
    assert.match(String(item.description), /^failed — UnsupportedRpaScriptSchemaVersion: /);
    const tooltip = (item.tooltip as vscode.MarkdownString | undefined)?.value ?? '';
    assert.match(tooltip, /\*\*How to fix:\*\* \S/, `the row's tooltip gives the remedy (${tooltip})`);
    note(`failed row: ${String(item.description)}`);

    const rerunId = await vscode.commands.executeCommand<string>(commandIds.rerunFailedBatch, id);
    assert.ok(rerunId && rerunId !== id, 'Rerun Failed started a new batch');
    const rerun = api.batches.batches.get(rerunId);
    assert.ok(rerun);
    await waitFor(() => rerun.state === 'done', `the rerun done (${rerun.state})`, 90_000);
    assert.deepEqual(
      [...rerun.items.values()].map((i) => [i.file.split(/[\\/]/).at(-1), i.status]),
      [['legacy.json', 'failed']],
      'only the failed item ran again',
    );
    assert.equal(sandboxRunCount() - before, 3, 'one more run: the failed item, not the succeeded one');
  });

  it('Batch: Cancel Batch asks (Escape goes on), stops new starts and, when asked, cancels the runs still queued', async () => {
    const count = 40;
    const folder = await inputFolder('cancelled', count);
    const batch = await startBatch(folder);
    const id = batch.id;
    await waitFor(() => (batch.counts?.started ?? 0) >= 3, 'three items started', 60_000);
    // The modal question is answered from a queue: Escape first (the batch goes on), then cancel the queued runs.
    const prompts = new QueuedPrompts('escape', { confirm: 'Stop and Cancel Queued Runs' });
    const answering = api.prompts.answerWith(prompts);
    try {
      await vscode.commands.executeCommand(commandIds.cancelBatch, id);
      assert.equal(batch.stopping, false, 'Escape does not stop the batch');
      assert.equal(batch.state, 'running');
      await vscode.commands.executeCommand(commandIds.cancelBatch, id);
      assert.equal(prompts.remaining, 0);
      assert.match(prompts.asked[0]?.title ?? '', /^Stop starting the items of batch /);
    } finally {
      answering.dispose();
    }
    await api.batches.idle();
    assert.equal(batch.state, 'cancelled');
    const started = batch.counts?.started ?? 0;
    assert.ok(started < count, `new starts stopped (${started} of ${count} started)`);
    assert.equal(sandboxRunsOf('cancelled').length, started, 'nothing was started after the batch stopped');
    // Queued runs were cancelled (statuscode 7); none is left waiting.
    await waitFor(
      () => sandboxRunsOf('cancelled').every((s) => s !== 3),
      'no run of the batch still queued',
      30_000,
    );
    const statuses = sandboxRunsOf('cancelled');
    note(`after Cancel Batch: ${started} started, sandbox statuses ${statuses.join(',')}`);
    assert.ok(
      statuses.includes(7) || statuses.every((s) => s === 4),
      'the queued runs were cancelled (or all had already finished)',
    );
  });

  it('Batch: Open Report writes the report next to the journal and opens it', async () => {
    const folder = await inputFolder('reported', 2);
    const batch = await runBatch(folder);
    const id = batch.id;
    const report = await vscode.commands.executeCommand<string>(commandIds.openBatchReport, id);
    assert.ok(report);
    const uri = vscode.Uri.parse(report);
    assert.equal(uri.fsPath, batch.journalFile.replace(/\.json$/i, '.report.json'));
    await waitFor(
      () => vscode.window.activeTextEditor?.document.uri.fsPath === uri.fsPath,
      'the report open in an editor',
      10_000,
    );
    const parsed = JSON.parse(new TextDecoder().decode(await vscode.workspace.fs.readFile(uri))) as {
      items: { file: string; runId: string | null; status: string; connection: string | null }[];
      summary: { items: number; succeeded: number };
    };
    assert.deepEqual(
      parsed.items.map((i) => [i.file, i.status, i.connection]),
      [
        ['item-01.json', 'succeeded', seedNames.connections.makerMachine],
        ['item-02.json', 'succeeded', seedNames.connections.makerMachine],
      ],
    );
    assert.ok(parsed.items.every((i) => typeof i.runId === 'string' && i.runId !== ''));
    assert.deepEqual([parsed.summary.items, parsed.summary.succeeded], [2, 2]);
  });

  it('Batch: spreads the items over a connection reference and a connection', async () => {
    const folder = await inputFolder('by-reference', 4);
    const batch = await runBatch(folder, {
      connections: [seedNames.connections.financeBots],
      connectionReferences: [seedNames.connectionReferences.makerMachine],
    });
    const items = [...batch.items.values()];
    assert.deepEqual(
      new Set(items.map((i) => i.connection)),
      new Set([seedNames.connections.financeBots, seedNames.connectionReferences.makerMachine]),
    );
    assert.deepEqual(
      items.map((i) => i.status),
      ['succeeded', 'succeeded', 'succeeded', 'succeeded'],
    );
    assert.equal(sandboxRunsOf('by-reference').length, 4);
  });

  it('Batch: the folder command is on the Explorer context menu of folders, and a name that is not a connection is refused before anything is sent', async () => {
    const manifest = vscode.extensions.all.find((e) =>
      (
        (e.packageJSON as { contributes?: { commands?: { command: string }[] } }).contributes?.commands ?? []
      ).some((c) => c.command === commandIds.runFolderBatch),
    )?.packageJSON as { contributes: { menus: Record<string, { command: string; when?: string }[]> } };
    const entry = manifest.contributes.menus['explorer/context']?.find(
      (m) => m.command === commandIds.runFolderBatch,
    );
    assert.ok(entry, 'an explorer/context entry');
    assert.match(entry.when ?? '', /explorerResourceIsFolder/);

    // The Explorer passes the folder and the selection; palette arguments name a reference that is not there.
    const folder = await inputFolder('refused', 1);
    const before = sandboxRunCount();
    await assert.rejects(
      Promise.resolve(
        api.batches.runFolder(folder, {
          environment: 'Contoso Dev',
          connectionReferences: ['cr_does_not_exist'],
          runMode: 'unattended',
        }),
      ),
      /There is no desktop-flow connection reference "cr_does_not_exist" in Contoso Dev; nothing was sent\./,
    );
    assert.equal(sandboxRunCount(), before);
  });
});
