import type { RunDesktopFlowRequest } from '../../core/api/runsApi';
import { AuthError } from '../../core/errors';
import type { Run, RunStart } from '../../core/model/run';
import type { FlowLogEntry, RunAction } from '../../core/model/runActionLog';
import { DataverseRunsBackend } from '../../core/runs/dataverseRunsBackend';
import type { EnvironmentRef } from '../../core/runs/runJournal';
import { orgKey } from '../../core/runs/runKeys';
import type { RunPage, RunQuery, RunsBackend } from '../../core/runs/runsBackend';
import type { AccountService } from '../accounts/accountService';
import type { SignedInAccount } from '../accounts/signedInAccount';

/**
 * Which signed-in account reaches an environment's runs, and which orgs no signed-in account reaches (their
 * runs are orphaned: nobody can watch them until someone signs in). Runs are journaled by environment only,
 * so after a reload the account is found again among the accounts whose environments include the org URL.
 * Accounts are looked up on every call rather than kept, because signing in again replaces an account's
 * session.
 */
export class RunAccounts {
  /** Org key → id of the account that reaches it. */
  private readonly known = new Map<string, string>();
  /** Org keys no signed-in account reaches: their account signed out, or the last lookup found none. */
  private readonly unreached = new Set<string>();

  constructor(
    private readonly accounts: AccountService,
    private readonly ready: Promise<unknown> = Promise.resolve(),
  ) {}

  /** Records that `account` reaches `orgUrl` (when a run is started through it). */
  remember(orgUrl: string, account: SignedInAccount): void {
    this.known.set(orgKey(orgUrl), account.id);
    this.unreached.delete(orgKey(orgUrl));
  }

  /**
   * Whether a signed-in account reaches `orgUrl` (asked when an account signs out and when watching an
   * org's runs fails): true when one is known to; false when the account that reached it signed out, or
   * the last lookup (`resolve`) found no signed-in account that does; `undefined` when not known yet.
   */
  reaches(orgUrl: string): boolean | undefined {
    const key = orgKey(orgUrl);
    const id = this.known.get(key);
    if (id === undefined) {
      return this.unreached.has(key) ? false : undefined;
    }
    if (this.accounts.get(id) !== undefined) {
      return true;
    }
    this.known.delete(key);
    this.unreached.add(key);
    return false;
  }

  /**
   * The account for an org URL. Waits for accounts of earlier sessions to be restored; throws `AuthError`
   * `noAccount` when no signed-in account can reach it (the watcher retries later, so signing in resumes it).
   */
  async resolve(orgUrl: string, signal: AbortSignal): Promise<SignedInAccount> {
    await this.ready;
    const key = orgKey(orgUrl);
    const rememberedId = this.known.get(key);
    const remembered = rememberedId === undefined ? undefined : this.accounts.get(rememberedId);
    if (remembered !== undefined) {
      this.unreached.delete(key);
      return remembered;
    }
    for (const account of this.accounts.accounts) {
      let environments;
      try {
        environments = await this.accounts.environments(account, signal);
      } catch {
        // One account's failure must not hide the environment behind another account.
        continue;
      }
      if (environments.some((e) => orgKey(e.orgUrl) === key)) {
        this.remember(orgUrl, account);
        return account;
      }
    }
    this.known.delete(key);
    this.unreached.add(key);
    throw new AuthError('noAccount', `No signed-in account reaches ${orgUrl}. Sign in to watch its runs.`);
  }

  /** The runs core's backend for an environment; each call goes through the account that reaches it now. */
  backendFor(environment: EnvironmentRef): RunsBackend {
    return new AccountRunsBackend(environment.orgUrl, (signal) =>
      this.backendNow(environment.orgUrl, signal),
    );
  }

  private async backendNow(orgUrl: string, signal: AbortSignal): Promise<RunsBackend> {
    const account = await this.resolve(orgUrl, signal);
    return new DataverseRunsBackend(account.session.runs, orgUrl);
  }
}

/** A `RunsBackend` that picks the account's current session per call. */
class AccountRunsBackend implements RunsBackend {
  constructor(
    readonly orgUrl: string,
    private readonly current: (signal: AbortSignal) => Promise<RunsBackend>,
  ) {}

  async startRun(flowId: string, request: RunDesktopFlowRequest, signal: AbortSignal): Promise<RunStart> {
    return (await this.current(signal)).startRun(flowId, request, signal);
  }
  async listRuns(query: RunQuery, signal: AbortSignal): Promise<RunPage> {
    return (await this.current(signal)).listRuns(query, signal);
  }
  async listRunsPage(nextPage: string, query: RunQuery, signal: AbortSignal): Promise<RunPage> {
    return (await this.current(signal)).listRunsPage(nextPage, query, signal);
  }
  async getRun(runId: string, signal: AbortSignal): Promise<Run> {
    return (await this.current(signal)).getRun(runId, signal);
  }
  async getRunOutputs(runId: string, signal: AbortSignal): Promise<Record<string, unknown> | undefined> {
    return (await this.current(signal)).getRunOutputs(runId, signal);
  }
  async getRunInputs(runId: string, signal: AbortSignal): Promise<Record<string, unknown> | undefined> {
    return (await this.current(signal)).getRunInputs(runId, signal);
  }
  async getActionLog(runId: string, signal: AbortSignal): Promise<readonly RunAction[]> {
    return (await this.current(signal)).getActionLog(runId, signal);
  }
  async getFlowLogs(runId: string, signal: AbortSignal): Promise<readonly FlowLogEntry[]> {
    const backend = await this.current(signal);
    return backend.getFlowLogs === undefined ? [] : backend.getFlowLogs(runId, signal);
  }
  async cancelRun(runId: string, signal: AbortSignal): Promise<void> {
    return (await this.current(signal)).cancelRun(runId, signal);
  }
}
