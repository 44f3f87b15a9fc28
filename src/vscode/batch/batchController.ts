/**
 * Batch runs in the window: "Run All Input Files in Folder…" runs the core batch session
 * (src/core/batch/batchSession.ts) in the extension host over the window's one `RunService`, so every item
 * goes through `prepareRun` and `RunService.start` and shows in the status bar, transcript and "Recent runs"
 * like any other run. This file owns the batches of the window, their live state, and their persistence
 * (the batch journal on disk, plus the list of unfinished batches in `workspaceState` so a reload resumes them).
 */
import { rename } from 'node:fs/promises';
import path from 'node:path';
import * as vscode from 'vscode';
import { unfinishedBatchesKey } from './batchState';
import { BatchJournalError, journalExists, replayBatchJournal } from '../../core/batch/batchJournal';
import { displayPath } from '../../core/batch/batchItems';
import { finishedStatuses, summarize, writeBatchReport } from '../../core/batch/batchReport';
import {
  oneLanePerConnection,
  type BatchCounts,
  type BatchProgressEvent,
} from '../../core/batch/batchRunner';
import { batchIdFor, defaultJournalPath, runBatchSession } from '../../core/batch/batchSession';
import {
  SessionBatchPort,
  type BatchItemCheck,
  type BatchProblem,
  type SessionBatchPortOptions,
} from '../../core/batch/sessionBatchPort';
import { ApiError, CancellationError } from '../../core/errors';
import type { SecretResolver } from '../../core/inputs/secretReference';
import type { Logger } from '../../core/logger';
import type { DesktopFlowConnection as Connection } from '../../core/model/connection';
import type { ConnectionReference } from '../../core/model/connectionReference';
import type { Environment } from '../../core/model/environment';
import { DataverseRunsBackend } from '../../core/runs/dataverseRunsBackend';
import type { RunSubject } from '../../core/runs/runEvents';
import type { EnvironmentRef } from '../../core/runs/runJournal';
import { systemClock } from '../../core/runs/runClock';
import { validateRunOptions, type RunConnection } from '../../core/runs/runOptions';
import type { AccountService } from '../accounts/accountService';
import type { SignedInAccount } from '../accounts/signedInAccount';
import type { EnvironmentStatusBar } from '../environmentStatusBar';
import { describeError } from '../errorMessages';
import type { Prompts } from '../prompts';
import { UserFacingError } from '../registerCommand';
import type { RunsController } from '../runs/runsController';

/** One item of a batch as the view shows it. */
export interface BatchItemView {
  readonly file: string;
  flowId?: string;
  flowName?: string;
  runId?: string;
  connection?: string;
  /** pending, starting, queued, running, succeeded, failed, cancelled, rejected, unknown, skipped. */
  status: string;
  error?: { readonly code?: string; readonly message: string; readonly remedy?: string };
}

/** A batch of this window. */
export interface BatchView {
  readonly id: string;
  readonly folder: string;
  readonly journalFile: string;
  readonly environment: EnvironmentRef;
  readonly label: string;
  readonly items: Map<string, BatchItemView>;
  counts: BatchCounts | undefined;
  /** checking, running, done, cancelled, invalid, interrupted. */
  state: string;
  stopping: boolean;
  abort: AbortController;
}

/** What `desktopFlows.batch.runFolder` accepts besides the folder (the palette and tests give them). */
export interface RunFolderArgs {
  /** Environment display name, id or org URL (default: the workspace's default environment). */
  readonly environment?: string;
  /** Connection names. */
  readonly connections?: readonly string[];
  /** Connection reference logical names (besides or instead of `connections`). */
  readonly connectionReferences?: readonly string[];
  readonly runMode?: 'attended' | 'unattended';
  /** Run the valid items and skip the invalid ones without asking. */
  readonly skipInvalid?: boolean;
}

/** Unfinished batches of the workspace: resumed after a reload. */
interface PersistedBatch {
  readonly folder: string;
  readonly journalFile: string;
  readonly orgUrl: string;
}

const persistedKey = unfinishedBatchesKey;

