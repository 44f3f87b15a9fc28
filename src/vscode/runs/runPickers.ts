import * as vscode from 'vscode';
import { CancellationError } from '../../core/errors';
import type { RunSubject } from '../../core/runs/runEvents';
import { describeStatus, formatDuration } from '../../core/runs/runTranscript';
import { UserFacingError } from '../registerCommand';
import { storeSubject, type StoreRun } from './runStore';
import type { RunsController } from './runsController';
import { phaseText } from './runStatusBar';
import { flowLabel, formatElapsed } from './runSubjects';

type RunItem = vscode.QuickPickItem & { subject: RunSubject };

function boardItem(run: StoreRun, now: number): RunItem | undefined {
  const subject = storeSubject(run);
  if (subject === undefined) {
    return undefined;
  }
  const { icon, words } = phaseText(run);
  const time =
    run.phase === 'finished'
      ? run.durationMs === undefined
        ? undefined
        : formatElapsed(run.durationMs)
      : formatElapsed(run.elapsedBaseMs + now - run.elapsedSince);
  return {
    label: `${icon} ${flowLabel(run)}`,
    description: [words, time, run.machine].filter((p) => p !== undefined).join(' · '),
    detail: `${run.environment.displayName ?? run.environment.orgUrl} · run ${subject.runId}`,
    subject,
  };
}

/**
 * Picks one of this window's runs (active first, then finished, newest first) matching `filter`.
 * Throws `UserFacingError` with `emptyMessage` when there is none; Escape → CancellationError.
 */
export async function pickWindowRun(
  controller: RunsController,
  filter: (run: StoreRun) => boolean,
  title: string,
  emptyMessage: string,
): Promise<RunSubject> {
  const now = Date.now();
  const items = [...controller.store.active(), ...controller.store.finished()]
    .filter(filter)
    .map((r) => boardItem(r, now))
    .filter((i): i is RunItem => i !== undefined);
  if (items.length === 0) {
    throw new UserFacingError(emptyMessage);
  }
  const picked = await vscode.window.showQuickPick(items, {
    title,
    matchOnDescription: true,
    matchOnDetail: true,
  });
  if (picked === undefined) {
    throw new CancellationError();
  }
  return picked.subject;
}

/** Picks another succeeded run of the same flow from its recent history (to compare outputs with). */
export async function pickOtherRunOfFlow(controller: RunsController, first: RunSubject): Promise<RunSubject> {
  const controllerAbort = new AbortController();
  const items = controller
    .history(first.environment, first.flowId, { pageSize: 50 }, controllerAbort.signal)
    .then((page) =>
      page.entries
        .filter((e) => e.run.id.toLowerCase() !== first.runId.toLowerCase() && e.run.status === 'succeeded')
        .map((e): RunItem => ({
          label: e.createdOn === undefined ? e.run.id : new Date(e.createdOn).toLocaleString(),
          description: [
            describeStatus(e.run.status),
            e.runTimeMs === undefined ? undefined : formatDuration(e.runTimeMs),
            e.run.machineName,
          ]
            .filter((p) => p !== undefined)
            .join(' · '),
          detail: `run ${e.run.id}`,
          subject: { ...first, runId: e.run.id },
        })),
    );
  try {
    const list = await items;
    if (list.length === 0) {
      throw new UserFacingError(`"${flowLabel(first)}" has no other succeeded run to compare with.`);
    }
    const picked = await vscode.window.showQuickPick(list, {
      title: `Compare the outputs of "${flowLabel(first)}" run ${first.runId.slice(0, 8)} with…`,
      matchOnDescription: true,
    });
    if (picked === undefined) {
      throw new CancellationError();
    }
    return picked.subject;
  } finally {
    controllerAbort.abort();
  }
}
