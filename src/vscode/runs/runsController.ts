import { randomUUID } from 'node:crypto';
import * as vscode from 'vscode';
import type { Logger } from '../../core/logger';
import type { RunEvent, RunFinishedEvent, RunSubject } from '../../core/runs/runEvents';
import type { EnvironmentRef, JournaledRun } from '../../core/runs/runJournal';
import type { RunOptions } from '../../core/runs/runOptions';
import type { RunHistoryPage } from '../../core/runs/runReview';
import { RunService } from '../../core/runs/runService';
import { formatRunEvent } from '../../core/runs/runTranscript';
import type { TriggeredRun } from '../../core/runs/runTrigger';
import type { AccountService } from '../accounts/accountService';
import type { SignedInAccount } from '../accounts/signedInAccount';
import { readConfig } from '../configuration';
import { setContext } from '../contextKeys';
import { describeError } from '../errorMessages';
import type { ExplorerNode } from '../tree/explorerNode';
import { FlowSchemaCache, maskSensitive } from './flowSchemaCache';
import { MementoRunJournal } from './mementoRunJournal';
import { RecentRunsContributor, type RecentRunsSource } from './recentRunsNodes';
import { RunAccounts } from './runAccounts';
import { RunBoard } from './runBoard';
import { RunDocumentProvider } from './runDocuments';
import { SharedRunState } from '../../core/runs/sharedRunState';
import { describeRunError } from './runErrorWords';
import { RunNotifier, type RunNotifierActions } from './runNotifier';
import { RunOptionsMemory } from './runOptionsMemory';
import { RunStatusBar, type StatusBarLinger } from './runStatusBar';
import { flowLabel, runKey } from './runSubjects';
import { RunTranscriptChannel } from './runTranscriptChannel';

/** Construction options of `RunsController`. */
export interface RunsControllerOptions {
  readonly globalState: vscode.Memento;
  readonly workspaceState: vscode.Memento;
  readonly log: Logger;
  readonly accounts: AccountService;
  /** Resolves once accounts of earlier sessions are restored; resumed runs wait for it. */
  readonly accountsReady?: Promise<unknown>;
  /** Explorer re-rendering for the "Recent runs" rows. */
  readonly tree?: { rerender(node: ExplorerNode): void; refresh(node: ExplorerNode): void };
  /** What notifications' buttons do. */
  readonly actions: RunNotifierActions;
  readonly journalKey?: string;
  readonly statusBarLinger?: StatusBarLinger;
}

/** A run to start, with everything already chosen. */
export interface StartRunRequest {
  readonly account: SignedInAccount;
  readonly environment: EnvironmentRef;
  readonly flowId: string;
  readonly flowName: string;
  readonly options: RunOptions;
  /** The exact inputs string to send; `undefined` sends none. */
  readonly inputs?: string;
  /** `inputs` with sensitive values masked, for the transcript. */
  readonly maskedInputs?: string;
  /** The input file the inputs came from (URI string), remembered for Run Again. */
  readonly inputFile?: string;
}

/**
 * The runs feature of one window: owns the runs core (`RunService`, rebuilt by `restart`), its journal in
 * `globalState`, and the surfaces that show runs (status bar, transcript channel, notifications, documents,
 * "Recent runs" rows). Every core event is handled in order through one queue.
 */
export class RunsController implements vscode.Disposable {
  readonly board = new RunBoard();
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
  private readonly pendingInputs = new Map<string, string | undefined>();
  private readonly disposables: vscode.Disposable[] = [];
  private historySeen = false;
  /** Runs per "Recent runs" page (a screenful; tests lower it to see paging). */
  historyPageSize = 10;

