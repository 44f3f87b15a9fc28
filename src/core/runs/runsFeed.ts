/**
 * Recent runs across flows and environments, newest first, a page at a time: what the Runs view lists.
 * One `flowsessions` query per environment (docs/service-contract.md#flowsessions-run-status), filtered on
 * the service by creator (`_createdby_value`, the caller's id from WhoAmI) and `statuscode`; the pages are
 * merged so that the list is always in order, however the environments' pages interleave. `follow` keeps the
 * queued and running runs of the pages current through the environment watcher's batched status poll.
 */
import { CancellationError } from '../errors';
import { isTerminal, type Run } from '../model/run';
import type { Subscription } from '../util/events';
import type { EnvironmentRef } from './runJournal';
import { runTimings, type RunSubject, type RunTimings } from './runEvents';
import { orgKey } from './runKeys';
import type { RunQuery, RunsBackend } from './runsBackend';

/** Which runs by status the feed shows. */
export type RunStatusFilter = 'all' | 'active' | 'succeeded' | 'failed' | 'cancelled';

/** `statuscode`s per status filter (docs/service-contract.md#flowsessions-run-status). */
export const statusFilterCodes: Readonly<Record<Exclude<RunStatusFilter, 'all'>, readonly number[]>> = {
  // Paused, Running, Waiting (queued), Suspended.
  active: [1, 2, 3, 6],
  succeeded: [4],
  // Failed, Faulted, TimedOut, Aborted, Terminated.
  failed: [8, 9, 10, 11, 14],
  cancelled: [7],
};

/** The feed's filters. */
export interface RunsFeedFilter {
  /** Only runs the signed-in user started. */
  readonly mine: boolean;
  readonly status: RunStatusFilter;
}

/** One environment the feed reads. */
export interface RunsFeedSource {
  readonly environment: EnvironmentRef;
  readonly backend: RunsBackend;
  /** The caller's `systemuser` id in this environment (WhoAmI), for the "mine" filter. */
  readonly userId: (signal: AbortSignal) => Promise<string | undefined>;
}

/** One run in the feed. */
export interface FeedRun extends RunTimings {
  readonly environment: EnvironmentRef;
  readonly run: Run;
}

/** What one environment has loaded. */
export interface FeedSourceState {
  readonly environment: EnvironmentRef;
  readonly runs: readonly FeedRun[];
  /** Continuation of the next (older) page; absent once every run is loaded. */
  readonly nextPage: string | undefined;
  /** Why the environment's runs could not be read, if they could not. */
  readonly error: unknown;
}

function time(iso: string | undefined): number {
  const t = iso === undefined ? Number.NaN : Date.parse(iso);
  return Number.isNaN(t) ? Number.POSITIVE_INFINITY : t;
}

/**
 * The runs to show, newest first. An environment with more pages hides nothing older than its oldest loaded
 * run elsewhere: rows older than the newest such frontier wait until that environment's next page is read,
 * so a row never appears above one that is newer.
 */
export function mergeFeed(states: readonly FeedSourceState[]): { runs: FeedRun[]; hasMore: boolean } {
  let cut = Number.NEGATIVE_INFINITY;
  for (const s of states) {
    if (s.nextPage !== undefined && s.runs.length > 0) {
      const oldest = Math.min(...s.runs.map((r) => time(r.run.createdOn)));
      cut = Math.max(cut, oldest);
    }
  }
  const all = states.flatMap((s) => s.runs);
  const runs = all
    .filter((r) => time(r.run.createdOn) >= cut)
    .sort((a, b) => time(b.run.createdOn) - time(a.run.createdOn));
  return { runs, hasMore: states.some((s) => s.nextPage !== undefined) };
}

/** The query of one environment's first page. */
export function feedQuery(filter: RunsFeedFilter, userId: string | undefined, pageSize: number): RunQuery {
  return {
    columns: 'feed',
    order: 'newestFirst',
    pageSize,
    ...(filter.mine && userId !== undefined ? { createdBy: userId } : {}),
    ...(filter.status === 'all' ? {} : { statusCodes: statusFilterCodes[filter.status] }),
  };
}

/** A feed over a set of environments with one filter; `load` reads the first pages, `loadMore` the next. */
export class RunsFeed {
  private states: FeedSourceState[];
  private readonly queries = new Map<string, RunQuery>();

  constructor(
    private readonly sources: readonly RunsFeedSource[],
    readonly filter: RunsFeedFilter,
    private readonly pageSize: number,
    private readonly now: () => number = Date.now,
  ) {
    this.states = sources.map((s) => ({
      environment: s.environment,
      runs: [],
      nextPage: undefined,
      error: undefined,
    }));
  }

