import * as vscode from 'vscode';
import type { Logger } from '../../core/logger';
import { CancellationError } from '../../core/errors';
import {
  environmentFromOrganization,
  orgUrlOf,
  type Environment,
  type OrganizationFacts,
} from '../../core/model/environment';
import { SharedLoads } from '../../core/util/sharedLoads';
import type { SignedInAccount } from './signedInAccount';

/**
 * The signed-in accounts of this window and, per account, its environments (cached; refreshed on demand).
 * Sign-in commands add accounts; sign-out removes them and disposes their services. Lookups are shared
 * (`SharedLoads`): a caller that aborts only stops waiting.
 */
export class AccountService implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  /** Fires when an account is added or removed. */
  readonly onDidChangeAccounts = this.changed.event;
  private readonly accountList: SignedInAccount[] = [];
  private readonly environmentCache = new SharedLoads<Environment[]>();
  /** What each org said about itself, per account and org URL (org URLs skip discovery). */
  private readonly orgCache = new SharedLoads<OrganizationFacts | undefined>();

  constructor(private readonly log: Logger) {}

  get accounts(): readonly SignedInAccount[] {
    return this.accountList;
  }

  get(id: string): SignedInAccount | undefined {
    return this.accountList.find((a) => a.id === id);
  }

  /** Adds (or replaces, when the id is already signed in) an account. */
  async add(account: SignedInAccount): Promise<void> {
    const existing = this.accountList.findIndex((a) => a.id === account.id);
    if (existing >= 0) {
      const [old] = this.accountList.splice(existing, 1, account);
      await old?.session.dispose();
    } else {
      this.accountList.push(account);
    }
    this.forget(account.id);
    this.log.info(`[accounts] signed in: ${account.label} (${account.description})`);
    this.changed.fire();
  }

  /** Removes an account and closes its connections. */
  async remove(id: string): Promise<SignedInAccount | undefined> {
    const index = this.accountList.findIndex((a) => a.id === id);
    if (index < 0) {
      return undefined;
    }
    const [account] = this.accountList.splice(index, 1);
    this.forget(id);
    await account?.session.dispose();
    this.log.info(`[accounts] signed out: ${account?.label ?? id}`);
    this.changed.fire();
    return account;
  }

  /** The account's environments; loaded once and shared until `forget`. A failed load is not cached. */
  environments(account: SignedInAccount, signal: AbortSignal): Promise<Environment[]> {
    return this.environmentCache.get(
      account.id,
      (shared) => account.session.environments.list(shared),
      signal,
    );
  }

  /** Every environment of every account, each with its account (for pickers). Failed accounts are logged and skipped. */
  async allEnvironments(
    signal: AbortSignal,
  ): Promise<{ account: SignedInAccount; environment: Environment }[]> {
    const lists = await Promise.all(
      this.accountList.map(async (account) => {
        try {
          return (await this.environments(account, signal)).map((environment) => ({ account, environment }));
        } catch (e) {
          this.log.warn(
            `[accounts] environments of ${account.label} unavailable: ${e instanceof Error ? e.message : String(e)}`,
          );
          if (this.accountList.length === 1) {
            throw e;
          }
          return [];
        }
      }),
    );
    return lists.flat();
  }

  /**
   * Finds an environment by org URL, id, unique name or display name (case-insensitive). An org URL is
   * used directly: only the org is asked (for its name), never discovery, so it works where discovery
   * cannot be reached. Ids and names are looked up through discovery.
   */
  async findEnvironment(
    key: string,
    signal: AbortSignal,
  ): Promise<{ account: SignedInAccount; environment: Environment } | undefined> {
    const orgUrl = orgUrlOf(key);
    if (orgUrl !== undefined) {
      return this.environmentAtOrg(orgUrl, signal);
    }
    const wanted = key.trim().toLowerCase().replace(/\/+$/, '');
    const all = await this.allEnvironments(signal);
    return all.find(({ environment: e }) =>
      [e.id, e.orgUrl, e.uniqueName, e.displayName].some(
        (v) => v !== undefined && v.toLowerCase().replace(/\/+$/, '') === wanted,
      ),
    );
  }

  /** The first signed-in account the org lets in, with what the org says about itself (cached). */
  private async environmentAtOrg(
    orgUrl: string,
    signal: AbortSignal,
  ): Promise<{ account: SignedInAccount; environment: Environment } | undefined> {
    for (const account of this.accountList) {
      const cacheKey = `${account.id}\n${orgUrl.toLowerCase()}`;
      try {
        const facts = await this.orgCache.get(
          cacheKey,
          (shared) => account.session.environments.currentOrganization(orgUrl, shared),
          signal,
        );
        return { account, environment: environmentFromOrganization(orgUrl, facts) };
      } catch (e) {
        if (CancellationError.is(e)) {
          throw e;
        }
        this.log.info(
          `[accounts] ${orgUrl} did not accept ${account.label}: ${e instanceof Error ? e.message : String(e)}`,
        );
      }
    }
    return undefined;
  }

  /** Forget cached environments (refresh). */
  forget(accountId?: string): void {
    if (accountId === undefined) {
      this.environmentCache.clear();
      this.orgCache.clear();
    } else {
      this.environmentCache.clear((k) => k === accountId);
      this.orgCache.clear((k) => k.startsWith(`${accountId}\n`));
    }
  }

  async dispose(): Promise<void> {
    this.environmentCache.dispose();
    this.orgCache.dispose();
    this.changed.dispose();
    const accounts = this.accountList.splice(0);
    await Promise.all(accounts.map((a) => a.session.dispose()));
  }
}