  constructor(private readonly options: RunsControllerOptions) {
    this.statusBar = new RunStatusBar(this.board, options.statusBarLinger);
    this.notifier = new RunNotifier(options.actions, options.log);
    this.memory = new RunOptionsMemory(options.workspaceState);
    this.runAccounts = new RunAccounts(options.accounts, options.accountsReady);
    this.schemas = new FlowSchemaCache(this.runAccounts);
    this.journal = new MementoRunJournal(options.globalState, options.journalKey);
    this.documents = new RunDocumentProvider(() => this.core, this.schemas, this.runAccounts);
    const source: RecentRunsSource = {
      history: (environment, flowId, o, signal) => this.history(environment, flowId, o, signal),
      accountSeen: (orgUrl, account) => this.runAccounts.remember(orgUrl, account),
      historySeen: () => this.markHistory(),
      rerender: (node) => options.tree?.rerender(node),
      refresh: (node) => options.tree?.refresh(node),
    };
    this.recentRuns = new RecentRunsContributor(source, () => this.historyPageSize);
    const boardSub = this.board.onDidChange(
      () => void setContext('desktopFlows.hasActiveRuns', this.board.active().length > 0),
    );
    this.disposables.push(
      this.statusBar,
      this.transcript,
      this.documents,
      { dispose: () => boardSub.dispose() },
      vscode.workspace.onDidCloseTextDocument((d) => this.documents.documentClosed(d.uri)),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('desktopFlows.runs')) {
          this.service?.setPollInterval(pollOptions());
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
      this.board.resumed(resumed);
      this.markHistory();
      this.enqueue(() =>
        this.transcript.appendStamped(
          `Resumed watching ${resumed.length} run${resumed.length === 1 ? '' : 's'} started earlier: ${resumed.map((r) => `"${flowLabel(r)}" run ${r.runId.slice(0, 8)}`).join(', ')}`,
        ),
      );
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
    this.board.clearActive();
  }

  /** What a window reload does to the runs feature: stop, then start over the same journal. */
  async restart(): Promise<readonly JournaledRun[]> {
    await this.stop();
    return this.start();
  }

  /** Resolves once every event received so far has been shown. */
  idle(): Promise<void> {
    return this.queue;
  }

  /**
   * Starts a run (waiting for the connection's rate budget when needed) and watches it. Resolves once the
   * service accepted it. Run errors are thrown in words (`UserFacingError`); service errors as they are.
   */
  async startRun(request: StartRunRequest, signal: AbortSignal): Promise<TriggeredRun> {
    const config = readConfig();
    this.runAccounts.remember(request.environment.orgUrl, request.account);
    const triggerId = randomUUID();
    this.pendingInputs.set(triggerId, request.maskedInputs);
    this.board.starting(triggerId, request.environment, request.flowId, request.flowName);
    // Fetched now so the outputs can be masked the moment the run ends.
    this.schemas
      .get(request.environment.orgUrl, request.flowId, AbortSignal.timeout(60_000))
      .catch(() => undefined);
    if (config.revealTranscript === 'onStart') {
      this.transcript.show();
    }
    let run: TriggeredRun;
    try {
      run = await this.core.trigger(
        {
          environment: request.environment,
          flowId: request.flowId,
          flowName: request.flowName,
          options: request.options,
          triggerId,
          followActionLog: true,
          resendWhenUncertain: readConfig().resendWhenUncertain,
          ...(request.inputs === undefined ? {} : { inputs: request.inputs }),
        },
        signal,
      );
    } catch (e) {
      this.pendingInputs.delete(triggerId);
      this.board.notStarted(triggerId);
      const words = describeRunError(e, request.flowName);
      const message = words instanceof Error && words !== e ? words.message : describeError(e)?.message;
      if (message !== undefined) {
        this.enqueue(() =>
          this.transcript.appendStamped(`Could not start "${request.flowName}": ${message}`),
        );
      }
      throw words;
    }
    // Remembered only once the service accepted them: options it refused are not offered again.
    await this.memory.remember(request.environment.orgUrl, request.flowId, {
      options: run.options,
      ...(request.inputFile === undefined ? {} : { inputFile: request.inputFile }),
    });
    this.memory.recordLaunch(runKey(run.environment.orgUrl, run.runId), {
      options: run.options,
      inputs: request.inputs,
      maskedInputs: request.maskedInputs,
      inputFile: request.inputFile,
    });
    return run;
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
    this.board.dispose();
    for (const d of this.disposables.splice(0)) {
      d.dispose();
    }
  }

  private createService(): RunService {
    const service = new RunService({
      backendFor: (environment) => this.runAccounts.backendFor(environment),
      journal: this.journal,
      logger: this.options.log,
      poll: pollOptions(),
      // Claims and start locks shared with the CLI and other windows of this user.
      shared: SharedRunState.atDefaultLocation(),
    });
    this.serviceSubscription = service.onEvent((e) => this.enqueue(() => this.handle(e)));
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

  private async handle(e: RunEvent): Promise<void> {
    switch (e.kind) {
      case 'triggered': {
        this.transcript.append(formatRunEvent(e));
        // Runs started with RunService.start (e.g. by an agent tool) carry their masked inputs on the event.
        const masked = this.pendingInputs.get(e.triggerId) ?? e.display?.maskedInputs;
        this.pendingInputs.delete(e.triggerId);
        this.transcript.append(`${' '.repeat(22)}Inputs: ${masked === undefined ? 'none' : clip(masked)}`);
        this.board.triggered(e);
        this.markHistory();
        this.recentRuns.runStarted(e.environment.orgUrl, e.flowId);
        return;
      }
      case 'waitingForRateLimit':
        this.transcript.append(formatRunEvent(e));
        this.board.rateLimited(e);
        return;
      case 'licenseWarning':
        this.transcript.append(formatRunEvent(e));
        this.notifier.licenseWarning(e);
        return;
      case 'stateChanged':
        this.transcript.append(formatRunEvent(e));
        this.board.stateChanged(e);
        this.recentRuns.runChanged(e);
        this.documents.runChanged(e.environment.orgUrl, e.runId);
        return;
      case 'actionLog':
        this.transcript.append(formatRunEvent(e));
        return;
      case 'finished':
        await this.finished(e);
        return;
      case 'error':
        this.transcript.append(formatRunEvent(e));
        this.board.watchError(e);
        return;
    }
  }

  private async finished(e: RunFinishedEvent): Promise<void> {
    const schema =
      e.outputs === undefined
        ? undefined
        : await this.schemas
            .get(e.environment.orgUrl, e.flowId, AbortSignal.timeout(30_000))
            .catch(() => undefined);
    this.transcript.append(formatRunEvent(e, { maskOutputs: (o) => maskSensitive(o, schema?.outputs) }));
    this.board.finishedRun(e);
    this.markHistory();
    this.recentRuns.runChanged(e);
    this.documents.runChanged(e.environment.orgUrl, e.runId);
    const config = readConfig();
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

/** Poll bounds from the settings. */
function pollOptions(): { minMs: number; maxMs: number } {
  const c = readConfig();
  const minMs = Math.max(1, c.pollIntervalMinSeconds) * 1000;
  return { minMs, maxMs: Math.max(minMs, c.pollIntervalMaxSeconds * 1000) };
}
