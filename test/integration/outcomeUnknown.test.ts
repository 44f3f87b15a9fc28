import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { ExtensionApi } from '../../src/extension';
import { runDesktopFlowRequest } from '../../src/core/runs/runOptions';
import { seedEnvironmentNames, seedIds, seedNames } from '../../src/sandbox/seed';
import { startSandbox } from '../../src/sandbox/server';
import { commandIds } from '../../src/vscode/commandIds';
import { activateExtension, makerAttended, note, waitFor, workbenchProbe } from './helpers';

type Sandbox = Awaited<ReturnType<typeof startSandbox>>;

const runAction = '/org/*/api/data/v9.2/workflows(*)/Microsoft.Dynamics.CRM.RunDesktopFlow';
const sessions = '/org/*/api/data/v9.2/flowsessions';

/**
 * Issue 11: when the service's answer to a start is lost and the evidence does not single out one run, the
 * extension does not guess. It says the outcome is unknown, offers "Show Candidates", and lists the runs
 * that could be it. Driven through the real workbench: the notification is read and its button clicked.
 */
describe('Outcome unknown (extension)', function () {
  this.timeout(120_000);
  let api: ExtensionApi;
  let sandbox: Sandbox | undefined;
  let accountId: string | undefined;

  before(async () => {
    api = await activateExtension();
    await api.restored;
  });

  afterEach(async () => {
    await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
    await vscode.commands.executeCommand('notifications.clearAll');
    if (accountId) {
      await vscode.commands.executeCommand(commandIds.signOut, accountId);
      accountId = undefined;
    }
    await sandbox?.stop();
    sandbox = undefined;
  });

  it('a lost answer with two indistinguishable runs: "may have started", Show Candidates lists both, nothing is sent again', async () => {
    const probe = workbenchProbe();
    assert.ok(
      probe,
      'the integration harness shows the workbench (code-server), where notifications are read',
    );
    sandbox = await startSandbox({ port: 0, speed: 10 });
    const s = sandbox;
    accountId = await vscode.commands.executeCommand<string>(commandIds.trySandbox, { url: s.url });
    assert.ok(accountId, 'signed in to the sandbox');
    await waitFor(() => api.isSignedIn(), 'signed in');
    const dev = s.environments.get(seedEnvironmentNames.dev);
    assert.ok(dev, 'the sandbox has Contoso Dev');
    const before = new Set(dev.runs.keys());
    const flowId = seedIds.flows.optionalInputs;

    // The service runs the start but its answer is lost; while the extension looks for the run (its first
    // lookup held for a moment), the same user starts the same flow with the same inputs elsewhere.
    const lost = s.faults.add({ method: 'POST', path: runAction, kind: 'responseLost', count: 1 });
    s.faults.add({ method: 'GET', path: sessions, kind: 'stall', delayMs: 1_500, count: 20 });
    const started = vscode.commands.executeCommand(commandIds.runFlow, {
      environment: 'Contoso Dev',
      flowId,
      inputs: { Required: 'same' },
      ...makerAttended,
    });
    await waitFor(() => s.faults.list().find((f) => f.id === lost.id)?.hits === 1, 'the lost start', 30_000);
    const ours = [...dev.runs.values()].find((r) => !before.has(String(r.row.flowsessionid)));
    assert.ok(ours, 'the service created the run whose answer was lost');
    const orgUrl = s.orgUrl(seedEnvironmentNames.dev);
    const body = runDesktopFlowRequest(
      {
        connection: { kind: 'connection', name: seedNames.connections.makerMachine },
        runMode: 'attended',
        priority: 'normal',
        timeoutSeconds: makerAttended.timeoutSeconds,
      },
      JSON.stringify(ours.inputs),
    );
    const twin = await fetch(
      `${orgUrl}/api/data/v9.2/workflows(${flowId})/Microsoft.Dynamics.CRM.RunDesktopFlow`,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${s.token(orgUrl)}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      },
    );
    assert.equal(twin.status, 200, 'the twin run was started');
    const twinId = ((await twin.json()) as { flowsessionId: string }).flowsessionId;
    assert.equal(await started, undefined, 'the command ended without a run');

    const created = [...dev.runs.keys()].filter((id) => !before.has(id));
    assert.equal(created.length, 2, 'nothing was sent again: the lost run and its twin only');
    const candidates = [String(ours.row.flowsessionid), twinId];
    assert.deepEqual([...created].sort(), [...candidates].sort());

    const words =
      'The run of "Optional Inputs" may have started, but the service\'s answer was lost and 2 runs created';
    assert.ok(await probe.waitForText(words, { timeoutMs: 15_000 }), `"${words}" is shown`);
    assert.ok(
      await probe.waitForText('It was not sent again, so it cannot run twice', { timeoutMs: 5_000 }),
      'the notification says it was not sent again',
    );
    const toasts = '.notifications-toasts';
    assert.ok(
      await probe.waitForText('Show Run Transcript', { selector: toasts, timeoutMs: 5_000 }),
      'the notification offers the transcript',
    );
    assert.ok(await probe.click('Show Candidates', { selector: toasts }), 'Show Candidates is offered');
    const picker = '.quick-input-widget';
    assert.ok(
      await probe.waitForText('Runs of "Optional Inputs" that the lost start may have created', {
        selector: picker,
        timeoutMs: 10_000,
      }),
      'Show Candidates opens a list of the runs',
    );
    assert.ok(
      await probe.waitForText('Created ', { selector: picker, timeoutMs: 5_000 }),
      'each candidate says when it was created',
    );
    for (const id of candidates) {
      assert.ok(
        await probe.waitForText(id, { selector: picker, timeoutMs: 5_000 }),
        `candidate ${id} is listed`,
      );
    }
    note(`candidates ${candidates.map((id) => id.slice(0, 8)).join(', ')}`);
  });
});
