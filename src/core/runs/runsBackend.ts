/**
 * The narrow set of service calls the runs core needs against one environment, in the core's own terms.
 * `dataverseRunsBackend.ts` implements it over the runs API; keeping the interface here lets the trigger,
 * watcher and review logic be read (and tested) without OData details.
 */
import type { Run, RunStart } from '../model/run';
import type { FlowLogEntry, RunAction } from '../model/runActionLog';
import type { RunDesktopFlowRequest, WhoAmIAnswer } from '../api/runsApi';

/**
 * Which columns a query needs: `status` is the watcher's narrow set, `full` adds what history shows,
 * `reconcile` is `status` plus who created and owns the run, `feed` is `full` plus who started it (the
 * Runs view).
 */
export type RunColumns = 'status' | 'full' | 'reconcile' | 'feed';

/** A query over `flowsessions`. Conditions are combined with `and`. */
export interface RunQuery {
  /** Exactly these runs (the watcher's one request per tick). */
  readonly runIds?: readonly string[];
  /** Runs of this desktop flow. */
  readonly flowId?: string;
  /** `createdon ge` this instant (epoch ms). */
  readonly createdOnOrAfter?: number;
  /** Only runs started through RunDesktopFlow (`triggertype eq 3`). */
  readonly apiTriggeredOnly?: boolean;
  /** Only runs created by this `systemuser` (`_createdby_value eq …`; the caller's id comes from WhoAmI). */
  readonly createdBy?: string;
  /** Only runs with one of these `statuscode`s. */
  readonly statusCodes?: readonly number[];
  readonly columns: RunColumns;
  /** Newest first (history) or oldest first (reconciliation). Default: the service's order. */
  readonly order?: 'newestFirst' | 'oldestFirst';
  /** `Prefer: odata.maxpagesize`. */
  readonly pageSize?: number;
}

/** One page of runs. */
export interface RunPage {
  readonly runs: readonly Run[];
  /** Continuation for `listRunsPage`, passed back unchanged; absent on the last page. */
  readonly nextPage: string | undefined;
}

/** The service calls the runs core makes against one environment. Every call takes an `AbortSignal`. */
export interface RunsBackend {
  /**
   * `GET WhoAmI`: the caller's user id and the service's clock (`Date` header). Optional so that fakes
   * without it still work; without it reconciliation cannot check the caller and uses the local clock.
   */
  whoAmI?(signal: AbortSignal): Promise<WhoAmIAnswer>;
  /**
   * POST RunDesktopFlow. Not idempotent: it must not be repeated once the request may have reached the
   * service (`ApiError.mayHaveReachedService`); the trigger decides what to do then.
   */
  startRun(flowId: string, request: RunDesktopFlowRequest, signal: AbortSignal): Promise<RunStart>;
  /** The first page of `flowsessions` matching `query`. */
  listRuns(query: RunQuery, signal: AbortSignal): Promise<RunPage>;
  /** The page after a previous one (same query). */
  listRunsPage(nextPage: string, query: RunQuery, signal: AbortSignal): Promise<RunPage>;
  /** One run with `full` columns; `ApiError` `notFound` when it does not exist or is not visible. */
  getRun(runId: string, signal: AbortSignal): Promise<Run>;
  /** `outputs/$value`, parsed; `undefined` when the run has no outputs (404, 204 or empty). */
  getRunOutputs(runId: string, signal: AbortSignal): Promise<Record<string, unknown> | undefined>;
  /** `inputs/$value`, parsed; `undefined` when the run has none. */
  getRunInputs(runId: string, signal: AbortSignal): Promise<Record<string, unknown> | undefined>;
  /** V1 action log (`additionalcontext`) in execution order; empty when there is none yet. */
  getActionLog(runId: string, signal: AbortSignal): Promise<readonly RunAction[]>;
  /**
   * V2 action logs (`flowlog` rows of the run, oldest first); empty when there are none. Optional: fakes
   * without it have none.
   */
  getFlowLogs?(runId: string, signal: AbortSignal): Promise<readonly FlowLogEntry[]>;
  /** POST CancelDesktopFlowRun. */
  cancelRun(runId: string, signal: AbortSignal): Promise<void>;
  /**
   * Splits run ids into as few status queries (`runIds`) as the service's URL limit allows, in order.
   * Without it, the watcher uses a fixed number of ids per query.
   */
  chunkRunIds?(runIds: readonly string[]): string[][];
}
