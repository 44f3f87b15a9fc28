/**
 * Deciding which run, if any, a start request with a lost response created. Pure functions and a small
 * registry, so the rules can be read in one place; `runTrigger.ts` does the querying.
 *
 * Why this is unambiguous in practice:
 * - The trigger serializes start requests per flow and connection, so in this process at most one
 *   request for a given flow+connection has an unknown outcome at a time.
 * - Every run this process has attributed to a request (returned by the service or found here) is
 *   *claimed*, and claimed runs are never candidates again. Claiming happens synchronously right after
 *   the choice, so two reconciliations of the same flow on different connections (which may run
 *   concurrently) can never pick the same run.
 * - Candidates must be runs of this flow created by the API (`triggertype` 3) since the trigger instant
 *   minus a clock-skew margin, with the same run mode and, where the service reports it, the same
 *   connection. What remains unclaimed can only be ours, or a run another client started on the same
 *   flow with the same connection within seconds; then the inputs (when readable) and the creation time
 *   closest to our request decide.
 */
import type { RunOptions } from './runOptions';
import type { Run } from '../model/run';

/** Runs already attributed to a start request; never attributed twice. */
export class ClaimedRuns {
  private readonly claimed = new Map<string, number>();

  /** @param retentionMs how long a claim is remembered; beyond the reconciliation window it cannot matter. */
  constructor(private readonly retentionMs: number) {}

  has(runId: string): boolean {
    return this.claimed.has(runId.toLowerCase());
  }

  /** Marks runs as attributed at `now` (epoch ms); forgets claims older than the retention. */
  claim(runIds: Iterable<string>, now: number): void {
    for (const id of runIds) {
      this.claimed.set(id.toLowerCase(), now);
    }
    for (const [id, at] of this.claimed) {
      if (now - at > this.retentionMs) {
        this.claimed.delete(id);
      }
    }
  }

  get size(): number {
    return this.claimed.size;
  }
}

/** The connection name a run with these options runs through, when known. */
export function expectedConnectionName(options: RunOptions): string | undefined {
  const c = options.connection;
  return c.kind === 'connection' ? c.name : c.connectionName;
}

/** Whether a row's `connectionid` names the connection (bare name or a resource id ending in it). */
function sameConnection(connectionId: string, name: string): boolean {
  const a = connectionId.toLowerCase();
  const b = name.toLowerCase();
  return a === b || a.endsWith(`/${b}`);
}

/**
 * Runs that could have been created by our request: not claimed, same run mode, same connection when
 * both sides are known. (Flow, trigger type and creation time are already in the query.)
 */
export function reconciliationCandidates(
  rows: readonly Run[],
  options: RunOptions,
  claimed: ClaimedRuns,
): Run[] {
  const connection = expectedConnectionName(options);
  return rows.filter(
    (r) =>
      !claimed.has(r.id) &&
      (r.runMode === 'unknown' || r.runMode === options.runMode) &&
      (r.connectionId === undefined ||
        connection === undefined ||
        sameConnection(r.connectionId, connection)),
  );
}

/** Deep equality of JSON values (object key order ignored). */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) {
    return true;
  }
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) {
    return false;
  }
  if (Array.isArray(a) !== Array.isArray(b)) {
    return false;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((v, i) => sameJson(v, b[i]));
  }
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  const ka = Object.keys(ra);
  return (
    ka.length === Object.keys(rb).length &&
    ka.every((k) => Object.prototype.hasOwnProperty.call(rb, k) && sameJson(ra[k], rb[k]))
  );
}

/**
 * Chooses among candidates (already known to be unclaimed and matching). Runs whose stored inputs equal
 * ours are preferred; different inputs never exclude a run, because the service may store inputs
 * differently from how they were sent (sensitive values are hidden), and excluding our own run would lead
 * to starting it twice. Among the preferred, the run created closest to our request instant wins; on a
 * tie, the earlier one.
 *
 * @param inputsMatch per run id: `true` same inputs, `false` different, absent unknown.
 */
export function chooseReconciledRun(
  candidates: readonly Run[],
  triggeredAt: number,
  inputsMatch: ReadonlyMap<string, boolean>,
): Run | undefined {
  const exact = candidates.filter((r) => inputsMatch.get(r.id) === true);
  const pool = exact.length > 0 ? exact : candidates;
  const created = (r: Run): number => {
    const t = r.createdOn === undefined ? Number.NaN : Date.parse(r.createdOn);
    return Number.isNaN(t) ? Number.POSITIVE_INFINITY : t;
  };
  return [...pool].sort((x, y) => {
    const dx = Math.abs(created(x) - triggeredAt);
    const dy = Math.abs(created(y) - triggeredAt);
    return dx - dy || created(x) - created(y) || x.id.localeCompare(y.id);
  })[0];
}
