/** Records the events of a RunService and waits (bounded) for conditions on them. */
import type { RunEvent } from '../../../src/core/runs/runEvents';
import type { RunService } from '../../../src/core/runs/runService';

type EventOf<K extends RunEvent['kind']> = Extract<RunEvent, { kind: K }>;

export class EventLog {
  readonly events: RunEvent[] = [];
  private readonly waiters = new Set<() => void>();

  constructor(service: RunService) {
    service.onEvent((e) => {
      this.events.push(e);
      for (const w of [...this.waiters]) {
        w();
      }
    });
  }

  of<K extends RunEvent['kind']>(kind: K, runId?: string): EventOf<K>[] {
    return this.events.filter(
      (e): e is EventOf<K> => e.kind === kind && (runId === undefined || ('runId' in e && e.runId === runId)),
    );
  }

  /** Kinds and statuses of one run's events, e.g. `stateChanged:waiting`, `finished:succeeded`. */
  story(runId: string): string[] {
    return this.events
      .filter((e) => 'runId' in e && e.runId === runId)
      .map((e) => (e.kind === 'stateChanged' || e.kind === 'finished' ? `${e.kind}:${e.status}` : e.kind));
  }

  /** Resolves once `predicate` holds (checked on every event and every 10 ms); rejects after `realMs` of real time (a liveness bound, not a timing check). */
  until(predicate: () => boolean, what: string, realMs = 10_000): Promise<void> {
    if (predicate()) {
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (predicate()) {
          clearTimeout(timer);
          clearInterval(recheck);
          this.waiters.delete(check);
          resolve();
        }
      };
      // Conditions on requests change without an event: re-check now and then too.
      const recheck = setInterval(check, 10);
      const timer = setTimeout(() => {
        clearInterval(recheck);
        this.waiters.delete(check);
        reject(
          new Error(
            `Gave up waiting for ${what}; events so far:\n${this.events.map((e) => JSON.stringify(e)).join('\n')}`,
          ),
        );
      }, realMs);
      this.waiters.add(check);
    });
  }

  finished(runId: string): Promise<EventOf<'finished'>> {
    return this.until(() => this.of('finished', runId).length > 0, `run ${runId} to finish`).then(
      () => this.of('finished', runId)[0] as EventOf<'finished'>,
    );
  }
}
