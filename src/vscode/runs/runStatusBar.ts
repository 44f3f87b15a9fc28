import * as vscode from 'vscode';
import { commandIds } from '../commandIds';
import { storeSubject, type StoreRun, type RunStore } from './runStore';
import { runActions } from './runActions';
import { defaultStatusBarLinger, phaseText, statusBarLook, type StatusBarLinger } from './runStatusBarText';
import { commandLink, flowLabel } from './runSubjects';

// Kept for the modules that import them from here (the run quick pick).
export { phaseText, type StatusBarLinger } from './runStatusBarText';

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
  private readonly rendered = new vscode.EventEmitter<string>();
  /** Fires with each new text the item shows (ticks of the elapsed time included). */
  readonly onDidRender = this.rendered.event;

  constructor(
    private readonly store: RunStore,
    private readonly linger: StatusBarLinger = defaultStatusBarLinger,
    private readonly now: () => number = Date.now,
  ) {
    this.item = vscode.window.createStatusBarItem('desktopFlows.runs', vscode.StatusBarAlignment.Left, 49);
    this.item.name = 'Desktop Flows: Runs';
    this.item.command = commandIds.showActiveRuns;
    const sub = store.onDidChange(() => this.update());
    this.disposables.push(
      this.item,
      this.rendered,
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

  /** The tooltip as handed to VS Code (for tests). */
  get shownTooltip(): vscode.MarkdownString | undefined {
    return this.item.tooltip instanceof vscode.MarkdownString ? this.item.tooltip : undefined;
  }

  /**
   * Re-renders from the run store and starts or stops the timers that rendering needs. The tooltip is rebuilt only
   * on changes (not on ticks), so an open hover does not flicker.
   */
  update(withTooltip = true): void {
    const active = this.store.active();
    const latest = this.store.finished()[0];
    const look = statusBarLook(active, latest, this.now(), this.linger, this.store.stopped());
    if (look.visible && look.watchStopped !== undefined) {
      // Say plainly that watching stopped, offer Sign In, and count no time.
      this.stopTicker();
      this.clearLinger();
      this.renderStopped(look.text, look.watchStopped);
      return;
    }
    this.item.command = commandIds.showActiveRuns;
    if (!look.visible) {
      this.hide();
      this.stopTicker();
      this.clearLinger();
      return;
    }
    this.render(look.text);
    this.item.backgroundColor =
      look.background === undefined ? undefined : new vscode.ThemeColor(look.background);
    this.setTicker(this.focused && look.ticking);
    if (look.lingerLeftMs === undefined) {
      this.clearLinger();
    } else {
      this.scheduleLinger(look.lingerLeftMs);
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

  private renderStopped(text: string, stopped: readonly StoreRun[]): void {
    this.render(text);
    this.item.backgroundColor = new vscode.ThemeColor('statusBarItem.warningBackground');
    this.item.command = { command: commandIds.signIn, title: 'Sign In' };
    const md = new vscode.MarkdownString(undefined, true);
    md.isTrusted = { enabledCommands: [commandIds.signIn, commandIds.showRunTranscript] };
    const names = stopped.map((r) => `"${escapeMarkdown(flowLabel(r))}"`).join(', ');
    const where = [...new Set(stopped.map((r) => r.environment.displayName ?? r.environment.orgUrl))].join(
      ', ',
    );
    md.appendMarkdown(
      `**Watching stopped** for ${names} in ${escapeMarkdown(where)} because its account signed out. ` +
        `The last status seen was ${stopped.map((r) => phaseText(r).words.toLowerCase()).join(', ')}; ` +
        `the run${stopped.length === 1 ? ' goes' : 's go'} on in the service.\n\n` +
        `[Sign In](${commandLink(commandIds.signIn)}) to resume watching · [Show Output](${commandLink(commandIds.showRunTranscript)})`,
    );
    this.item.tooltip = md;
  }

  private render(text: string): void {
    const changed = !this.shown || this.item.text !== text;
    this.item.text = text;
    this.item.accessibilityInformation = { label: text.replace(/\$\([^)]*\)\s*/g, ''), role: 'button' };
    if (!this.shown) {
      this.item.show();
      this.shown = true;
    }
    if (changed) {
      this.rendered.fire(text);
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
    // Trusted as a whole, not with an `enabledCommands` list: VS Code (`markdownStringEqual`, 1.100) compares a
    // status bar tooltip's `isTrusted` by identity, and a list arrives as a new copy with every update of the
    // item, so each tick of the clock ("Running 0:04") closed and reopened an open hover and its links could not
    // be clicked. No link but ours can be formed: every text from the service or the user (flow, environment,
    // machine, error) goes through `escapeMarkdown`, which escapes `[`, `]`, `<` and `>`.
    md.isTrusted = true;
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
        } else if (subject !== undefined && action === 'whyWaiting') {
          links.push(`[Why Is It Waiting?](${commandLink(commandIds.whyWaiting, subject)})`);
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

  private scheduleLinger(left: number): void {
    this.clearLinger();
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
