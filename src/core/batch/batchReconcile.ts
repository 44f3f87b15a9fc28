/**
 * After a crash or a lost answer, some items of a journal are uncertain: their `starting` line is there,
 * but no outcome. Before `--resume` sends anything for them, each is settled with the service by the
 * single-run rules and window (reconciliation.ts, as runTrigger.ts uses them): list the flow's
 * API-started runs created since the item's send (on the service's clock, from the journaled `Date`; else
 * its `starting` instant minus a clock-skew margin), and keep the candidates of the single-run filter
 * (`exclusionOf`: not claimed — every run id in the journal, and every run an item was settled with, is —,
 * created by the signed-in caller (WhoAmI), the batch's run mode and connection); since items of one
 * batch share flow and connection, recognise the item by its inputs (digest of the non-sensitive inputs).
 * Exactly one candidate whose inputs were read and match: the item is accepted with that run. Several, or
 * one whose inputs could not be read: as for single runs, nothing is guessed or sent; the item is journaled
 * `unknown` with the candidates' ids and what to check. Not found once the service's maximum request
 * time after its send has passed on the service's clock (`requestWindowPassed`; a request can still create
 * its run until then): it surely created none and is started again. Items are settled together, each as soon as its
 * own window has passed, so an old uncertain item costs one lookup and a recent one at most its window.
 * Lookups that keep failing, or a window that never passes, leave it uncertain; nothing is sent for it.
 */
import { ApiError, CancellationError } from '../errors';
import type { Logger } from '../logger';
import type { Run } from '../model/run';
import { normalizePollInterval, errorBackoffMs } from '../runs/pollInterval';
import {
  ClaimedRuns,
  defaultMaxRequestMs,
  exclusionOf,
  requestWindowPassed,
  serviceTimeResolutionMs,
  untilRequestWindowEnds,
  windowStartOf,
  type SendInstant,
} from '../runs/reconciliation';
import type { RunClock } from '../runs/runClock';
import type { RunConnection, RunMode } from '../runs/runOptions';
import type { RunsBackend } from '../runs/runsBackend';
import { connectionLabel } from './batchRunner';

/** An item whose start may or may not have created a run. */
export interface UncertainItem {
  readonly file: string;
  readonly flowId: string;
  /** The connection label journaled for it. */
  readonly connection: string;
  /** Run-clock instant of its `starting` line (when its latest request was sent). */
  readonly at: number;
  /** The service's time just before that request was sent (journaled `serviceSentAt`), when known. */
  readonly serviceSentAt: number | undefined;
  readonly inputsDigest: string | undefined;
}

/** What reconciliation concluded for one item. */
export type Reconciled =
  | { readonly kind: 'found'; readonly runId: string; readonly createdOn: string | undefined }
  | { readonly kind: 'notStarted' }
  | {
      readonly kind: 'unknown';
      readonly reason: string;
      /** Runs that could each be the item's (several, or one whose inputs could not be read). */
      readonly candidateRunIds?: readonly string[];
    };

/** Dependencies of `reconcileUncertainItems`. */
export interface ReconcileItemsOptions {
  readonly backend: RunsBackend;
  readonly runMode: RunMode;
  readonly connections: readonly RunConnection[];
  /** Run ids the journal already attributes to items. */
  readonly claimed: Iterable<string>;
  /** Digest of a run's stored inputs for `flowId` (see inputsDigest.ts). */
  readonly digestOf: (
    flowId: string,
    inputs: Record<string, unknown> | undefined,
    signal: AbortSignal,
  ) => Promise<string>;
  readonly clock: RunClock;
  readonly logger: Logger;
  /** As `ReconcileOptions` of the run trigger; defaults suit the real service. */
  readonly skewMarginMs?: number;
  readonly maxRequestMs?: number;
  readonly lookupDelaysMs?: readonly number[];
  readonly lookupRetries?: number;
}

const defaultLookupDelaysMs = [0, 250, 1_000, 2_000, 4_000, 8_000, 15_000];
const backoff = normalizePollInterval({ minMs: 1_000, maxMs: 15_000 });