export interface BatchControllerDeps {
  readonly workspaceState: vscode.Memento;
  readonly log: Logger;
  readonly accounts: AccountService;
  readonly environmentStatus: Pick<EnvironmentStatusBar, 'resolveDefault'>;
  readonly runs: RunsController;
  readonly secretResolver: SecretResolver;
  readonly accountsReady: Promise<unknown>;
  /** The window's prompts (Escape throws `CancellationError`). */
  readonly prompts: Prompts;
}

/** Records each file's flow while the batch is checked (the rows are grouped under their flows). */
class ViewBatchPort extends SessionBatchPort {
  constructor(
    options: SessionBatchPortOptions,
    private readonly seen: (file: string, check: BatchItemCheck) => void,
  ) {
    super(options);
  }

  override async check(
    file: string,
    explicit: boolean,
    connection: RunConnection,
    signal: AbortSignal,
  ): Promise<BatchItemCheck> {
    const result = await super.check(file, explicit, connection, signal);
    this.seen(file, result);
    return result;
  }
}

function terminal(status: string): boolean {
  return ['succeeded', 'failed', 'cancelled', 'rejected', 'skipped'].includes(status);
}

/** The batches of the window; see the file comment. */
export class BatchController implements vscode.Disposable {
  readonly batches = new Map<string, BatchView>();
  readonly problems = vscode.languages.createDiagnosticCollection('desktopFlows.batch');
  private readonly changed = new vscode.EventEmitter<BatchView | undefined>();
  readonly onDidChange = this.changed.event;
  /** Sessions in flight (tests and dispose wait for them). */
  private readonly sessions = new Set<Promise<void>>();

  constructor(private readonly deps: BatchControllerDeps) {}

  /** Resumes the batches an earlier window left unfinished (after the accounts are restored). */
  async resumeUnfinished(): Promise<number> {
    await this.deps.accountsReady;
    const list = this.deps.workspaceState.get<PersistedBatch[]>(persistedKey) ?? [];
    let resumed = 0;
    for (const p of list) {
      if ([...this.batches.values()].some((b) => b.journalFile === p.journalFile && b.state === 'running')) {
        continue;
      }
      if (!(await journalExists(p.journalFile))) {
        await this.forget(p.journalFile);
        continue;
      }
      const found = await this.deps.accounts
        .findEnvironment(p.orgUrl, AbortSignal.timeout(60_000))
        .catch(() => undefined);
      if (found === undefined) {
        this.deps.log.warn(
          `[batch] cannot resume ${p.journalFile}: no signed-in account reaches ${p.orgUrl}`,
        );
        continue;
      }
      this.launch(found, p.folder, p.journalFile, undefined, { resume: true, skipInvalid: true });
      resumed++;
    }
    return resumed;
  }

  /** Resolves once every batch session of this window has ended. */
  async idle(): Promise<void> {
    while (this.sessions.size > 0) {
      await Promise.allSettled([...this.sessions]);
    }
  }

  /** "Run All Input Files in Folder…". Returns the batch id, or `undefined` when nothing was started. */
  async runFolder(folder: vscode.Uri | undefined, args: RunFolderArgs = {}): Promise<string | undefined> {
    const signal = AbortSignal.timeout(120_000);
    const dir = folder ?? (await this.pickFolder());
    if (dir === undefined) {
      return undefined;
    }
    const found = await this.pickEnvironment(args.environment, signal);
    const choices = await this.connectionChoices(found.environment, found.account, signal);
    const connections = oneLanePerConnection(
      args.connections !== undefined || args.connectionReferences !== undefined
        ? this.givenConnections(args, choices, found.environment)
        : await this.pickConnections(choices),
    );
    const runMode = args.runMode ?? (await this.pickMode());
    const checked = validateRunOptions({ connection: { kind: 'connection', name: 'placeholder' }, runMode });
    if (!checked.ok) {
      throw new UserFacingError('Choose attended or unattended as the run mode.');
    }
    const batchId = batchIdFor([dir.fsPath], undefined);
    const journalFile = defaultJournalPath(dir.fsPath, batchId);
    const running = this.batches.get(journalFile);
    if (running?.state === 'running' || running?.state === 'checking') {
      throw new UserFacingError(
        `A batch over ${path.basename(dir.fsPath)} is already running in this window.`,
      );
    }
    let resume = false;
    if (await journalExists(journalFile)) {
      const choice = await this.deps.prompts.confirm(
        `A batch journal for ${path.basename(dir.fsPath)} already exists. Resume that batch (only items never started run), or start a new one (items it started would run again)?`,
        {},
        'Resume',
        'Start New Batch',
      );
      resume = choice === 'Resume';
      if (!resume) {
        await rename(journalFile, journalFile.replace(/\.json$/i, '') + `.replaced-${Date.now()}.json`);
      }
    }
    const header = resume
      ? undefined
      : {
          batchId,
          environment: {
            id: found.environment.id,
            orgUrl: found.environment.orgUrl,
            displayName: found.environment.displayName,
          },
          runMode: checked.options.runMode,
          connections,
          wait: true,
        };
    const batch = this.launch(found, dir.fsPath, journalFile, header, {
      resume,
      skipInvalid: args.skipInvalid ?? false,
      interactive: args.skipInvalid === undefined,
    });
    return batch.id;
  }

