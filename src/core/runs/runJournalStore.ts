/**
 * The live copy of the run journal and its writes. Saves are serialized (never two at once, so an older
 * snapshot can never overwrite a newer one) and coalesced (changes made while a save is running are
 * written together by the next one). Every change returns a promise that resolves once it is persisted
 * (or the save failed, which is logged: losing the journal costs resume-after-reload, never a run).
 */
import type { Logger } from '../logger';
import { parseRunJournal, type JournaledRun, type RunJournal, type RunJournalState } from './runJournal';
import { runKey } from './runKeys';

function entryKey(orgUrl: string, runId: string): string {
  return runKey(orgUrl, runId);
}

/** Keeps the journaled runs and writes them through to a `RunJournal`. */
export class RunJournalStore {
  private readonly entries = new Map<string, JournaledRun>();
  private chain: Promise<void> = Promise.resolve();
  private queued: Promise<void> | undefined;

  constructor(
    private readonly journal: RunJournal | undefined,
    private readonly lifetime: AbortSignal,
    private readonly logger: Logger,
  ) {}

  /** Reads the saved journal (unreadable content counts as empty) and makes it the live copy. */
  async load(signal: AbortSignal): Promise<readonly JournaledRun[]> {
    if (this.journal === undefined) {
      return [];
    }
    const state = parseRunJournal(await this.journal.load(signal));
    for (const run of state.runs) {
      this.entries.set(entryKey(run.environment.orgUrl, run.runId), run);
    }
    return state.runs;
  }

  has(orgUrl: string, runId: string): boolean {
    return this.entries.has(entryKey(orgUrl, runId));
  }

  get(orgUrl: string, runId: string): JournaledRun | undefined {
    return this.entries.get(entryKey(orgUrl, runId));
  }

  /** Adds or replaces a run. */
  put(run: JournaledRun): Promise<void> {
    this.entries.set(entryKey(run.environment.orgUrl, run.runId), run);
    return this.persist();
  }

  /** Changes fields of a journaled run (no-op for unknown runs). */
  update(
    orgUrl: string,
    runId: string,
    patch: Partial<Pick<JournaledRun, 'lastStatus' | 'actionLogCount' | 'followActionLog'>>,
  ): Promise<void> {
    const k = entryKey(orgUrl, runId);
    const current = this.entries.get(k);
    if (current === undefined) {
      return Promise.resolve();
    }
    this.entries.set(k, { ...current, ...patch });
    return this.persist();
  }

  /** Removes a run; resolves once the journal without it is saved. */
  remove(orgUrl: string, runId: string): Promise<void> {
    if (!this.entries.delete(entryKey(orgUrl, runId))) {
      return Promise.resolve();
    }
    return this.persist();
  }

  /** The live state. */
  snapshot(): RunJournalState {
    return { version: 1, runs: [...this.entries.values()] };
  }

  /** Resolves when every change made so far is saved. */
  flush(): Promise<void> {
    return this.queued ?? this.chain;
  }

  private persist(): Promise<void> {
    const journal = this.journal;
    if (journal === undefined) {
      return Promise.resolve();
    }
    if (this.queued !== undefined) {
      return this.queued;
    }
    const save = this.chain
      .then(async () => {
        // From here on, new changes need a new save: this one writes the state as of now.
        this.queued = undefined;
        await journal.save(this.snapshot(), this.lifetime);
      })
      .catch((e: unknown) => {
        // A journal that cannot be written costs resume-after-reload, never the run itself.
        this.logger.warn(
          `[runs] could not save the run journal: ${e instanceof Error ? e.message : String(e)}`,
        );
      });
    this.queued = save;
    this.chain = save;
    return save;
  }
}
