// A run journal in memory, for the runs core's unit tests (the extension keeps it in globalState).
import { parseRunJournal, type RunJournal, type RunJournalState } from '../../../src/core/runs/runJournal';

/** A journal in memory, stored as text like `globalState` does. */
export class MemoryRunJournal implements RunJournal {
  private stored: string | undefined;
  /** How many times `save` was called. */
  saves = 0;

  constructor(initial?: RunJournalState) {
    this.stored = initial === undefined ? undefined : JSON.stringify(initial);
  }

  load(_signal: AbortSignal): Promise<unknown> {
    return Promise.resolve(this.stored === undefined ? undefined : (JSON.parse(this.stored) as unknown));
  }

  save(state: RunJournalState, _signal: AbortSignal): Promise<void> {
    // Stored as text, like globalState does, so nothing shares object identity with the live state.
    this.stored = JSON.stringify(state);
    this.saves++;
    return Promise.resolve();
  }

  /** The last saved state (tests). */
  get current(): RunJournalState | undefined {
    return this.stored === undefined ? undefined : parseRunJournal(JSON.parse(this.stored));
  }
}