  /** Stops new starts; with `cancelQueued`, also cancels the batch's runs still queued. */
  async cancel(batch: BatchView, cancelQueued: boolean): Promise<void> {
    batch.stopping = true;
    batch.abort.abort();
    this.changed.fire(batch);
    if (!cancelQueued) {
      return;
    }
    for (const item of batch.items.values()) {
      if (
        item.runId !== undefined &&
        item.flowId !== undefined &&
        (item.status === 'queued' || item.status === 'accepted')
      ) {
        await this.deps.runs
          .cancel(this.subjectOf(batch, item) as RunSubject, AbortSignal.timeout(60_000))
          .catch((e: unknown) => this.deps.log.warn(`[batch] cancelling ${item.runId} failed: ${String(e)}`));
      }
    }
  }

  /** Runs the failed items again as a new batch (its own journal). */
  async rerunFailed(batch: BatchView): Promise<string | undefined> {
    const failed = [...batch.items.values()].filter((i) =>
      ['failed', 'cancelled', 'rejected', 'unknown'].includes(i.status),
    );
    if (failed.length === 0) {
      void vscode.window.showInformationMessage(`No item of batch "${batch.label}" failed.`);
      return undefined;
    }
    const found = await this.deps.accounts.findEnvironment(
      batch.environment.orgUrl,
      AbortSignal.timeout(60_000),
    );
    if (found === undefined) {
      throw new UserFacingError(
        `Sign in to ${batch.environment.displayName ?? batch.environment.orgUrl} to rerun the failed items.`,
      );
    }
    const journal = await replayHeader(batch.journalFile);
    const files = failed.map((i) => i.file);
    const batchId = `${batch.id}-rerun-${Date.now()}`;
    const journalFile = path.join(path.dirname(batch.journalFile), `${batchId}.json`);
    const rerun = this.launch(
      found,
      batch.folder,
      journalFile,
      { ...journal, batchId, wait: true },
      {
        resume: false,
        skipInvalid: true,
        paths: files,
        label: `${batch.label} (rerun of ${failed.length} failed)`,
      },
    );
    return rerun.id;
  }

