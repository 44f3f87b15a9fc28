// What the run surfaces showed while a test ran: status bar texts, transcript lines and notifications,
// recorded from the surfaces' events. A test starts its own recorder, so it sees only what happened since
// it started (nothing another test or suite left), and the product keeps no history for tests.
import type * as vscode from 'vscode';
import type { ShownNotification } from '../../src/vscode/runs/runNotifier';
import type { RunsController } from '../../src/vscode/runs/runsController';

export class RunRecorder implements vscode.Disposable {
  /** Each new status bar text, in order (ticks of the elapsed time included). */
  readonly statusTexts: string[] = [];
  /** Transcript lines written since the recorder started. */
  readonly transcript: string[] = [];
  /** Notifications shown since the recorder started. */
  readonly notifications: ShownNotification[] = [];
  private readonly subscriptions: vscode.Disposable[];

  constructor(runs: RunsController) {
    this.subscriptions = [
      runs.statusBar.onDidRender((text) => this.statusTexts.push(text)),
      runs.transcript.onDidAppend((lines) => this.transcript.push(...lines)),
      runs.notifier.onDidNotify((n) => this.notifications.push(n)),
    ];
  }

  /** The notifications about one run. */
  notificationsOf(runId: string): ShownNotification[] {
    return this.notifications.filter((n) => n.runId === runId);
  }

  dispose(): void {
    for (const s of this.subscriptions.splice(0)) {
      s.dispose();
    }
  }
}

/**
 * A recorder per test of the calling `describe`: `recorder()` is the one of the running test.
 * Call it at the top of a `describe` block.
 */
export function recordEachTest(runs: () => RunsController): () => RunRecorder {
  let current: RunRecorder | undefined;
  beforeEach(() => {
    current = new RunRecorder(runs());
  });
  afterEach(() => {
    current?.dispose();
    current = undefined;
  });
  return () => {
    if (current === undefined) {
      throw new Error('recordEachTest: no test is running');
    }
    return current;
  };
}

/** What a window reload does to the runs feature: stop the core, then start over the same journal. */
export async function reloadRuns(runs: RunsController): ReturnType<RunsController['start']> {
  await runs.stop();
  return runs.start();
}
