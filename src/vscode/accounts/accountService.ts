import * as vscode from 'vscode';
import type { Logger } from '../../core/logger';
import type { Environment } from '../../core/model/environment';
import type { SignedInAccount } from './signedInAccount';

/**
 * The signed-in accounts of this window and, per account, its environments (cached; refreshed on demand).
 * Sign-in commands add accounts; sign-out removes them and disposes their services.
 */
export class AccountService implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  /** Fires when an account is added or removed. */
  readonly onDidChangeAccounts = this.changed.event;
  private readonly accountList: SignedInAccount[] = [];
  private readonly environmentCache = new Map<string, Promise<Environment[]>>();

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
    this.environmentCache.delete(account.id);
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
    this.environmentCache.delete(id);
    await account?.session.dispose();
    this.log.info(`[accounts] signed out: ${account?.label ?? id}`);
    this.changed.fire();
    return account;
  }

  /** The account's environments; loaded once and shared until `forget`. A failed load is not cached. */
  environments(account: SignedInAccount, signal: AbortSignal): Promise<Environment[]> {
    let pending = this.environmentCache.get(account.id);
    if (!pending) {
      pending = account.session.environments.list(signal);
      this.environmentCache.set(account.id, pending);
      pending.catch(() => this.environmentCache.delete(account.id));
    }
    return pending;
  }

  /** Every environment of every account, each with its account (for pickers). Failed accounts are logged and skipped. */
  async allEnvironments(signal: AbortSignal): Promise<{ account: SignedInAccount; environment: Environment }[]> {
    const lists = await Promise.all(
      this.accountList.map(async (account) => {
        try {
          return (await this.environments(account, signal)).map((environment) => ({ account, environment }));
        } catch (e) {
          this.log.warn(`[accounts] environments of ${account.label} unavailable: ${e instanceof Error ? e.message : String(e)}`);
          if (this.accountList.length === 1) {
            throw e;
          }
          return [];
        }
      }),
    );
    return lists.flat();
  }

  /** Finds an environment by id, org URL, unique name or display name (case-insensitive). */
  async findEnvironment(
    key: string,
    signal: AbortSignal,
  ): Promise<{ account: SignedInAccount; environment: Environment } | undefined> {
    const wanted = key.trim().toLowerCase().replace(/\/+$/, '');
    const all = await this.allEnvironments(signal);
    return all.find(({ environment: e }) =>
      [e.id, e.orgUrl, e.uniqueName, e.displayName].some((v) => v !== undefined && v.toLowerCase().replace(/\/+$/, '') === wanted),
    );
  }

  /** Forget cached environments (refresh). */
  forget(accountId?: string): void {
    if (accountId === undefined) {
      this.environmentCache.clear();
    } else {
      this.environmentCache.delete(accountId);
    }
  }

  async dispose(): Promise<void> {
    this.changed.dispose();
    const accounts = this.accountList.splice(0);
    await Promise.all(accounts.map((a) => a.session.dispose()));
  }
}
