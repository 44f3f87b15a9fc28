// After the reload (see index.ts): the new extension host resumes the batch on its own, from its journal
// and the workspace's list of unfinished batches. The batch row is back with its counts; the runs started
// before the reload are watched to their end; the unanswered start is recognised on the service, not sent
// again; the items never sent start now; and the sandbox holds exactly one run per item.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { seedIds } from '../../../src/sandbox/seed';
import { commandIds } from '../../../src/vscode/commandIds';
import type { ExplorerNode } from '../../../src/vscode/tree/explorerNode';
import { activateExtension, child, label, note, waitFor } from '../helpers';
import type { BatchReloadNotes } from './batchReload.before';
import { readNotes } from './reloadNotes';
import { clearFaults, devEnvironment, runsOfFlow } from './sandboxHttp';

describe('Batch runs across a window reload', function () {
  this.timeout(180_000);

  it('after the reload: the batch row is back with its counts, its runs are watched to the end, and no item started twice', async () => {
    const notes = readNotes<BatchReloadNotes>('batch');
    const api = await activateExtension();
    await api.restored;
    try {
      assert.ok(api.isSignedIn(), 'the sandbox account was restored after the reload');
      // Resumed by the extension itself: no test calls resumeUnfinished().
      const batch = await waitFor(
        () => api.batches.batches.get(notes.batchId),
        'the batch resumed in the new window',
        60_000,
      );
      assert.equal(batch.journalFile, notes.journalFile);
      const rows = async (flowName: string): Promise<ExplorerNode[]> => {
        const env = await child(api, undefined, 'Contoso Dev');
        const flow = await child(api, await child(api, env, 'Desktop flows'), flowName);
        api.explorer.provider.refresh(flow);
        return (await api.explorer.provider.getChildren(flow)).filter((r) =>
          (r.getTreeItem().contextValue ?? '').split(' ').includes('batch'),
        );
      };
      const row = await waitFor(
        async () => (await rows('Echo Text')).find((r) => label(r) === 'Batch reloaded'),
        'the batch row under Echo Text',
        30_000,
      );
      const first = String(row.getTreeItem().description);
      note(`batch row right after the reload: ${first}`);
      // While its files are checked again, the row shows what the journal says was started; then the counts.
      assert.match(first, /^(2 started, checking the other input files…|\d\/6\b)/);
      const counted = await waitFor(
        async () =>
          (await rows('Echo Text'))
            .map((r) => String(r.getTreeItem().description))
            .find((d) => /^\d\/6\b/.test(d)),
        'the batch row counting the six items',
        30_000,
      );
      note(`batch row once checked: ${counted}`);
      // The items started before the reload are back on their rows with their runs.
      for (const [file, runId] of Object.entries(notes.startedBefore)) {
        const item = [...batch.items.values()].find((i) => i.file.endsWith(file));
        assert.equal(item?.runId, runId, `${file}'s row has its run again`);
      }

      await waitFor(
        () => batch.state === 'done',
        () => `the batch done (${batch.state})`,
        150_000,
      );
      assert.equal(batch.counts?.succeeded, 6, JSON.stringify(batch.counts));
      // Counted once each: the two started before the reload are carried over, not started again.
      assert.equal(batch.counts?.started, 6, JSON.stringify(batch.counts));
      await waitFor(
        async () =>
          (await rows('Echo Text')).find(
            (r) => label(r) === 'Batch reloaded' && r.getTreeItem().description === '6/6, done',
          ),
        'the batch row counting 6/6 done',
        10_000,
      );
      await waitFor(
        () => api.batchStatus.text.endsWith('Batch 6/6, done'),
        () => `the status bar (${api.batchStatus.text})`,
        10_000,
      );

      const byFile = new Map(
        [...batch.items.values()].map((i) => [i.file.split(/[\\/]/).at(-1) ?? '', i] as const),
      );
      assert.deepEqual([...byFile.keys()].sort(), [...notes.files].sort());
      // The runs started before the reload are the same runs, watched to their end in the new window.
      const { orgUrl } = await devEnvironment();
      for (const [file, runId] of Object.entries(notes.startedBefore)) {
        assert.equal(byFile.get(file)?.runId, runId, `${file} kept its run`);
        assert.equal(byFile.get(file)?.status, 'succeeded');
        assert.equal(
          api.runs.store.find(orgUrl, runId)?.status,
          'succeeded',
          `${file}'s run watched to its end`,
        );
      }
      // The service's view: exactly one run per item, each the item's own.
      const since = (runs: { id: string; statuscode: number }[]): { id: string; statuscode: number }[] =>
        runs.filter((r) => !notes.earlierRuns.includes(r.id));
      const echoRuns = since(await runsOfFlow(seedIds.flows.echoText));
      const pingRuns = since(await runsOfFlow(seedIds.flows.quickPing));
      note(`sandbox: ${echoRuns.length} Echo Text runs, ${pingRuns.length} Quick Ping runs`);
      if (echoRuns.length + pingRuns.length !== 6) {
        note(`items: ${JSON.stringify([...byFile.entries()].map(([f, i]) => [f, i.runId, i.status]))}`);
        note(`sandbox runs: ${JSON.stringify([...echoRuns, ...pingRuns])}`);
        note(
          `journal:\n${new TextDecoder().decode(await vscode.workspace.fs.readFile(vscode.Uri.file(notes.journalFile)))}`,
        );
      }
      assert.equal(pingRuns.length, 1, 'the unanswered start was not sent again');
      assert.equal(
        byFile.get(notes.uncertain)?.runId,
        pingRuns[0]?.id,
        'the uncertain item has the run its start created',
      );
      assert.equal(echoRuns.length, 5, 'one Echo Text run per item');
      const itemRuns = [...byFile.values()].map((i) => i.runId?.toLowerCase());
      assert.equal(new Set(itemRuns).size, 6, 'six different runs');
      assert.deepEqual(
        [...echoRuns, ...pingRuns].map((r) => r.id.toLowerCase()).sort(),
        [...itemRuns].sort(),
        'the sandbox runs are exactly the items’ runs',
      );
      assert.ok(
        [...echoRuns, ...pingRuns].every((r) => r.statuscode === 4),
        'every run succeeded',
      );
    } finally {
      await clearFaults();
      const settings = vscode.workspace.getConfiguration('desktopFlows');
      for (const key of ['runs.pollIntervalMinSeconds', 'runs.pollIntervalMaxSeconds']) {
        await settings.update(key, undefined, vscode.ConfigurationTarget.Global);
      }
      for (const key of ['runs.notifyOnCompletion', 'runs.revealTranscript']) {
        await settings.update(key, undefined, vscode.ConfigurationTarget.Workspace);
      }
      await vscode.commands.executeCommand(commandIds.signOut, notes.accountId);
    }
  });
});
