import * as vscode from 'vscode';
import { throwIfAborted } from '../../core/util/abort';
import type { RunJournal, RunJournalState } from '../../core/runs/runJournal';

/**
 * The run journal in the extension's `globalState`, so watching resumes after a window reload or a restart.
 *
 * One journal per workspace (the key carries the workspace's identity): `globalState` is shared by every
 * window, and the core saves the whole journal each time, so two windows sharing one key would overwrite each
 * other's runs. A window reload or a restart reopens the same workspace, which is what resuming needs.
 */
export class MementoRunJournal implements RunJournal {
  readonly key: string;

  constructor(
    private readonly memento: vscode.Memento,
    key = journalKeyForWorkspace(),
  ) {
    this.key = key;
  }

  load(signal: AbortSignal): Promise<unknown> {
    throwIfAborted(signal);
    return Promise.resolve(this.memento.get<unknown>(this.key));
  }

  async save(state: RunJournalState, _signal: AbortSignal): Promise<void> {
    // Not abandoned on abort: a save that started must land, or a finished run could be reported again.
    await this.memento.update(this.key, state.runs.length === 0 ? undefined : state);
  }
}

/** `desktopFlows.runJournal:<workspace file or first folder URI>`, or `…:(no folder)` for an empty window. */
export function journalKeyForWorkspace(): string {
  const identity =
    vscode.workspace.workspaceFile?.toString() ??
    vscode.workspace.workspaceFolders?.[0]?.uri.toString() ??
    '(no folder)';
  return `desktopFlows.runJournal:${identity}`;
}
