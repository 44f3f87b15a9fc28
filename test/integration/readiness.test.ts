import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { ExtensionApi } from '../../src/extension';
import { seedFlowNames } from '../../src/sandbox/seed';
import { startSandbox } from '../../src/sandbox/server';
import { commandIds } from '../../src/vscode/commandIds';
import type { CheckBeforeRunResult } from '../../src/vscode/readiness/checkBeforeRunCommand';
import { activateExtension, child, waitFor } from './helpers';

type Sandbox = Awaited<ReturnType<typeof startSandbox>>;

describe('Check Before Run', function () {
  this.timeout(120_000);
  let api: ExtensionApi;
  let sandbox: Sandbox;
  let accountId: string;

  before(async () => {
    api = await activateExtension();
    await api.restored;
    sandbox = await startSandbox({ port: 0 });
    accountId =
      (await vscode.commands.executeCommand<string>(commandIds.trySandbox, { url: sandbox.url })) ?? '';
    assert.ok(accountId, 'Try the Sandbox returned the signed-in account');
    await waitFor(() => api.isSignedIn(), 'signed in');
  });

  afterEach(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  after(async () => {
    if (accountId) {
      await vscode.commands.executeCommand(commandIds.signOut, accountId);
    }
    await sandbox?.stop();
  });

  it('checks a flow from the tree against every connection, best first, in a rendered preview', async () => {
    const env = await child(api, undefined, 'Contoso Dev');
    const flows = await child(api, env, 'Desktop flows');
    const flow = await child(api, flows, seedFlowNames.quickPing);
    const result = await vscode.commands.executeCommand<CheckBeforeRunResult>(
      commandIds.checkBeforeRun,
      flow,
    );
    assert.ok(result, 'the command resolved to its result');

    const byName = new Map(result.reports.map((r) => [r.connectionDisplayName, r]));
    const maker = byName.get('CONTOSO\\maker (DESKTOP-MAKER01)');
    assert.equal(maker?.verdict, 'ready', JSON.stringify(maker?.items));
    const empty = byName.get('CONTOSO\\botuser (Empty Pool)');
    assert.equal(empty?.verdict, 'willFail');
    assert.ok(empty.items.some((i) => i.errorCode === 'GroupIsEmpty'));
    const offline = byName.get('CONTOSO\\maker (LAPTOP-OLD)');
    assert.equal(offline?.verdict, 'willWait');
    assert.equal(result.reports[0]?.verdict, 'ready', 'the ready connections come first');

    const text = (await vscode.workspace.openTextDocument(result.uri)).getText();
    assert.match(text, /^# Check Before Run: Quick Ping/);
    assert.match(text, /This run will fail: group Empty Pool has no machines\./);
    assert.match(text, /This run will wait: LAPTOP-OLD is offline\./);
    assert.match(text, /nothing was sent/);

    await waitFor(
      () =>
        vscode.window.tabGroups.all
          .flatMap((g) => g.tabs)
          .some((t) => t.label.includes('Check Quick Ping') && t.input instanceof vscode.TabInputWebview),
      'the rendered Markdown preview of the check',
      20_000,
    );
  });
});
