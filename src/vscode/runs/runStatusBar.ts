import * as vscode from 'vscode';
import type { RunStatus } from '../../core/model/run';
import { describeStatus } from '../../core/runs/runTranscript';
import { commandIds } from '../commandIds';
import { storeSubject, type StoreRun, type RunStore } from './runStore';
import { runActions } from './runActions';
import { commandLink, flowLabel, formatElapsed } from './runSubjects';

/** How long a finished run stays in the status bar when nothing else runs. */
export interface StatusBarLinger {
  readonly succeededMs: number;
  readonly otherwiseMs: number;
}

const defaultLinger: StatusBarLinger = { succeededMs: 15_000, otherwiseMs: 120_000 };
const maxHistory = 500;

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

const finishedIcons: Partial<Record<RunStatus, string>> = {
  succeeded: '$(pass)',
  cancelled: '$(circle-slash)',
  aborted: '$(circle-slash)',
  terminated: '$(circle-slash)',
  failed: '$(error)',
  faulted: '$(error)',
  timedOut: '$(error)',
};

function finishedIcon(status: RunStatus | undefined): string {
  return (status === undefined ? undefined : finishedIcons[status]) ?? '$(info)';
}

/** Icon and words of a run's state, e.g. `$(sync~spin)` + `Running`. */
export function phaseText(run: StoreRun): { icon: string; words: string } {
  switch (run.phase) {
    case 'starting':
      return { icon: '$(loading~spin)', words: 'Starting…' };
    case 'rateLimited':
      return { icon: '$(clock)', words: 'Waiting (rate limit)' };
    case 'queued':
      return { icon: '$(watch)', words: 'Queued' };
    case 'running':
      return { icon: '$(sync~spin)', words: 'Running' };
    case 'paused':
      return { icon: '$(debug-pause)', words: capitalize(describeStatus(run.status ?? 'paused')) };
    case 'finished':
      return { icon: finishedIcon(run.status), words: capitalize(describeStatus(run.status ?? 'unknown')) };
  }
}

function isFailure(run: StoreRun): boolean {
  return run.phase === 'finished' && run.status !== 'succeeded';
}

/**
 * The runs status bar item: each active run (or a count when several), with state and elapsed time; the
 * last finished run for a while afterwards. The elapsed time ticks once a second only while a run is active
 * and the window has focus, so no timer outlives its purpose. Clicking opens the run actions.
 */
