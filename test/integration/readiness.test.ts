import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { ExtensionApi } from '../../src/extension';
import { seedFlowNames, seedIds, seedNames } from '../../src/sandbox/seed';
import type { Sandbox } from '../../src/sandbox/server';
import { commandIds } from '../../src/vscode/commandIds';
import type { CheckBeforeRunResult } from '../../src/vscode/readiness/checkBeforeRunCommand';
import type { WhyWaitingResult } from '../../src/vscode/readiness/whyWaitingCommand';
import {
  activateExtension,
  child,
  signInToSandbox,
  signOutOfSandbox,
  markdownPreviewShown,
  waitFor,
  workbenchErrorsDuring,
} from './helpers';

describe('Check Before Run', function () {
  this.timeout(120_000);
  let api: ExtensionApi;
  let sandbox: Sandbox;
  let accountId: string;

  before(async () => {
    api = await activateExtension();
    await api.restored;
    ({ sandbox, accountId } = await signInToSandbox(api));
  });

  afterEach(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  after(async () => {
    await signOutOfSandbox(accountId, sandbox);
  });

  it('checks a flow from the tree against every connection, best first, in a rendered preview', async () => {
    const env = await child(api, undefined, 'Contoso Dev');
    const flows = await child(api, env, 'Desktop flows');
    const flow = await child(api, flows, seedFlowNames.quickPing);
    let result: CheckBeforeRunResult | undefined;
    const errors = await workbenchErrorsDuring(api, async () => {
      result = await vscode.commands.executeCommand<CheckBeforeRunResult>(commandIds.checkBeforeRun, flow);
      await waitFor(
        () => markdownPreviewShown('Check Quick Ping'),
        'the rendered Markdown preview of the check',
        20_000,
      );
    });
    assert.ok(result, 'the command resolved to its result');
    // The preview watches its document through the file system: the check's scheme has one.
    assert.deepEqual(errors, [], 'the workbench logged no error while showing the check');

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
  });

  it('Why Is It Waiting? explains a run queued behind busy machines in a rendered document', async () => {
    const account = api.accounts.accounts.find((a) => a.kind === 'sandbox');
    assert.ok(account, 'the sandbox account');
    const env = await api.accounts.findEnvironment('Contoso Dev', AbortSignal.timeout(30_000));
    assert.ok(env);
    const org = env.environment.orgUrl;
    const signal = AbortSignal.timeout(60_000);
    const started: string[] = [];
    for (let i = 0; i < 3; i++) {
      const s = await account.session.runs.runDesktopFlow(
        org,
        seedIds.flows.longReport,
        { runMode: 'unattended', connectionName: seedNames.connections.runOwner },
        signal,
      );
      started.push(s.sessionId);
    }
    try {
      const last = started[2] ?? '';
      let result: WhyWaitingResult | undefined;
      const errors = await workbenchErrorsDuring(api, async () => {
        await waitFor(
          async () => {
            result = await vscode.commands.executeCommand<WhyWaitingResult>(commandIds.whyWaiting, {
              runId: last,
              environment: 'Contoso Dev',
            });
            return result?.answer.machines.every((m) => m.presence === 'busy') === true;
          },
          'both Finance Bots machines busy',
          30_000,
          500,
        );
        await waitFor(
          () => markdownPreviewShown('Why is Long Running Report waiting'),
          'the rendered Markdown preview of the explanation',
          20_000,
        );
      });
      assert.ok(result);
      // The preview watches its document through the file system: the explanation's scheme has one.
      assert.deepEqual(errors, [], 'the workbench logged no error while showing the explanation');
      assert.equal(result.answer.waiting, true);
      assert.equal(result.answer.position, 1);
      const text = (await vscode.workspace.openTextDocument(result.uri)).getText();
      assert.match(text, /^# Why is it waiting\? Long Running Report/);
      assert.match(text, /All 2 online machines in Finance Bots are busy\./);
      assert.match(text, /Position \*\*1 of 1\*\* by enqueue time in Finance Bots/);
      assert.match(text, /\| FIN-BOT-01 \| busy \|/);
      assert.match(text, /Queue timeout: .* UTC \(6 hours after it was requested\)/);
    } finally {
      for (const id of started) {
        await account.session.runs.cancelRun(org, id, signal).catch(() => undefined);
      }
    }
  });
});

describe('Why Is It Waiting? and Check Before Run documents this window did not make', function () {
  this.timeout(60_000);

  afterEach(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  // What an editor or preview restored after a window reload asks for: a URI of the scheme whose answer was
  // held in the memory of the window before (the true reload: test/integration/reload/readinessReload.*.ts).
  it('opens one as a text editor and a rendered preview saying it was made before the window reloaded, with no workbench error', async () => {
    const api = await activateExtension();
    const unknown = [
      {
        uri: vscode.Uri.from({
          scheme: 'desktopflows-waiting',
          path: '/Why is Quick Ping waiting.md',
          query: `never-asked/${Date.now()}`,
        }),
        text: /^# Why Is It Waiting\?\n\nThis answer was made before the window reloaded, so it is no longer shown\. Run \*\*Desktop Flows: Why Is It Waiting\?\*\* on the run again for a current answer\.\n$/,
        preview: 'Why is Quick Ping waiting',
      },
      {
        uri: vscode.Uri.from({
          scheme: 'desktopflows-check',
          path: '/Check Quick Ping.md',
          query: `never-checked/${Date.now()}`,
        }),
        text: /^# Check Before Run\n\nThis check was made before the window reloaded, so it is no longer shown\. Run \*\*Desktop Flows: Check Before Run\*\* on the flow again for a current check\.\n$/,
        preview: 'Check Quick Ping',
      },
    ];
    for (const { uri, text, preview } of unknown) {
      let shown = '';
      const errors = await workbenchErrorsDuring(api, async () => {
        const editor = await vscode.window.showTextDocument(uri, { preview: false });
        shown = editor.document.getText();
        await vscode.commands.executeCommand('markdown.showPreview', uri);
        await waitFor(
          () => markdownPreviewShown(preview),
          `the rendered preview of ${uri.toString()}`,
          20_000,
        );
      });
      assert.match(shown, text);
      assert.deepEqual(errors, [], `the workbench logged no error while showing ${uri.toString()}`);
    }
  });
});