  /** Every environment's first page (failures are kept per environment; cancellation propagates). */
  async load(signal: AbortSignal): Promise<void> {
    this.states = await Promise.all(
      this.sources.map(async (source): Promise<FeedSourceState> => {
        try {
          const userId = this.filter.mine ? await source.userId(signal) : undefined;
          const query = feedQuery(this.filter, userId, this.pageSize);
          this.queries.set(source.environment.orgUrl, query);
          const page = await source.backend.listRuns(query, signal);
          return {
            environment: source.environment,
            runs: page.runs.map((run) => this.entry(source.environment, run)),
            nextPage: page.nextPage,
            error: undefined,
          };
        } catch (e) {
          if (CancellationError.is(e)) {
            throw e;
          }
          return { environment: source.environment, runs: [], nextPage: undefined, error: e };
        }
      }),
    );
  }

  /** The next page of the environments whose older runs are not all shown. */
  async loadMore(signal: AbortSignal): Promise<void> {
    this.states = await Promise.all(
      this.states.map(async (state, i): Promise<FeedSourceState> => {
        const source = this.sources[i];
        const query = source === undefined ? undefined : this.queries.get(source.environment.orgUrl);
        if (state.nextPage === undefined || source === undefined || query === undefined) {
          return state;
        }
        try {
          const page = await source.backend.listRunsPage(state.nextPage, query, signal);
          const known = new Set(state.runs.map((r) => r.run.id.toLowerCase()));
          return {
            ...state,
            runs: [
              ...state.runs,
              ...page.runs
                .filter((r) => !known.has(r.id.toLowerCase()))
                .map((run) => this.entry(source.environment, run)),
            ],
            nextPage: page.nextPage,
          };
        } catch (e) {
          if (CancellationError.is(e)) {
            throw e;
          }
          return { ...state, nextPage: undefined, error: e };
        }
      }),
    );
  }

  /** The loaded runs still queued or running, across environments. */
  activeRuns(): FeedRun[] {
    return this.states.flatMap((s) => s.runs).filter((r) => !isTerminal(r.run.status));
  }

  /**
   * A newer row of a loaded run (e.g. the status columns of the watcher's poll): the fields it has replace
   * the loaded ones, and the run's times are worked out again. False when the run is not loaded.
   */
  update(orgUrl: string, row: Run): boolean {
    const org = orgKey(orgUrl);
    const id = row.id.toLowerCase();
    let found = false;
    this.states = this.states.map((state) => {
      if (orgKey(state.environment.orgUrl) !== org) {
        return state;
      }
      const at = state.runs.findIndex((r) => r.run.id.toLowerCase() === id);
      const old = at < 0 ? undefined : state.runs[at];
      if (old === undefined) {
        return state;
      }
      found = true;
      const defined = Object.fromEntries(Object.entries(row).filter(([, v]) => v !== undefined));
      const runs = [...state.runs];
      runs[at] = this.entry(state.environment, { ...old.run, ...defined });
      return { ...state, runs };
    });
    return found;
  }

  /**
   * Keeps the loaded runs that are queued or running up to date while the caller wants (dispose to stop):
   * each is handed to `observe` (the environment watcher's one status request per tick for all active runs,
   * `RunService.observe`), and every newer row updates the feed, then calls `changed`. Runs `skip` names
   * (those the caller follows otherwise, e.g. this window's own) are left out.
   */
  follow(
    observe: (subject: RunSubject, onRow: (row: Run) => void) => Subscription,
    changed: () => void,
    skip: (environment: EnvironmentRef, runId: string) => boolean = () => false,
  ): Subscription {
    const subscriptions = this.activeRuns()
      .filter((r) => !skip(r.environment, r.run.id))
      .map((r) =>
        observe(
          {
            environment: r.environment,
            flowId: r.run.flowId ?? '',
            runId: r.run.id,
            ...(r.run.flowName === undefined ? {} : { flowName: r.run.flowName }),
          },
          (row) => {
            if (this.update(r.environment.orgUrl, row)) {
              changed();
            }
          },
        ),
      );
    return {
      dispose: () => {
        for (const s of subscriptions.splice(0)) {
          s.dispose();
        }
      },
    };
  }

  /** What each environment loaded. */
  get environments(): readonly FeedSourceState[] {
    return this.states;
  }

  /** The runs to show, newest first, and whether older ones can be loaded. */
  merged(): { runs: FeedRun[]; hasMore: boolean } {
    return mergeFeed(this.states);
  }

  private entry(environment: EnvironmentRef, run: Run): FeedRun {
    return { environment, run, ...runTimings(run, this.now()) };
  }
}
