/**
 * Which signed-in account reaches an org's runs, and which orgs none reaches (their runs are orphaned and no
 * longer watched): `RunAccounts` over accounts whose environments come from the sandbox over real HTTP.
 */
import assert from 'node:assert/strict';
import { AuthError } from '../../../src/core/errors';
import type { AccountService } from '../../../src/vscode/accounts/accountService';
import type { SignedInAccount } from '../../../src/vscode/accounts/signedInAccount';
import { RunAccounts } from '../../../src/vscode/runs/runAccounts';
import { sandboxSessionSuite } from '../helpers/sandboxSession';

describe('RunAccounts: which account reaches an org, and which orgs none reaches', () => {
  const suite = sandboxSessionSuite();
  const signal = new AbortController().signal;

  /** The signed-in accounts of a window, as `RunAccounts` reads them; each lists the sandbox's environments. */
  function signedIn(...ids: string[]): { service: AccountService; accounts: SignedInAccount[] } {
    const accounts = ids.map((id) => ({ id, session: suite.session }) as unknown as SignedInAccount);
    const service = {
      get accounts() {
        return accounts;
      },
      get: (id: string) => accounts.find((a) => a.id === id),
      environments: (account: SignedInAccount, s: AbortSignal) => account.session.environments.list(s),
    } as unknown as AccountService;
    return { service, accounts };
  }

  it('does not know an org until a lookup finds its account, then knows it without asking again', async () => {
    const { service } = signedIn('maker');
    const runAccounts = new RunAccounts(service);
    const org = suite.f.orgs.dev;
    assert.equal(runAccounts.reaches(org), undefined);
    assert.equal((await runAccounts.resolve(`${org.toUpperCase()}/`, signal)).id, 'maker');
    assert.equal(runAccounts.reaches(org), true);
  });

  it('says an org is out of reach once its account signed out, until an account reaches it again', async () => {
    const { service, accounts } = signedIn('maker');
    const runAccounts = new RunAccounts(service);
    const org = suite.f.orgs.dev;
    runAccounts.remember(org, accounts[0]!);
    accounts.length = 0; // Sign Out
    assert.equal(runAccounts.reaches(org), false);
    assert.equal(
      runAccounts.reaches(org),
      false,
      'asked again (a watcher error after the sign-out), still out of reach',
    );
    assert.equal(runAccounts.reaches(suite.f.orgs.bulk), undefined, 'an org never reached is not known');
    accounts.push({ id: 'admin', session: suite.session } as unknown as SignedInAccount); // Sign In
    assert.equal((await runAccounts.resolve(org, signal)).id, 'admin');
    assert.equal(runAccounts.reaches(org), true);
  });

  it('says an org is out of reach when a lookup finds no signed-in account that reaches it', async () => {
    const { service, accounts } = signedIn();
    const runAccounts = new RunAccounts(service);
    const org = suite.f.orgs.dev;
    await assert.rejects(runAccounts.resolve(org, signal), (e: unknown) => AuthError.is(e, 'noAccount'));
    assert.equal(runAccounts.reaches(org), false, 'its runs (e.g. resumed after a reload) are orphaned');
    const maker = { id: 'maker', session: suite.session } as unknown as SignedInAccount;
    accounts.push(maker);
    runAccounts.remember(org, maker); // a run started through it
    assert.equal(runAccounts.reaches(org), true);
  });
});