  /** Writes the report next to the journal and opens it. */
  async openReport(batch: BatchView): Promise<vscode.Uri> {
    const replay = await replayBatchJournal(batch.journalFile, AbortSignal.timeout(60_000));
    const files = [...replay.items.keys()];
    const summary = summarize(
      files,
      replay.items,
      await finishedStatuses(batch.journalFile, replay.items),
      0,
    );
    const target = batch.journalFile.replace(/\.json$/i, '') + '.report.json';
    let text = '';
    await writeBatchReport(
      (t) => {
        text += t;
      },
      {
        journalFile: batch.journalFile,
        header: replay.header,
        files,
        tracks: replay.items,
        summary,
        displayFile: (f) => displayPath(f, batch.folder),
      },
    );
    const uri = vscode.Uri.file(target);
    await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(text));
    await vscode.window.showTextDocument(uri, { preview: true });
    return uri;
  }

  /** The run subject of an item (for Show Details and Cancel). */
  subjectOf(batch: BatchView, item: BatchItemView): RunSubject | undefined {
    if (item.runId === undefined || item.flowId === undefined) {
      return undefined;
    }
    return {
      environment: batch.environment,
      flowId: item.flowId,
      runId: item.runId,
      ...(item.flowName === undefined ? {} : { flowName: item.flowName }),
    };
  }

  dispose(): void {
    // The journals stay: the next window resumes the unfinished batches.
    for (const b of this.batches.values()) {
      b.abort.abort();
    }
    this.problems.dispose();
    this.changed.dispose();
  }

  private launch(
    found: { account: SignedInAccount; environment: Environment },
    folder: string,
    journalFile: string,
    header: Parameters<typeof runBatchSession>[0]['header'],
    o: { resume: boolean; skipInvalid: boolean; interactive?: boolean; paths?: string[]; label?: string },
  ): BatchView {
    const environment: EnvironmentRef = {
      id: found.environment.id,
      orgUrl: found.environment.orgUrl,
      displayName: found.environment.displayName,
    };
    const batch: BatchView = {
      id: journalFile,
      folder,
      journalFile,
      environment,
      label: o.label ?? path.basename(folder),
      items: new Map(),
      counts: undefined,
      state: 'checking',
      stopping: false,
      abort: new AbortController(),
    };
    this.batches.set(batch.id, batch);
    this.changed.fire(undefined);
    this.deps.runs.runAccounts.remember(environment.orgUrl, found.account);
    const work = this.session(found, batch, header, o)
      .catch((e: unknown) => {
        batch.state = batch.stopping ? 'cancelled' : 'interrupted';
        const message = e instanceof BatchJournalError ? e.message : (describeError(e)?.message ?? String(e));
        if (!batch.stopping && !batch.abort.signal.aborted) {
          this.deps.log.error(`[batch] ${batch.label}: ${message}`);
          void vscode.window.showErrorMessage(
            `The batch "${batch.label}" stopped: ${message} It resumes from its journal after a reload.`,
          );
        }
      })
      .finally(() => {
        this.sessions.delete(work);
        this.changed.fire(batch);
      });
    this.sessions.add(work);
    return batch;
  }

  private async session(
    found: { account: SignedInAccount; environment: Environment },
    batch: BatchView,
    header: Parameters<typeof runBatchSession>[0]['header'],
    o: { resume: boolean; skipInvalid: boolean; interactive?: boolean; paths?: string[] },
  ): Promise<void> {
    const session = found.account.session;
    const service = this.deps.runs.core;
    const journalHeader = header ?? (await replayHeader(batch.journalFile));
    if (o.resume) {
      await this.restoreItems(batch);
    }
    const port = new ViewBatchPort(
      {
        session,
        service,
        environment: batch.environment,
        environmentNames: [
          found.environment.displayName,
          found.environment.id,
          found.environment.uniqueName,
          found.environment.orgUrl,
        ].filter((n): n is string => n !== undefined && n !== ''),
        options: {
          runMode: journalHeader.runMode,
          ...(journalHeader.priority === undefined ? {} : { priority: journalHeader.priority }),
          ...(journalHeader.timeoutSeconds === undefined
            ? {}
            : { timeoutSeconds: journalHeader.timeoutSeconds }),
        },
        resolver: this.deps.secretResolver,
        logger: this.deps.log,
      },
      (file, check) => {
        const item = batch.items.get(file) ?? { file, status: 'pending' };
        if (check.kind !== 'notAnItem' && check.flowId !== undefined) {
          item.flowId = check.flowId;
        }
        if (check.kind === 'item') {
          item.flowName = check.flowName;
        }
        if (check.kind === 'invalid') {
          item.status = 'invalid';
          const first = check.problems.find((p) => p.severity === 'error');
          if (first !== undefined) {
            item.error = {
              message: `Line ${first.line}:${first.column} (${first.path}): ${first.message}`,
              remedy: first.fix,
            };
          }
        }
        if (check.kind !== 'notAnItem') {
          batch.items.set(file, item);
        }
      },
    );
    const problems: BatchProblem[] = [];
    const paths = o.paths ?? [batch.folder];
    try {
      const result = await runBatchSession(
        {
          paths,
          journalFile: batch.journalFile,
          header: o.resume ? undefined : header,
          skipInvalid: o.skipInvalid,
          wait: true,
          port,
          service,
          backend: new DataverseRunsBackend(session.runs, batch.environment.orgUrl),
          clock: systemClock,
          logger: this.deps.log,
          onProblem: (p) => problems.push(p),
          onChecked: ({ items, invalid }) => {
            this.showProblems(problems);
            if (invalid === 0 || o.skipInvalid) {
              batch.state = 'running';
              void this.remember({
                folder: batch.folder,
                journalFile: batch.journalFile,
                orgUrl: batch.environment.orgUrl,
              });
              this.deps.log.info(
                `[batch] ${batch.label}: ${items} items checked, ${invalid} invalid; starting`,
              );
            }
            // The batch's flows are known now: its rows appear under them.
            this.changed.fire(undefined);
          },
          onProgress: (e, counts) => {
            batch.counts = counts;
            this.progress(batch, e);
            this.changed.fire(batch);
          },
        },
        batch.abort.signal,
      );
      if (result.kind === 'invalid') {
        batch.state = 'invalid';
        this.batches.delete(batch.id);
        this.changed.fire(undefined);
        const message = `${result.invalid} of ${result.items} input files in ${batch.label} have problems (${result.errors} errors); nothing was sent.`;
        if (o.interactive === true) {
          void vscode.window
            .showErrorMessage(message, 'Show Problems', 'Run the Valid Ones')
            .then(async (choice) => {
              if (choice === 'Show Problems') {
                await vscode.commands.executeCommand('workbench.actions.view.problems');
              } else if (choice === 'Run the Valid Ones') {
                this.launch(found, batch.folder, batch.journalFile, header, {
                  ...o,
                  skipInvalid: true,
                  interactive: false,
                });
              }
            });
        }
        return;
      }
      if (result.kind === 'empty') {
        batch.state = 'done';
        this.batches.delete(batch.id);
        this.changed.fire(undefined);
        void vscode.window.showWarningMessage(
          `No input files in ${batch.label}: an input file is a *.json file whose "$schema" names its flow.`,
        );
        return;
      }
      for (const [file, track] of result.tracks) {
        const item = batch.items.get(file) ?? { file, status: 'pending' };
        if (track.runId !== undefined) {
          item.runId = track.runId;
        }
        batch.items.set(file, item);
      }
      batch.counts = result.outcome.counts;
      batch.state = result.outcome.interrupted ? (batch.stopping ? 'cancelled' : 'interrupted') : 'done';
      if (batch.state === 'done' || batch.state === 'cancelled') {
        await this.forget(batch.journalFile);
      }
      const c = result.outcome.counts;
      this.deps.log.info(
        `[batch] ${batch.label}: ${batch.state}; ${c.succeeded} succeeded, ${c.failed} failed, ${c.cancelled} cancelled, ${c.skipped} skipped of ${c.total}`,
      );
    } finally {
      port.dispose();
    }
  }

  /** The items an earlier session journaled, as rows (their flow, run and last known state). */
  private async restoreItems(batch: BatchView): Promise<void> {
    const replay = await replayBatchJournal(batch.journalFile, AbortSignal.timeout(60_000));
    const statuses = await finishedStatuses(batch.journalFile, replay.items);
    for (const [file, track] of replay.items) {
      const item: BatchItemView = { file, status: 'pending' };
      if (track.flowId !== undefined) {
        item.flowId = track.flowId;
      }
      if (track.runId !== undefined) {
        item.runId = track.runId;
      }
      if (track.connection !== undefined) {
        item.connection = track.connection;
      }
      item.status =
        track.state === 'finished'
          ? (statuses.get(file) ?? 'failed')
          : track.state === 'accepted'
            ? 'queued'
            : track.state === 'notStarted' || track.state === 'starting'
              ? 'pending'
              : track.state;
      batch.items.set(file, item);
    }
  }

  private progress(batch: BatchView, e: BatchProgressEvent): void {
    if (e.kind === 'waiting') {
      return;
    }
    const item = batch.items.get(e.file) ?? { file: e.file, status: 'pending' };
    batch.items.set(e.file, item);
    switch (e.kind) {
      case 'started':
        item.runId = e.runId;
        item.connection = e.connection;
        item.status = 'queued';
        break;
      case 'status':
        item.runId = e.runId;
        if (!terminal(item.status)) {
          item.status = e.status;
        }
        break;
      case 'finished':
        item.runId = e.runId;
        item.status = e.status;
        if (e.error !== undefined) {
          item.error = e.error;
        }
        break;
      case 'rejected':
        item.status = 'rejected';
        item.error = e.error;
        break;
      case 'unknown':
        item.status = 'unknown';
        item.error = e.error;
        break;
      case 'requeued':
        item.status = 'pending';
        break;
    }
  }

  private showProblems(problems: readonly BatchProblem[]): void {
    this.problems.clear();
    const byFile = new Map<string, vscode.Diagnostic[]>();
    for (const p of problems) {
      const at = new vscode.Position(Math.max(0, p.line - 1), Math.max(0, p.column - 1));
      const d = new vscode.Diagnostic(
        new vscode.Range(at, at),
        `${p.path}: ${p.message} ${p.fix}`.trim(),
        p.severity === 'error' ? vscode.DiagnosticSeverity.Error : vscode.DiagnosticSeverity.Warning,
      );
      d.source = 'Desktop Flows batch';
      const list = byFile.get(p.file) ?? [];
      list.push(d);
      byFile.set(p.file, list);
    }
    for (const [file, list] of byFile) {
      this.problems.set(vscode.Uri.file(file), list);
    }
  }

  private async remember(p: PersistedBatch): Promise<void> {
    const list = (this.deps.workspaceState.get<PersistedBatch[]>(persistedKey) ?? []).filter(
      (x) => x.journalFile !== p.journalFile,
    );
    await this.deps.workspaceState.update(persistedKey, [...list, p]);
  }

  private async forget(journalFile: string): Promise<void> {
    const list = (this.deps.workspaceState.get<PersistedBatch[]>(persistedKey) ?? []).filter(
      (x) => x.journalFile !== journalFile,
    );
    await this.deps.workspaceState.update(persistedKey, list);
  }

  private async pickFolder(): Promise<vscode.Uri | undefined> {
    const picked = await this.deps.prompts.open({
      canSelectFolders: true,
      canSelectFiles: false,
      canSelectMany: false,
      openLabel: 'Run All Input Files',
      title: 'Folder of input files to run',
    });
    return picked[0];
  }

  private async pickEnvironment(
    key: string | undefined,
    signal: AbortSignal,
  ): Promise<{ account: SignedInAccount; environment: Environment }> {
    if (this.deps.accounts.accounts.length === 0) {
      throw new UserFacingError(
        'Sign in to Power Platform first ("Desktop Flows: Sign In" or "Try the Sandbox").',
      );
    }
    if (key !== undefined) {
      const found = await this.deps.accounts.findEnvironment(key, signal);
      if (found === undefined) {
        throw new UserFacingError(`No signed-in account reaches an environment "${key}".`);
      }
      return found;
    }
    const preferred = await this.deps.environmentStatus.resolveDefault(signal).catch(() => undefined);
    if (preferred !== undefined) {
      return preferred;
    }
    const all = await this.deps.accounts.allEnvironments(signal);
    const picked = await this.deps.prompts.pick(
      all.map((e) => ({ label: e.environment.displayName, description: e.environment.orgUrl, value: e })),
      { title: 'Environment to run the batch in', ignoreFocusOut: true },
    );
    return picked.value;
  }

  /** The environment's desktop-flow connections and connection references, read once per command. */
  private async connectionChoices(
    environment: Environment,
    account: SignedInAccount,
    signal: AbortSignal,
  ): Promise<{ connections: readonly Connection[]; references: readonly ConnectionReference[] }> {
    const [connections, references] = await Promise.all([
      account.session.connections.listDesktopFlowConnections(environment.id, signal),
      account.session.connectionReferences
        .listDesktopFlowReferences(environment.orgUrl, signal)
        .catch((e: unknown): ConnectionReference[] => {
          // Connections alone still make a batch; an environment without Dataverse has no references.
          if (!ApiError.is(e) || e.reason === 'cancelled') {
            throw e;
          }
          this.deps.log.warn(`[batch] could not read connection references: ${e.message}`);
          return [];
        }),
    ]);
    return { connections, references };
  }

  /** Connections and references given by name (palette arguments, tests), checked against the environment. */
  private givenConnections(
    args: RunFolderArgs,
    choices: { connections: readonly Connection[]; references: readonly ConnectionReference[] },
    environment: Environment,
  ): RunConnection[] {
    const out: RunConnection[] = [];
    const missing: string[] = [];
    for (const name of args.connections ?? []) {
      const found = choices.connections.find((c) => c.name.toLowerCase() === name.toLowerCase());
      if (found === undefined) {
        missing.push(`connection "${name}"`);
      } else {
        out.push({ kind: 'connection', name: found.name });
      }
    }
    for (const logicalName of args.connectionReferences ?? []) {
      const found = choices.references.find((r) => r.logicalName.toLowerCase() === logicalName.toLowerCase());
      if (found === undefined) {
        missing.push(`connection reference "${logicalName}"`);
      } else {
        out.push(referenceConnection(found));
      }
    }
    if (missing.length > 0) {
      throw new UserFacingError(
        `There is no desktop-flow ${missing.join(', ')} in ${environment.displayName}; nothing was sent.`,
      );
    }
    if (out.length === 0) {
      throw new UserFacingError('Choose at least one connection for the batch; nothing was sent.');
    }
    return out;
  }

  private async pickConnections(choices: {
    connections: readonly Connection[];
    references: readonly ConnectionReference[];
  }): Promise<RunConnection[]> {
    type Pick = vscode.QuickPickItem & { readonly connection?: RunConnection };
    const items: Pick[] = [
      { label: 'Connections', kind: vscode.QuickPickItemKind.Separator },
      ...choices.connections.map((c): Pick => ({
        label: `$(plug) ${c.displayName}`,
        description: c.name,
        detail: c.status,
        connection: { kind: 'connection', name: c.name },
      })),
    ];
    if (choices.references.length > 0) {
      items.push({ label: 'Connection references', kind: vscode.QuickPickItemKind.Separator });
      for (const r of choices.references) {
        const bound = choices.connections.find(
          (c) => c.name.toLowerCase() === r.connectionName?.toLowerCase(),
        );
        items.push({
          label: `$(references) ${r.displayName}`,
          description: r.logicalName,
          detail:
            r.connectionName === undefined
              ? 'Not bound to a connection yet: its runs will be refused'
              : `Uses ${bound?.displayName ?? r.connectionName} (shares that connection’s 70 starts per minute)`,
          connection: referenceConnection(r),
        });
      }
    }
    const picked = await this.deps.prompts.pickMany(items, {
      title:
        'Connections or connection references to spread the batch over (at most 70 starts per minute each)',
      ignoreFocusOut: true,
    });
    const chosen = picked.flatMap((p) => (p.connection === undefined ? [] : [p.connection]));
    if (chosen.length === 0) {
      throw new CancellationError();
    }
    return chosen;
  }

  private async pickMode(): Promise<'attended' | 'unattended'> {
    const picked = await this.deps.prompts.pick(
      [
        {
          label: 'Unattended',
          description: 'Runs on a machine with no one signed in',
          value: 'unattended' as const,
        },
        {
          label: 'Attended',
          description: 'Runs in the signed-in user’s session',
          value: 'attended' as const,
        },
      ],
      { title: 'Run mode for every item of the batch', ignoreFocusOut: true },
    );
    return picked.value;
  }
}

/** A reference as a batch lane: with the connection it is bound to, so lanes on one connection share one budget. */
function referenceConnection(r: ConnectionReference): RunConnection {
  return {
    kind: 'connectionReference',
    logicalName: r.logicalName,
    ...(r.connectionName === undefined ? {} : { connectionName: r.connectionName }),
  };
}

async function replayHeader(
  journalFile: string,
): Promise<NonNullable<Parameters<typeof runBatchSession>[0]['header']> & { runMode: string }> {
  const replay = await replayBatchJournal(journalFile, AbortSignal.timeout(60_000));
  const { t: _t, v: _v, createdAt: _c, ...rest } = replay.header;
  return rest;
}
