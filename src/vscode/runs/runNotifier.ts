import * as vscode from 'vscode';
import type { Logger } from '../../core/logger';
import { remedyFor } from '../../core/runs/remedies';
import type { RunFinishedEvent, RunLicenseWarningEvent, RunSubject } from '../../core/runs/runEvents';
import { describeStatus, formatDuration } from '../../core/runs/runTranscript';
import { secretMasker } from '../../core/util/secretMasker';
import { runActions } from './runActions';
import { flowLabel, plainSubject } from './runSubjects';

/** What notifications can lead to. */
export interface RunNotifierActions {
  showTranscript(): void;
  openOutputs(subject: RunSubject): Promise<unknown>;
  runAgain(subject: RunSubject): Promise<unknown>;
}

/** A notification that was shown (`RunNotifier.onDidNotify`). */
export interface ShownNotification {
  readonly severity: 'info' | 'warning' | 'error';
  readonly message: string;
  readonly runId: string;
  readonly actions: readonly string[];
}

export type NotifyOnCompletion = 'off' | 'failures' | 'all';

/** Completion notifications (per `desktopFlows.runs.notifyOnCompletion`) and licence warnings. */
export class RunNotifier implements vscode.Disposable {
  private readonly notified = new vscode.EventEmitter<ShownNotification>();
  /** Fires with each notification as it is shown. */
  readonly onDidNotify = this.notified.event;

  constructor(
    private readonly actions: RunNotifierActions,
    private readonly log: Logger,
  ) {}

  dispose(): void {
    this.notified.dispose();
  }

  /** Notifies that a run ended, when the setting asks for it. Never waits for the user. */
  finished(e: RunFinishedEvent, setting: NotifyOnCompletion): void {
    const succeeded = e.status === 'succeeded';
    if (setting === 'off' || (setting === 'failures' && succeeded)) {
      return;
    }
    const flow = `"${flowLabel(e)}"`;
    const machine =
      e.machine === undefined ? '' : ` on ${e.machine.name ?? `machine ${e.machine.id.slice(0, 8)}`}`;
    const took = e.runTimeMs === undefined ? '' : ` after ${formatDuration(e.runTimeMs)}`;
    const away = e.endedWhileAway
      ? ' It ended while it was not being watched (window closed or reloading).'
      : '';
    let message: string;
    let severity: ShownNotification['severity'];
    if (succeeded) {
      severity = 'info';
      message = `${flow} succeeded${machine}${took}.${away}`;
    } else if (e.status === 'cancelled') {
      severity = 'warning';
      message = `${flow} was cancelled${machine}.${away}`;
    } else {
      severity = 'error';
      const error = [e.errorCode, e.errorMessage].filter((p) => p !== undefined).join(': ');
      const remedy = remedyFor(e.errorCode);
      message = `${flow} ${describeStatus(e.status)}${machine}${took}${error ? `: ${error}` : '.'}${remedy === undefined ? '' : ` ${remedy.title}: ${remedy.remedy}`}${away}`;
    }
    const subject = plainSubject(e);
    const offered = runActions({
      status: e.status,
      hasRunId: true,
      watched: true,
      hasOutputs: e.outputs !== undefined && Object.keys(e.outputs).length > 0,
      otherSucceeded: false,
      inTranscript: true,
    });
    const actions = [
      'Show Output',
      ...(offered.includes('outputs') ? ['Open Outputs'] : []),
      ...(offered.includes('runAgain') ? ['Run Again'] : []),
    ];
    this.show(severity, secretMasker.mask(message), subject.runId, actions, async (picked) => {
      if (picked === 'Show Output') {
        this.actions.showTranscript();
      } else if (picked === 'Open Outputs') {
        await this.actions.openOutputs(subject);
      } else if (picked === 'Run Again') {
        await this.actions.runAgain(subject);
      }
    });
  }

  /** The start response's licence check was not valid coverage: a warning (the run may still go ahead). */
  licenseWarning(e: RunLicenseWarningEvent): void {
    const remedy = remedyFor(e.licenseCheck.code);
    const message = `Licence check for "${flowLabel(e)}": ${e.licenseCheck.code}${e.licenseCheck.message === undefined ? '' : ` (${e.licenseCheck.message})`}.${remedy === undefined ? '' : ` ${remedy.remedy}`} The run was queued; it may be blocked later.`;
    this.show('warning', secretMasker.mask(message), e.runId, ['Show Output'], (picked) => {
      if (picked === 'Show Output') {
        this.actions.showTranscript();
      }
      return Promise.resolve();
    });
  }

  private show(
    severity: ShownNotification['severity'],
    message: string,
    runId: string,
    actions: string[],
    onPick: (picked: string | undefined) => Promise<void>,
  ): void {
    this.notified.fire({ severity, message, runId, actions });
    const shown =
      severity === 'error'
        ? vscode.window.showErrorMessage(message, ...actions)
        : severity === 'warning'
          ? vscode.window.showWarningMessage(message, ...actions)
          : vscode.window.showInformationMessage(message, ...actions);
    void Promise.resolve(shown)
      .then(onPick)
      .catch((e: unknown) =>
        this.log.error(`[runs] notification action failed: ${e instanceof Error ? e.message : String(e)}`),
      );
  }
}
