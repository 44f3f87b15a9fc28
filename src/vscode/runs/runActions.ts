/**
 * The one decision of what a run offers, everywhere: the status bar tooltip links, the notification
 * buttons, the status bar's quick pick and the `contextValue` tags of "Recent runs" and Runs view rows
 * behind the menus' `when` clauses. Pure: no
 * `vscode` import, unit-tested under plain Node.
 */
import { isTerminal, type RunStatus } from '../../core/model/run';

/** Something a run can offer. */
export type RunActionId =
  'showOutput' | 'cancel' | 'whyWaiting' | 'outputs' | 'details' | 'runAgain' | 'compare' | 'createTest';

/** What is known about a run when its actions are decided. `undefined` means "not known". */
export interface RunFacts {
  /** Its status; `undefined` before the first poll. */
  readonly status: RunStatus | undefined;
  /** The service knows the run (it has a run id): not a start in flight. */
  readonly hasRunId: boolean;
  /** Still being watched by this window (false after its account signed out). */
  readonly watched: boolean;
  /** A succeeded run returned outputs; `undefined` when that is not known (a row of history). */
  readonly hasOutputs: boolean | undefined;
  /** Another succeeded run of the same flow is known (to compare with); `undefined` when not known. */
  readonly otherSucceeded: boolean | undefined;
  /** The run was started in this window (its transcript has it). */
  readonly inTranscript: boolean;
}

/** The actions a run offers, in the order surfaces show them. */
export function runActions(run: RunFacts): RunActionId[] {
  const ended = run.status !== undefined && isTerminal(run.status);
  const succeeded = run.status === 'succeeded';
  const out: RunActionId[] = [];
  if (run.inTranscript) {
    out.push('showOutput');
  }
  if (!run.hasRunId) {
    return out;
  }
  if (!ended && run.watched) {
    out.push('cancel');
  }
  // Queued (`waiting`): its place in the machine group's queue explains the wait (while it can be asked).
  if (run.status === 'waiting' && run.watched) {
    out.push('whyWaiting');
  }
  if (succeeded && run.hasOutputs !== false) {
    out.push('outputs');
  }
  out.push('details');
  if (ended) {
    out.push('runAgain');
  }
  if (succeeded && run.hasOutputs !== false && run.otherSucceeded !== false) {
    out.push('compare');
  }
  if (ended) {
    // "Create Test from Run": its inputs, and its outputs (or final status) as expectations.
    out.push('createTest');
  }
  return out;
}
