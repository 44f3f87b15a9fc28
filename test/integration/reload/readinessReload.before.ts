// Before the reload (see index.ts): a "Check Before Run" and a "Why Is It Waiting?" answer are open as text
// editors, and the explanation as a rendered Markdown preview too (the one preview shows the latest answer). Their text lives only in this extension host's memory, so after
// the reload (readinessReload.after.ts) the restored editors must say so instead of showing an error.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { seedFlowNames, seedIds, seedNames } from '../../../src/sandbox/seed';
import { commandIds } from '../../../src/vscode/commandIds';
import type { CheckBeforeRunResult } from '../../../src/vscode/readiness/checkBeforeRunCommand';
import type { WhyWaitingResult } from '../../../src/vscode/readiness/whyWaitingCommand';
import { activateExtension, child, markdownPreviewShown, waitFor } from '../helpers';
import { reloadSandboxUrl, writeNotes } from './reloadNotes';

/** What readinessReload.after.ts checks: the documents' URIs. */
export interface ReadinessReloadNotes {
  readonly check: string;
  readonly waiting: string;
}

describe('Check Before Run and Why Is It Waiting? documents across a window reload', function () {
  this.timeout(120_000);

  it('before the reload: a check and an explanation are open as text editors and the explanation as a rendered preview', async () => {
    const api = await activateExtension();
    await api.restored;
    // Another reload suite may have signed in to the session's sandbox already: its account is used then.
    const signedIn = api.accounts.accounts.some((a) => a.kind === 'sandbox')
      ? undefined
      : await vscode.commands.executeCommand<string>(commandIds.trySandbox, { url: reloadSandboxUrl() });
    const account = api.accounts.accounts.find((a) => a.kind === 'sandbox');
    assert.ok(account, 'signed in to the sandbox');
    const signal = AbortSignal.timeout(60_000);
    try {
      const env = await child(api, undefined, 'Contoso Dev');
      const flow = await child(api, await child(api, env, 'Desktop flows'), seedFlowNames.quickPing);
      const check = await vscode.commands.executeCommand<CheckBeforeRunResult>(
        commandIds.checkBeforeRun,
        flow,
      );
      assert.ok(check, 'Check Before Run resolved to its result');
      await waitFor(
        () => markdownPreviewShown('Check Quick Ping'),
        'the rendered preview of the check',
        20_000,
      );
      // A run through the offline LAPTOP-OLD stays queued (a flow no other reload suite counts runs of).
      const found = await api.accounts.findEnvironment('Contoso Dev', signal);
      assert.ok(found);
      const org = found.environment.orgUrl;
      const queued = await account.session.runs.runDesktopFlow(
        org,
        seedIds.flows.longReport,
        { runMode: 'unattended', connectionName: seedNames.connections.offlineMachine },
        signal,
      );
      try {
        const waiting = await vscode.commands.executeCommand<WhyWaitingResult>(commandIds.whyWaiting, {
          runId: queued.sessionId,
          environment: 'Contoso Dev',
        });
        assert.ok(waiting, 'Why Is It Waiting? resolved to its result');
        const tabs = (): string =>
          vscode.window.tabGroups.all.flatMap((g) => g.tabs.map((t) => t.label)).join(', ');
        await waitFor(
          () => markdownPreviewShown('Why is Long Running Report waiting'),
          () => `the rendered preview of the explanation (tabs: ${tabs()})`,
          20_000,
        );
        // What the reloaded window restores, each visible: the two answers as text editors side by side, and
        // the explanation's rendered preview beside them.
        await vscode.commands.executeCommand('workbench.action.closeAllEditors');
        const checkEditor = await vscode.window.showTextDocument(check.uri, {
          viewColumn: vscode.ViewColumn.One,
          preview: false,
        });
        assert.match(checkEditor.document.getText(), /^# Check Before Run: Quick Ping/);
        const waitingEditor = await vscode.window.showTextDocument(waiting.uri, {
          viewColumn: vscode.ViewColumn.Two,
          preview: false,
        });
        assert.match(waitingEditor.document.getText(), /^# Why is it waiting\? Long Running Report/);
        await vscode.commands.executeCommand('markdown.showPreviewToSide', waiting.uri);
        await waitFor(
          () =>
            vscode.window.tabGroups.all.length === 3 &&
            vscode.window.tabGroups.all.every((g) => g.activeTab !== undefined) &&
            markdownPreviewShown('Why is Long Running Report waiting'),
          () => `the preview in a third group (tabs: ${tabs()})`,
          20_000,
        );
        assert.equal(
          vscode.window.visibleTextEditors.length,
          2,
          `the two text editors are visible (tabs: ${tabs()})`,
        );
        writeNotes<ReadinessReloadNotes>('readiness', {
          check: check.uri.toString(),
          waiting: waiting.uri.toString(),
        });
      } finally {
        await account.session.runs.cancelRun(org, queued.sessionId, signal).catch(() => undefined);
      }
    } finally {
      if (signedIn !== undefined) {
        await vscode.commands.executeCommand(commandIds.signOut, signedIn);
      }
    }
  });
});
