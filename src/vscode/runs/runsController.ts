import { randomUUID } from 'node:crypto';
import { runKey } from '../../core/runs/runKeys';
import * as vscode from 'vscode';
import type { Logger } from '../../core/logger';
import type { RunFinishedEvent, RunSubject } from '../../core/runs/runEvents';
import type { EnvironmentRef, JournaledRun } from '../../core/runs/runJournal';
import { prepareRun, type RunProblem } from '../../core/runs/prepareRun';
import type { RunRequest } from '../../core/runs/runRequest';
import type { RunHistoryPage } from '../../core/runs/runReview';
import { RunService, type StartedRun } from '../../core/runs/runService';
import { formatRunEvent } from '../../core/runs/runTranscript';
import type { FlowSchemaCache } from '../../core/inputs/flowSchemaCache';
import type { SecretResolver } from '../../core/inputs/secretReference';
import { secretMasker } from '../../core/util/secretMasker';
import type { AccountService } from '../accounts/accountService';
import type { SignedInAccount } from '../accounts/signedInAccount';
import { commandIds } from '../commandIds';
import type { ConfigurationService } from '../configuration';
import { setContext } from '../contextKeys';
import { describeError } from '../errorMessages';
import type { ExplorerNode } from '../tree/explorerNode';
import { flowSchemas, maskSensitive } from './sensitiveValues';
import { describeRunProblems } from './runProblemWords';
import { MementoRunJournal } from './mementoRunJournal';
import { RecentRunsContributor, type RecentRunsSource } from './recentRunsNodes';
import type { RunAccounts } from './runAccounts';
import { RunStore, type RunStoreChange } from './runStore';
import { RunDocumentProvider } from './runDocuments';
import { SharedRunState } from '../../core/runs/sharedRunState';
import { describeRunError } from './runErrorWords';
import { RunNotifier, type RunNotifierActions } from './runNotifier';
import { runCoreSettings } from './runCoreSettings';
import { RunOptionsMemory } from './runOptionsMemory';
import { RunStatusBar, type StatusBarLinger } from './runStatusBar';
import { flowLabel } from './runSubjects';
import { RunTranscriptChannel } from './runTranscriptChannel';

/** Construction options of `RunsController`. */
export interface RunsControllerOptions {
  readonly globalState: vscode.Memento;
  readonly workspaceState: vscode.Memento;
  readonly log: Logger;
  readonly accounts: AccountService;
  /** The settings (`desktopFlows.runs.*`): poll bounds, notifications, transcript, resend. */
  readonly config: ConfigurationService;
  /** Resolves once accounts of earlier sessions are restored; resumed runs wait for it. */
  readonly accountsReady?: Promise<unknown>;
  /** Explorer re-rendering for the "Recent runs" rows. */
  readonly tree?: { rerender(node: ExplorerNode): void; refresh(node: ExplorerNode): void };
  /** What notifications' buttons do. */
  readonly actions: RunNotifierActions;
  readonly journalKey?: string;
  readonly statusBarLinger?: StatusBarLinger;
  /** Resolves `${secret:}` / `${env:}` references in inputs (the input-files feature lends it). */
  readonly secrets?: SecretResolver;
  /** The window's one schema cache, made and disposed by the composition root (shared with input files). */
  readonly schemas: FlowSchemaCache;
  /** Which signed-in account reaches an org (made by the composition root; input files remember into it). */
  readonly runAccounts: RunAccounts;
}

/** A run to start: the request, and the account that reaches its environment. */
export interface StartRunRequest {
  readonly account: SignedInAccount;
  readonly request: RunRequest;
  /** The flow as the front end names it, for messages before the flow is resolved. */
  readonly flowName?: string;
  /** The input file the inputs came from (URI string), remembered for Run Again. */
  readonly inputFile?: string;
}

/** `startRun`'s answer: the started run, or why it was not sent. */
export type StartRunResult =
  | { readonly ok: true; readonly run: StartedRun; readonly warnings: readonly RunProblem[] }
  | { readonly ok: false; readonly problems: readonly RunProblem[] };

/**
 * The runs feature of one window: owns the runs core (`RunService`, rebuilt by `restart`), its journal in
 * `globalState`, and the surfaces that show runs (status bar, transcript channel, notifications, documents,
 * "Recent runs" rows). Every core event is handled in order through one queue.
 */
export class RunsController implements vscode.Disposable {
  /** The one holder of run state in this window; every surface subscribes to it. */
  readonly store = new RunStore();
  readonly transcript = new RunTranscriptChannel();
  readonly statusBar: RunStatusBar;
  readonly notifier: RunNotifier;
  readonly memory: RunOptionsMemory;
  readonly runAccounts: RunAccounts;
  readonly schemas: FlowSchemaCache;
  readonly documents: RunDocumentProvider;
  readonly recentRuns: RecentRunsContributor;
  readonly journal: MementoRunJournal;
  private service: RunService | undefined;
  private serviceSubscription: { dispose(): void } | undefined;
  private queue: Promise<void> = Promise.resolve();
  private readonly disposables: vscode.Disposable[] = [];
  private historySeen = false;

