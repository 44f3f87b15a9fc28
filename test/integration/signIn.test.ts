import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { ExtensionApi } from '../../src/extension';
import { startSandbox } from '../../src/sandbox/server';
import { defaultSandboxUser } from '../../src/sandbox/tokens';
import { commandIds } from '../../src/vscode/commandIds';
import { activateExtension, is, note, waitFor, workbenchProbe } from './helpers';

describe('Sign-in against the sandbox identity endpoint', function () {
  this.timeout(120_000);
  let api: ExtensionApi;

  before(async () => {
    api = await activateExtension();
    await api.restored;
  });

  it('signs in with a device code, fills the tree, and signing out brings the welcome back', async () => {
    const sandbox = await startSandbox({ port: 0 });
    try {
      const id = await vscode.commands.executeCommand<string>(commandIds.trySandbox, { url: sandbox.url });
      assert.ok(id, 'signed in');
      await waitFor(() => api.isSignedIn(), 'signed-in context key');
      const roots = await api.explorer.provider.getChildren();
      assert.ok(
        roots.length === 3 && roots.every((r) => is(r, 'environment')),
        'one account: environments are the roots',
      );
      const account = api.accounts.get(id);
      assert.equal(account?.kind, 'sandbox');
      note(`signed in as ${account?.label ?? '?'} (${account?.description ?? '?'})`);

      await vscode.commands.executeCommand(commandIds.signOut, id);
      await waitFor(() => !api.isSignedIn(), 'signed-out context key');
      assert.deepEqual(await api.explorer.provider.getChildren(), [], 'the tree is empty after sign-out');
      const probe = workbenchProbe();
      if (probe) {
        await vscode.commands.executeCommand('desktopFlows.explorer.focus');
        assert.ok(
          await probe.waitForText('Sign in with your work account', {
            selector: '.part.sidebar',
            timeoutMs: 15_000,
          }),
          'welcome content is back',
        );
      }
    } finally {
      await sandbox.stop();
    }
  });

  it('Try the Sandbox signs in without waiting for a code nobody types, and says who is signed in', async () => {
    const sandbox = await startSandbox({ port: 0 });
    let id: string | undefined;
    try {
      id = await vscode.commands.executeCommand<string>(commandIds.trySandbox, { url: sandbox.url });
      assert.ok(id, 'signed in');
      const stats = sandbox.identity?.tenant.stats;
      assert.ok(stats, 'the sandbox runs its identity endpoint');
      note(
        `device code requests ${stats.deviceCode}, token polls ${stats.token.device_code}, answered with an error ${stats.tokenErrors}`,
      );
      assert.equal(stats.deviceCode, 1);
      assert.equal(
        stats.token.device_code,
        1,
        'the first poll gets the tokens: the code was approved as it was issued, no polling interval waited out',
      );
      assert.equal(stats.tokenErrors, 0, 'no "authorization_pending" round');
      const probe = workbenchProbe();
      if (probe) {
        const words = `Signed in as ${defaultSandboxUser.upn} (Sandbox).`;
        assert.ok(await probe.waitForText(words, { timeoutMs: 15_000 }), `"${words}" is shown`);
      }
    } finally {
      if (id) {
        await vscode.commands.executeCommand(commandIds.signOut, id);
      }
      await sandbox.stop();
    }
  });

  it('keeps two accounts side by side, each with its own environments', async () => {
    const first = await startSandbox({ port: 0 });
    const second = await startSandbox({ port: 0 });
    const ids: string[] = [];
    try {
      ids.push(
        (await vscode.commands.executeCommand<string>(commandIds.trySandbox, { url: first.url })) ?? '',
      );
      ids.push(
        (await vscode.commands.executeCommand<string>(commandIds.trySandbox, { url: second.url })) ?? '',
      );
      assert.notEqual(ids[0], ids[1], 'two distinct accounts');
      const roots = await api.explorer.provider.getChildren();
      assert.equal(roots.length, 2);
      assert.ok(
        roots.every((r) => is(r, 'account')),
        'several accounts: accounts are the roots',
      );
      for (const root of roots) {
        const envs = await api.explorer.provider.getChildren(root);
        assert.equal(envs.length, 3, `environments of ${root.id}`);
      }
      await vscode.commands.executeCommand(commandIds.signOut, ids[0]);
      const after = await api.explorer.provider.getChildren();
      assert.ok(after.length === 3 && after.every((r) => is(r, 'environment')), 'back to one account');
    } finally {
      for (const id of ids.filter(Boolean)) {
        await vscode.commands.executeCommand(commandIds.signOut, id);
      }
      await first.stop();
      await second.stop();
    }
  });

  // The cause of a root row saying "Loading was cancelled." right after sign-in: a tree load aborted by a
  // refresh cancelled the environments lookup that the next load had joined.
  it('a lookup of environments shared by two callers goes on when the first stops waiting', async () => {
    const sandbox = await startSandbox({ port: 0 });
    let id: string | undefined;
    try {
      id = await vscode.commands.executeCommand<string>(commandIds.trySandbox, { url: sandbox.url });
      const account = api.accounts.get(id ?? '');
      assert.ok(account, 'signed in');

      api.accounts.forget(account.id);
      const gaveUp = new AbortController();
      const abandoned = api.accounts.environments(account, gaveUp.signal);
      const joined = api.accounts.environments(account, AbortSignal.timeout(30_000));
      gaveUp.abort();
      await assert.rejects(abandoned, { name: 'CancellationError' }, 'the caller that aborted stops waiting');
      const names = (await joined).map((e) => e.displayName);
      assert.ok(names.includes('Contoso Dev'), `the other caller gets the environments: ${names.join(', ')}`);

      // The same for an environment looked up by its org URL (the organization's own answer is shared).
      const orgUrl = (await joined).find((e) => e.displayName === 'Contoso Dev')?.orgUrl ?? '';
      api.accounts.forget(account.id);
      const gaveUpToo = new AbortController();
      const abandonedOrg = api.accounts.findEnvironment(orgUrl, gaveUpToo.signal);
      const joinedOrg = api.accounts.findEnvironment(orgUrl, AbortSignal.timeout(30_000));
      gaveUpToo.abort();
      await assert.rejects(abandonedOrg, { name: 'CancellationError' });
      assert.equal((await joinedOrg)?.environment.orgUrl, orgUrl, 'the other caller gets the environment');
    } finally {
      if (id !== undefined) {
        await vscode.commands.executeCommand(commandIds.signOut, id);
      }
      await sandbox.stop();
    }
  });

  it('Try the Sandbox with no sandbox running starts one as a separate process, and signing out stops it', async () => {
    const id = (await vscode.commands.executeCommand<string>(commandIds.trySandbox)) ?? '';
    assert.ok(id, 'signed in');
    try {
      const account = api.accounts.get(id);
      assert.equal(account?.kind, 'sandbox');
      const discovery = account?.session.cloud.discoveryUrl ?? '';
      const origin = new URL(discovery).origin;
      note(`the sandbox this window started answers at ${origin}`);
      // The sandbox answers by URL: it runs in its own process (the extension bundle holds none of it).
      const control = await fetch(`${origin}/_sandbox`).catch(() => undefined);
      assert.equal(control?.status, 200, 'the started sandbox answers over HTTP');
      const roots = await api.explorer.provider.getChildren();
      assert.ok(roots.length > 0, 'its environments fill the tree');
      await vscode.commands.executeCommand(commandIds.signOut, id);
      await waitFor(() => !api.isSignedIn(), 'signed-out context key');
      await waitFor(
        async () => (await fetch(`${origin}/_sandbox`).catch(() => undefined)) === undefined,
        'the sandbox process stopped after sign-out',
      );
    } finally {
      if (api.accounts.get(id) !== undefined) {
        await vscode.commands.executeCommand(commandIds.signOut, id);
      }
    }
  });
});