export class RunStatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private readonly disposables: vscode.Disposable[] = [];
  private ticker: NodeJS.Timeout | undefined;
  private lingerTimer: NodeJS.Timeout | undefined;
  private focused = vscode.window.state.focused;
  private shown = false;
  private readonly textHistory: string[] = [];

  constructor(
    private readonly store: RunStore,
    private readonly linger: StatusBarLinger = defaultLinger,
    private readonly now: () => number = Date.now,
  ) {
    this.item = vscode.window.createStatusBarItem('desktopFlows.runs', vscode.StatusBarAlignment.Left, 49);
    this.item.name = 'Desktop Flows: Runs';
    this.item.command = commandIds.showActiveRuns;
    const sub = store.onDidChange(() => this.update());
    this.disposables.push(
      this.item,
      { dispose: () => sub.dispose() },
      vscode.window.onDidChangeWindowState((s) => {
        this.focused = s.focused;
        this.update();
      }),
    );
    this.update();
  }

  /** What the status bar shows now (empty while hidden). */
  get text(): string {
    return this.visible ? this.item.text : '';
  }

  /** Every distinct text shown so far, in order (for tests and diagnostics). */
  get history(): readonly string[] {
    return this.textHistory;
  }

  get visible(): boolean {
    return this.shown;
  }

  /** The theme colour id of the background, if any (`statusBarItem.errorBackground` after a failure). */
  get backgroundColorId(): string | undefined {
    return this.item.backgroundColor instanceof vscode.ThemeColor ? this.item.backgroundColor.id : undefined;
  }

  /** The tooltip's markdown (for tests). */
  get tooltipMarkdown(): string {
    return this.item.tooltip instanceof vscode.MarkdownString ? this.item.tooltip.value : '';
  }

  /**
   * Re-renders from the run store and starts or stops the timers that rendering needs. The tooltip is rebuilt only
   * on changes (not on ticks), so an open hover does not flicker.
   */
  update(withTooltip = true): void {
    const active = this.store.active();
    const latest = this.store.finished()[0];
    const lingering =
      latest !== undefined &&
      active.length === 0 &&
      this.now() - (latest.finishedAt ?? 0) < this.lingerOf(latest);
    if (active.length === 0 && !lingering) {
      this.hide();
      this.stopTicker();
      this.clearLinger();
      return;
    }
    if (active.length > 0) {
      this.clearLinger();
      this.render(active.length === 1 ? this.single(active[0] as StoreRun) : this.aggregate(active), false);
      this.item.backgroundColor = active.some((r) => r.phase === 'rateLimited')
        ? new vscode.ThemeColor('statusBarItem.warningBackground')
        : undefined;
      this.setTicker(this.focused && active.some((r) => r.phase !== 'starting'));
    } else if (latest !== undefined) {
      this.stopTicker();
      this.render(this.single(latest), isFailure(latest));
      this.scheduleLinger(latest);
    }
    if (withTooltip) {
      this.item.tooltip = this.tooltip(active);
    }
  }

  dispose(): void {
    this.stopTicker();
    this.clearLinger();
    for (const d of this.disposables.splice(0)) {
      d.dispose();
    }
  }

  private single(run: StoreRun): string {
    const { icon, words } = phaseText(run);
    const elapsed =
      run.phase === 'starting'
        ? ''
        : run.phase === 'finished'
          ? run.durationMs === undefined
            ? ''
            : ` ${formatElapsed(run.durationMs)}`
          : ` ${formatElapsed(run.elapsedBaseMs + this.now() - run.elapsedSince)}`;
    return `${icon} ${flowLabel(run)}: ${words}${elapsed}`;
  }

  private aggregate(active: readonly StoreRun[]): string {
    const counts = new Map<string, number>();
    for (const run of active) {
      const word =
        run.phase === 'rateLimited' ? 'waiting' : run.phase === 'starting' ? 'starting' : run.phase;
      counts.set(word, (counts.get(word) ?? 0) + 1);
    }
    const parts = [...counts].map(([word, n]) => `${n} ${word}`).join(', ');
    const icon = active.some((r) => r.phase === 'running') ? '$(sync~spin)' : '$(watch)';
    const longest = Math.max(
      ...active
        .filter((r) => r.phase !== 'starting')
        .map((r) => r.elapsedBaseMs + this.now() - r.elapsedSince),
      0,
    );
    return `${icon} ${active.length} desktop flow runs: ${parts}${longest > 0 ? ` ${formatElapsed(longest)}` : ''}`;
  }

  private render(text: string, failed: boolean): void {
    this.item.text = text;
    this.item.backgroundColor = failed ? new vscode.ThemeColor('statusBarItem.errorBackground') : undefined;
    this.item.accessibilityInformation = { label: text.replace(/\$\([^)]*\)\s*/g, ''), role: 'button' };
    if (!this.shown) {
      this.item.show();
      this.shown = true;
    }
    if (this.textHistory[this.textHistory.length - 1] !== text) {
      this.textHistory.push(text);
      if (this.textHistory.length > maxHistory) {
        this.textHistory.splice(0, this.textHistory.length - maxHistory);
      }
    }
  }

  private hide(): void {
    if (this.shown) {
      this.item.hide();
      this.shown = false;
    }
  }

  private tooltip(active: readonly StoreRun[]): vscode.MarkdownString {
    const md = new vscode.MarkdownString(undefined, true);
    // Only our own commands may run from the tooltip's links.
    md.isTrusted = {
      enabledCommands: [
        commandIds.showRunTranscript,
        commandIds.cancelRun,
        commandIds.openRunOutputs,
        commandIds.showRunDetails,
        commandIds.runAgain,
      ],
    };
    const shown = [...active, ...this.store.finished().slice(0, active.length > 0 ? 2 : 3)];
    md.appendMarkdown(`**Desktop flow runs**\n\n`);
    for (const run of shown) {
      const { icon, words } = phaseText(run);
      const where = [run.machine === undefined ? undefined : `on ${run.machine}`, run.environment.displayName]
        .filter((p) => p !== undefined)
        .join(' · ');
      md.appendMarkdown(
        `${icon} **${escapeMarkdown(flowLabel(run))}**: ${words}${where ? ` — ${escapeMarkdown(where)}` : ''}\n\n`,
      );
      if (run.phase === 'rateLimited' && run.rateLimit !== undefined) {
        const why =
          run.rateLimit.reason === 'connectionLimit'
            ? 'the connection started 70 runs in the last minute (the service limit)'
            : 'the service asked to slow down (429)';
        md.appendMarkdown(`Waiting until ${new Date(run.rateLimit.until).toLocaleTimeString()}: ${why}.\n\n`);
      }
      if (run.errorCode !== undefined || run.errorMessage !== undefined) {
        md.appendMarkdown(
          `${escapeMarkdown([run.errorCode, run.errorMessage].filter(Boolean).join(': '))}\n\n`,
        );
      }
      const subject = storeSubject(run);
      const actions = runActions({
        status: run.phase === 'finished' ? run.status : (run.status ?? 'waiting'),
        hasRunId: subject !== undefined,
        watched: run.watchStopped === undefined,
        hasOutputs: run.phase === 'finished' ? run.hasOutputs : undefined,
        otherSucceeded: false,
        inTranscript: true,
      });
      const links: string[] = [];
      for (const action of actions) {
        if (action === 'showOutput') {
          links.push(`[Show Output](${commandLink(commandIds.showRunTranscript)})`);
        } else if (subject !== undefined && action === 'cancel') {
          links.push(`[Cancel](${commandLink(commandIds.cancelRun, subject)})`);
        } else if (subject !== undefined && action === 'outputs') {
          links.push(`[Open Outputs](${commandLink(commandIds.openRunOutputs, subject)})`);
        } else if (subject !== undefined && action === 'details') {
          links.push(`[Details](${commandLink(commandIds.showRunDetails, subject)})`);
        } else if (subject !== undefined && action === 'runAgain') {
          links.push(`[Run Again](${commandLink(commandIds.runAgain, subject)})`);
        } else if (subject !== undefined && action === 'createTest') {
          links.push(`[Create Test](${commandLink(commandIds.createTestFromRun, subject)})`);
        }
      }
      md.appendMarkdown(`${links.join(' · ')}\n\n---\n\n`);
    }
    return md;
  }

  private lingerOf(run: StoreRun): number {
    return run.status === 'succeeded' ? this.linger.succeededMs : this.linger.otherwiseMs;
  }

  private setTicker(on: boolean): void {
    if (!on) {
      this.stopTicker();
    } else if (this.ticker === undefined) {
      this.ticker = setInterval(() => this.update(false), 1_000);
    }
  }

  private stopTicker(): void {
    if (this.ticker !== undefined) {
      clearInterval(this.ticker);
      this.ticker = undefined;
    }
  }

  private scheduleLinger(run: StoreRun): void {
    this.clearLinger();
    const left = this.lingerOf(run) - (this.now() - (run.finishedAt ?? 0));
    this.lingerTimer = setTimeout(
      () => {
        this.lingerTimer = undefined;
        this.update();
      },
      Math.max(0, left) + 10,
    );
  }

  private clearLinger(): void {
    if (this.lingerTimer !== undefined) {
      clearTimeout(this.lingerTimer);
      this.lingerTimer = undefined;
    }
  }
}

function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]<>#|]/g, (c) => `\\${c}`).replace(/\r?\n/g, ' ');
}