  constructor(private readonly options: RunsControllerOptions) {
    this.statusBar = new RunStatusBar(this.store, options.statusBarLinger);
    this.notifier = new RunNotifier(options.actions, options.log);
    this.memory = new RunOptionsMemory(options.workspaceState);
    this.runAccounts = options.runAccounts;
    this.schemas = options.schemas;
    this.journal = new MementoRunJournal(options.globalState, options.journalKey);
    this.documents = new RunDocumentProvider(() => this.core, this.schemas, this.runAccounts);
    const source: RecentRunsSource = {
      history: (environment, flowId, o, signal) => this.history(environment, flowId, o, signal),
      accountSeen: (orgUrl, account) => this.runAccounts.remember(orgUrl, account),
      historySeen: () => this.markHistory(),
      rerender: (node) => options.tree?.rerender(node),
      refresh: (node) => options.tree?.refresh(node),
    };
    this.recentRuns = new RecentRunsContributor(source);
    const storeSub = this.store.onDidChange((change) => this.subscribe(change));
    let signedIn = options.accounts.accounts.length;
    const accountsSub = options.accounts.onDidChangeAccounts(() => {
      const now = options.accounts.accounts.length;
      if (now > signedIn) {
        this.signedIn();
      } else {
        this.stopUnreached();
      }
      signedIn = now;
    });
    this.disposables.push(
      this.statusBar,
      this.notifier,
      this.transcript,
      this.documents,
      { dispose: () => storeSub.dispose() },
      accountsSub,
      vscode.workspace.onDidCloseTextDocument((d) => this.documents.documentClosed(d.uri)),
      options.config.onDidChange((e) => {
        if (e.affects('pollIntervalMinSeconds', 'pollIntervalMaxSeconds')) {
          this.service?.setPollInterval(runCoreSettings(this.options.config.current).poll);
        }
      }),
    );
  }

  /** The runs core; started on first use. */
  get core(): RunService {
    return this.service ?? this.createService();
  }

  /** True while the core service runs (between `start` and `stop`). */
  get running(): boolean {
    return this.service !== undefined;
  }

  /** Starts the core and resumes watching the journaled runs (runs that ended meanwhile are reported once). */
  async start(signal: AbortSignal = AbortSignal.timeout(120_000)): Promise<readonly JournaledRun[]> {
    const core = this.core;
    const resumed = await core.resume(signal);
    if (resumed.length > 0) {
      this.store.dispatch({ kind: 'resumed', runs: resumed });
    }
    return resumed;
  }

  /** Stops the core (every watcher and timer) after saving the journal; `start` resumes from it. */
  async stop(): Promise<void> {
    const core = this.service;
    if (core === undefined) {
      return;
    }
    await core.flushJournal();
    this.service = undefined;
    this.serviceSubscription?.dispose();
    this.serviceSubscription = undefined;
    core.dispose();
    await this.queue;
    this.store.dispatch({ kind: 'cleared' });
  }

  /** Resolves once every event received so far has been shown. */
  idle(): Promise<void> {
    return this.queue;
  }

  /**
   * The one way the extension starts a run: `prepareRun` (target, inputs, options and connection, each
   * checked once) and, only when nothing blocks, `RunService.start` (rate limit, exactly once). Resolves once
   * the service accepted the run, or with the problems (nothing was sent). A refusal is written to the
   * transcript. Run errors are thrown in words (`UserFacingError`); service errors as they are.
   */
  async startRun(start: StartRunRequest, signal: AbortSignal): Promise<StartRunResult> {
    const { account, request } = start;
    const flowName =
      start.flowName ??
      (request.target.flow.kind === 'resolved' ? request.target.flow.flow.name : request.target.flow.key);
    if (request.target.environment.kind === 'resolved') {
      this.runAccounts.remember(request.target.environment.ref.orgUrl, account);
    }
    const prepared = await prepareRun(
      request,
      {
        session: account.session,
        schemas: this.schemas,
        logger: this.options.log,
        masker: secretMasker,
        ...(this.options.secrets === undefined ? {} : { resolver: this.options.secrets }),
      },
      signal,
    );
    if (!prepared.ok) {
      const message = describeRunProblems(flowName, prepared.problems);
      this.enqueue(() => this.transcript.appendStamped(message));
      return prepared;
    }
    const run = prepared.run;
    this.runAccounts.remember(run.environment.orgUrl, account);
    const triggerId = randomUUID();
    this.store.dispatch({
      kind: 'starting',
      triggerId,
      environment: run.environment,
      flowId: run.flow.id,
      flowName: run.flow.name,
    });
    if (this.options.config.current.revealTranscript === 'onStart') {
      this.transcript.show();
    }
    let started: StartedRun;
    try {
      // Read per start: a changed setting applies to the next start, not only after a reload.
      started = await this.core.start(run, signal, {
        triggerId,
        followActionLog: true,
        resendWhenUncertain: runCoreSettings(this.options.config.current).resendWhenUncertain,
      });
    } catch (e) {
      this.store.dispatch({ kind: 'notStarted', triggerId });
      const words = describeRunError(e, run.flow.name);
      const message = words instanceof Error && words !== e ? words.message : describeError(e)?.message;
      if (message !== undefined) {
        this.enqueue(() => this.transcript.appendStamped(`Could not start "${run.flow.name}": ${message}`));
      }
      throw words;
    }
    // Remembered only once the service accepted them: options it refused are not offered again.
    await this.memory.remember(run.environment.orgUrl, run.flow.id, {
      options: run.options,
      ...(start.inputFile === undefined ? {} : { inputFile: start.inputFile }),
    });
    this.memory.recordLaunch(runKey(started.environment.orgUrl, started.runId), {
      options: run.options,
      inputFile: start.inputFile,
    });
    return { ok: true, run: started, warnings: prepared.warnings };
  }