function sentOf(item: UncertainItem): SendInstant {
  return { serviceTime: item.serviceSentAt, localTime: item.at };
}

const maxPages = 20;

/** Settles every uncertain item; the result has one entry per item file. */
export async function reconcileUncertainItems(
  items: readonly UncertainItem[],
  options: ReconcileItemsOptions,
  signal: AbortSignal,
): Promise<Map<string, Reconciled>> {
  const result = new Map<string, Reconciled>();
  const claimed = new ClaimedRuns(Number.POSITIVE_INFINITY);
  claimed.claim(options.claimed, options.clock.now());
  const byFlow = new Map<string, UncertainItem[]>();
  for (const item of items) {
    const key = item.flowId.toLowerCase();
    byFlow.set(key, [...(byFlow.get(key) ?? []), item]);
  }
  // Flows are settled side by side: their windows overlap instead of adding up.
  await Promise.all(
    [...byFlow.values()].map((group) => reconcileFlow(group, options, claimed, result, signal)),
  );
  return result;
}

async function reconcileFlow(
  group: readonly UncertainItem[],
  options: ReconcileItemsOptions,
  claimed: ClaimedRuns,
  result: Map<string, Reconciled>,
  signal: AbortSignal,
): Promise<void> {
  const { backend, clock, logger } = options;
  const flowId = group[0]?.flowId;
  if (flowId === undefined) {
    return;
  }
  const open = new Set(group);
  const skew = options.skewMarginMs ?? 120_000;
  const maxRequestMs = options.maxRequestMs ?? defaultMaxRequestMs;
  const since = Math.min(...group.map((i) => windowStartOf(sentOf(i), skew)));
  const delays = options.lookupDelaysMs ?? defaultLookupDelaysMs;
  const retries = options.lookupRetries ?? 5;
  // However the service's clock behaves, give up after twice the window on our own clock.
  const hardStop = clock.now() + maxRequestMs * 2 + 60_000;
  let failures = 0;
  let serviceNow: number | undefined;
  let callerId: string | undefined;
  const digests = new Map<string, string>();
  for (let n = 0; open.size > 0; n++) {
    if (n > 0) {
      const scheduled = delays[Math.min(n, delays.length - 1)] ?? 1_000;
      const delay = failures > 0 ? errorBackoffMs(failures, undefined, backoff) : scheduled;
      const untilFirstWindowEnds = Math.min(
        ...[...open].map((item) =>
          untilRequestWindowEnds(sentOf(item), maxRequestMs, serviceNow, clock.now()),
        ),
      );
      const pause = Math.min(delay, untilFirstWindowEnds);
      if (pause > 0) {
        await clock.sleep(pause, signal);
      }
    }
    if (clock.now() > hardStop) {
      break;
    }
    let rows: Run[];
    try {
      if (backend.whoAmI !== undefined) {
        // The service's time *before* the lookup: every run created up to then is in its answer.
        const me = await backend.whoAmI(signal);
        serviceNow = me.serviceTime ?? serviceNow;
        callerId = me.userId ?? callerId;
      }
      rows = await lookup(backend, flowId, since, signal);
    } catch (e) {
      if (CancellationError.is(e)) {
        throw e;
      }
      if (!ApiError.is(e) || failures >= retries) {
        for (const item of open) {
          result.set(item.file, { kind: 'unknown', reason: e instanceof Error ? e.message : String(e) });
        }
        return;
      }
      failures++;
      logger.warn(`[batch] looking for runs of uncertain items failed (${e.reason}); trying again`);
      continue;
    }
    failures = 0;
    for (const connection of options.connections) {
      const label = connectionLabel(connection);
      // The single-run candidate filter (claims, caller, run mode, connection); creation time per item below.
      const evidence = {
        options: { connection, runMode: options.runMode },
        callerId,
        createdOnOrAfter: Number.NEGATIVE_INFINITY,
      };
      const candidates = rows.filter((r) => exclusionOf(r, evidence, (id) => claimed.has(id)) === undefined);
      const waitingHere = [...open].filter((item) => item.connection === label);
      if (candidates.length === 0 || waitingHere.length === 0) {
        continue;
      }
      // Each candidate's inputs digest; `undefined` when they could not be read.
      const digestById = new Map<string, string | undefined>();
      for (const run of candidates) {
        if (!waitingHere.some((item) => couldHaveCreated(item, run, maxRequestMs))) {
          continue;
        }
        let digest = digests.get(run.id);
        if (digest === undefined) {
          try {
            digest = await options.digestOf(flowId, await backend.getRunInputs(run.id, signal), signal);
            digests.set(run.id, digest);
          } catch (e) {
            if (CancellationError.is(e)) {
              throw e;
            }
          }
        }
        digestById.set(run.id, digest);
      }
      // The single-run rule per item: exactly one candidate whose inputs were read and match is its run;
      // more than one, or one whose inputs could not be read, leaves the item unknown with their ids.
      for (const item of waitingHere) {
        const possible = candidates.filter((run) => {
          if (claimed.has(run.id) || !digestById.has(run.id) || !couldHaveCreated(item, run, maxRequestMs)) {
            return false;
          }
          const digest = digestById.get(run.id);
          // Without a digest (an older journal) the item cannot be recognised by its inputs: every candidate could be it.
          return digest === undefined || item.inputsDigest === undefined || digest === item.inputsDigest;
        });
        if (possible.length === 0) {
          continue;
        }
        const only = possible[0];
        const recognisable =
          item.inputsDigest !== undefined || waitingHere.filter((i) => open.has(i)).length === 1;
        if (
          possible.length === 1 &&
          only !== undefined &&
          digestById.get(only.id) !== undefined &&
          recognisable
        ) {
          claimed.claim([only.id], clock.now());
          open.delete(item);
          result.set(item.file, { kind: 'found', runId: only.id, createdOn: only.createdOn });
          logger.info(`[batch] ${item.file}: its lost start created run ${only.id}`);
          continue;
        }
        const ids = possible.map((r) => r.id);
        open.delete(item);
        result.set(item.file, {
          kind: 'unknown',
          reason:
            (ids.length === 1
              ? `Its start may have created a run, and run ${ids.join(', ')} could be it, but that run's inputs could not be read to prove it.`
              : `Its start may have created a run, and ${ids.length} runs could be it: ${ids.join(', ')}.`) +
            ' Check these runs in the Runs view or on the service, and start the item again yourself only if none of them is its run.',
          candidateRunIds: ids,
        });
        logger.warn(`[batch] ${item.file}: ${ids.length} run(s) could have been started by it; not guessing`);
      }
    }
    for (const item of open) {
      if (requestWindowPassed(sentOf(item), maxRequestMs, serviceNow, clock.now())) {
        open.delete(item);
        result.set(item.file, { kind: 'notStarted' });
      }
    }
  }
  for (const item of open) {
    result.set(item.file, {
      kind: 'unknown',
      reason: "Its run could not be confirmed before the service's maximum request time had passed.",
    });
  }
}

/** Whether `run` was created in the time the item's request could have created it (when both are known). */
function couldHaveCreated(item: UncertainItem, run: Run, maxRequestMs: number): boolean {
  const created = run.createdOn === undefined ? Number.NaN : Date.parse(run.createdOn);
  if (Number.isNaN(created) || item.serviceSentAt === undefined) {
    return true;
  }
  return (
    created >= windowStartOf(sentOf(item), 0) &&
    created <= item.serviceSentAt + maxRequestMs + serviceTimeResolutionMs
  );
}

async function lookup(
  backend: RunsBackend,
  flowId: string,
  since: number,
  signal: AbortSignal,
): Promise<Run[]> {
  const query = {
    flowId,
    createdOnOrAfter: since,
    apiTriggeredOnly: true,
    // With the creator columns, so the caller is checked as for single runs.
    columns: 'reconcile',
    order: 'oldestFirst',
    pageSize: 500,
  } as const;
  let page = await backend.listRuns(query, signal);
  const rows = [...page.runs];
  for (let n = 1; page.nextPage !== undefined && n < maxPages; n++) {
    page = await backend.listRunsPage(page.nextPage, query, signal);
    rows.push(...page.runs);
  }
  return rows;
}
