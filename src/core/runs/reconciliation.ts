/**
 * Deciding which run, if any, a start request with a lost or uncertain answer created. Pure functions and
 * a small in-process registry, so the rules can be read in one place; `runTrigger.ts` does the querying
 * and `sharedRunState.ts` shares claims and the start lock across processes.
 *
 * The documented API has no idempotency key and no client-chosen run id, so identity is proven from what
 * can be read back (docs/service-contract.md). A run is a *candidate* only when all of these hold, and any
 * mismatch excludes it:
 * - nobody claimed it (a run attributed to a request, in any process of this user, is never adopted again);
 * - it is a run of this flow started through RunDesktopFlow (`triggertype` 3), created at or after the
 *   service's own time (`Date` header) just before our request was sent, minus the header's 1-second
 *   resolution;
 * - its creator (`_createdby_value`, else `_ownerid_value`) is the signed-in caller (WhoAmI `UserId`);
 * - its run mode and connection are ours (where the service reports them);
 * - its stored inputs equal ours; when the flow has sensitive inputs (which the service may store hidden),
 *   the non-sensitive ones must be equal.
 * Priority is not stored in any documented `flowsession` column, so it cannot be compared.
 *
 * Exactly one candidate whose inputs were read and match: that run is ours. More than one, or one whose
 * inputs could not be read: the evidence does not single out a run, and the outcome is reported unknown
 * with the candidates' ids instead of guessing.
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

/** What a candidate must match, besides not being claimed. */
export interface RunEvidence {
  readonly options: RunOptions;
  /** The signed-in caller's systemuser id (WhoAmI); `undefined` when unknown (no caller check). */
  readonly callerId: string | undefined;
  /** Earliest `createdon` (epoch ms) the run can have. */
  readonly createdOnOrAfter: number;
}

/** Why a run is not a candidate; `undefined` when it is one. */
export type Exclusion = 'claimed' | 'caller' | 'runMode' | 'connection' | 'createdOn';

/** Checks one lookup row against the evidence (inputs are compared separately: they need a request). */
export function exclusionOf(
  run: Run,
  evidence: RunEvidence,
  isClaimed: (runId: string) => boolean,
): Exclusion | undefined {
  if (isClaimed(run.id)) {
    return 'claimed';
  }
  const creator = run.createdById ?? run.ownerId;
  if (
    evidence.callerId !== undefined &&
    creator !== undefined &&
    creator.toLowerCase() !== evidence.callerId.toLowerCase()
  ) {
    return 'caller';
  }
  if (run.runMode !== 'unknown' && run.runMode !== evidence.options.runMode) {
    return 'runMode';
  }
  const connection = expectedConnectionName(evidence.options);
  if (
    run.connectionId !== undefined &&
    connection !== undefined &&
    !sameConnection(run.connectionId, connection)
  ) {
    return 'connection';
  }
  const created = run.createdOn === undefined ? Number.NaN : Date.parse(run.createdOn);
  if (!Number.isNaN(created) && created < evidence.createdOnOrAfter) {
    return 'createdOn';
  }
  return undefined;
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
 * Whether a run's stored inputs are the ones we sent: equal, or, when the flow has sensitive inputs,
 * equal on every other input (each side's non-sensitive names, so an extra or missing one is a mismatch).
 *
 * @param sent the exact inputs string sent (`undefined`: none)
 * @param stored what `inputs/$value` holds (`undefined`: none)
 */
export function sameInputs(
  sent: string | undefined,
  stored: Readonly<Record<string, unknown>> | undefined,
  sensitiveInputNames: readonly string[] = [],
): boolean {
  let ours: unknown = {};
  if (sent !== undefined && sent.trim() !== '') {
    try {
      ours = JSON.parse(sent) as unknown;
    } catch {
      return false;
    }
  }
  const theirs: unknown = stored ?? {};
  if (sensitiveInputNames.length === 0) {
    return sameJson(ours, theirs);
  }
  if (typeof ours !== 'object' || ours === null || Array.isArray(ours)) {
    return false;
  }
  const hidden = new Set(sensitiveInputNames);
  const visible = (o: object): Record<string, unknown> =>
    Object.fromEntries(Object.entries(o).filter(([k]) => !hidden.has(k)));
  return sameJson(visible(ours), visible(theirs as object));
}

/**
 * When a start request was sent: the service's time just before (its `Date` header, `undefined` when it
 * gave none) and the run clock's. Kept by the trigger in memory and by a batch in its journal, so a
 * request sent by an earlier process is settled by the same rules.
 */
export interface SendInstant {
  readonly serviceTime: number | undefined;
  readonly localTime: number;
}

/**
 * The service's maximum execution time for a request, plus a margin: Dataverse ends a request after
 * 2 minutes (docs/service-contract.md). A request can create its run no later than this after it was sent.
 */
export const defaultMaxRequestMs = 150_000;

/** `Date` and `createdon` have whole seconds: a run created in our request's second may show the second before. */
export const serviceTimeResolutionMs = 1_000;

/**
 * The earliest `createdon` a run of the request can have: the service's time before sending (less its
 * resolution), or, when the service gave none, our time less a clock-skew margin.
 */
export function windowStartOf(sent: SendInstant, skewMarginMs: number): number {
  return sent.serviceTime !== undefined
    ? Math.floor(sent.serviceTime / 1000) * 1000 - serviceTimeResolutionMs
    : sent.localTime - skewMarginMs;
}

/**
 * Whether the time in which the service could still create the request's run has passed: on the
 * service's clock (`serviceNow`, read *before* the latest lookup, so every run created until then was in
 * its answer) when both service times are known, else on the run clock.
 */
export function requestWindowPassed(
  sent: SendInstant,
  maxRequestMs: number,
  serviceNow: number | undefined,
  localNow: number,
): boolean {
  return sent.serviceTime !== undefined && serviceNow !== undefined
    ? serviceNow >= sent.serviceTime + maxRequestMs
    : localNow >= sent.localTime + maxRequestMs;
}

/**
 * Run-clock ms until the request's window ends, estimated from how fast the service's clock advanced
 * since the send (the sandbox's may run faster than ours); `Infinity` when that cannot be told yet.
 */
export function untilRequestWindowEnds(
  sent: SendInstant,
  maxRequestMs: number,
  serviceNow: number | undefined,
  localNow: number,
): number {
  if (sent.serviceTime === undefined || serviceNow === undefined) {
    return Math.max(0, sent.localTime + maxRequestMs - localNow);
  }
  const elapsedLocal = localNow - sent.localTime;
  const elapsedService = serviceNow - sent.serviceTime;
  if (elapsedLocal < 200 || elapsedService <= 0) {
    return Number.POSITIVE_INFINITY;
  }
  const rate = elapsedService / elapsedLocal;
  return Math.max(20, Math.ceil((sent.serviceTime + maxRequestMs - serviceNow) / rate) + 20);
}