  /** A flow's recent runs, newest first. */
  history(
    environment: EnvironmentRef,
    flowId: string,
    options: { readonly pageSize?: number; readonly nextPage?: string },
    signal: AbortSignal,
  ): Promise<RunHistoryPage> {
    return this.core.history(environment, flowId, options, signal);
  }

  /** Cancels a run; the `finished` event follows when the service reports it cancelled. */
  async cancel(subject: RunSubject, signal: AbortSignal): Promise<void> {
    try {
      await this.core.cancel(subject, signal);
    } catch (e) {
      throw describeRunError(e, subject.flowName);
    }
    this.enqueue(() =>
      this.transcript.appendStamped(
        `Cancel requested for "${flowLabel(subject)}" run ${subject.runId.slice(0, 8)}`,
      ),
    );
  }

  dispose(): void {
    // The journal keeps the active runs: the next activation resumes them.
    void this.service?.flushJournal();
    this.serviceSubscription?.dispose();
    this.service?.dispose();
    this.service = undefined;
    this.store.dispose();
    for (const d of this.disposables.splice(0)) {
      d.dispose();
    }
  }

  private createService(): RunService {
    const service = new RunService({
      backendFor: (environment) => this.runAccounts.backendFor(environment),
      journal: this.journal,
      logger: this.options.log,
      ...runCoreSettings(this.options.config.current),
      // Claims and start locks shared with the CLI and other windows of this user.
      shared: SharedRunState.atDefaultLocation(),
    });
    this.serviceSubscription = service.onEvent((e) => this.store.dispatch(e));
    this.service = service;
    return service;
  }

  private enqueue(work: () => void | Promise<void>): void {
    this.queue = this.queue.then(work).catch((e: unknown) => {
      this.options.log.error(
        `[runs] showing a run event failed: ${e instanceof Error ? e.message : String(e)}`,
      );
    });
  }

  private markHistory(): void {
    if (!this.historySeen) {
      this.historySeen = true;
      void setContext('desktopFlows.hasRunHistory', true);
    }
  }

  /**
   * Runs whose org no signed-in account reaches any more (`RunAccounts.reaches`: their account signed out,
   * or watching them found no account) keep their last status, show no timer, and are not offered to
   * cancel; the maker is told plainly, with Sign In to resume (defect 3 of issue 14). Asked when an account
   * signs out and when watching an org's runs fails.
   */
  private stopUnreached(): void {
    const orgs = new Map<string, string>();
    for (const run of this.store.active()) {
      if (run.runId !== undefined && this.runAccounts.reaches(run.environment.orgUrl) === false) {
        orgs.set(run.environment.orgUrl, run.environment.displayName ?? run.environment.orgUrl);
      }
    }
    this.stopWatching(orgs);
  }

  /** Marks the watched runs of `orgs` (org URL → display name) as no longer watched, and says so once. */
  private stopWatching(orgs: ReadonlyMap<string, string>): void {
    const before = this.store.stopped().length;
    if (orgs.size === 0) {
      return;
    }
    this.store.dispatch({ kind: 'watchStopped', orgUrls: [...orgs.keys()], reason: 'signedOut' });
    const stopped = this.store.stopped();
    if (stopped.length === before) {
      return;
    }
    const names = [
      ...new Set(stopped.map((r) => `"${flowLabel({ flowId: r.flowId, flowName: r.flowName })}"`)),
    ];
    const message = `Stopped watching ${stopped.length === 1 ? `the run of ${names.join(', ')}` : `${stopped.length} runs (${names.join(', ')})`} in ${[...orgs.values()].join(', ')} because the account signed out. The run${stopped.length === 1 ? ' goes' : 's go'} on in the service; sign in again to resume watching.`;
    this.enqueue(() => this.transcript.appendStamped(message));
    void vscode.window.showWarningMessage(message, 'Sign In').then((picked) => {
      if (picked === 'Sign In') {
        void vscode.commands.executeCommand(commandIds.signIn);
      }
    });
  }

  /** An account signed in: runs whose org it reaches are watched again (the core has kept polling). */
  private signedIn(): void {
    const stopped = this.store.stopped();
    const orgs = [...new Set(stopped.map((r) => r.environment.orgUrl))];
    void Promise.all(
      orgs.map((org) =>
        this.runAccounts.resolve(org, AbortSignal.timeout(60_000)).then(
          () => org,
          () => undefined,
        ),
      ),
    ).then((reached) => {
      const back = new Set(reached.filter((o): o is string => o !== undefined));
      const keys = this.store
        .stopped()
        .filter((r) => back.has(r.environment.orgUrl))
        .map((r) => r.key);
      if (keys.length > 0) {
        this.store.dispatch({ kind: 'watchResumed', keys });
        this.enqueue(() =>
          this.transcript.appendStamped(
            `Signed in again: watching ${keys.length} run${keys.length === 1 ? '' : 's'} again.`,
          ),
        );
      }
    });
  }

  /**
   * The surfaces that follow the store besides the status bar (which subscribes itself): the transcript
   * (in event order, through one queue), the notifier, "Recent runs" rows, run documents and context keys.
   */
  private subscribe(change: RunStoreChange): void {
    const e = change.action;
    void setContext('desktopFlows.hasActiveRuns', this.store.active().length > 0);
    switch (e.kind) {
      case 'triggered': {
        const masked = change.run?.display?.maskedInputs ?? e.display?.maskedInputs;
        this.enqueue(() => {
          this.transcript.append(formatRunEvent(e));
          this.transcript.append(`${' '.repeat(22)}Inputs: ${masked === undefined ? 'none' : clip(masked)}`);
        });
        this.markHistory();
        this.recentRuns.runStarted(e.environment.orgUrl, e.flowId);
        return;
      }
      case 'error':
        this.enqueue(() => this.transcript.append(formatRunEvent(e)));
        // Watching may have failed because no signed-in account reaches the org any more (it signed out
        // before its runs were first checked): the same as a sign-out, not an endless retry with a timer.
        this.stopUnreached();
        return;
      case 'waitingForRateLimit':
      case 'actionLog':
        this.enqueue(() => this.transcript.append(formatRunEvent(e)));
        return;
      case 'licenseWarning':
        this.enqueue(() => this.transcript.append(formatRunEvent(e)));
        this.notifier.licenseWarning(e);
        return;
      case 'stateChanged':
        this.enqueue(() => this.transcript.append(formatRunEvent(e)));
        this.recentRuns.runChanged(e);
        this.documents.runChanged(e.environment.orgUrl, e.runId);
        return;
      case 'finished':
        this.markHistory();
        this.recentRuns.runChanged(e);
        this.documents.runChanged(e.environment.orgUrl, e.runId);
        this.enqueue(() => this.finished(e));
        return;
      case 'resumed':
        if (e.runs.length > 0) {
          this.markHistory();
          this.enqueue(() =>
            this.transcript.appendStamped(
              `Resumed watching ${e.runs.length} run${e.runs.length === 1 ? '' : 's'} started earlier: ${e.runs.map((r) => `"${flowLabel(r)}" run ${r.runId.slice(0, 8)}`).join(', ')}`,
            ),
          );
        }
        return;
      case 'starting':
      case 'notStarted':
      case 'cleared':
      case 'watchStopped':
      case 'watchResumed':
        return;
    }
  }

  private async finished(e: RunFinishedEvent): Promise<void> {
    const schema =
      e.outputs === undefined
        ? undefined
        : await flowSchemas(this.schemas, e.environment.orgUrl, e.flowId, AbortSignal.timeout(30_000)).catch(
            () => undefined,
          );
    this.transcript.append(formatRunEvent(e, { maskOutputs: (o) => maskSensitive(o, schema?.outputs) }));
    const config = this.options.config.current;
    this.notifier.finished(e, config.notifyOnCompletion);
    if (config.revealTranscript === 'onFailure' && e.status !== 'succeeded') {
      this.transcript.show();
    }
  }
}

const maxInputsShown = 2_000;

/** Long inputs are cut in the transcript (they may be up to 2 MB); the details document shows them whole. */
function clip(text: string): string {
  return text.length > maxInputsShown
    ? `${text.slice(0, maxInputsShown)}… (${text.length} characters)`
    : text;
}
