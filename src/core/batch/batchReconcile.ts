/**
 * After a crash or a lost answer, some items of a journal are uncertain: their `starting` line is there,
 * but no outcome. Before `--resume` sends anything, each is settled with the service, the way a single run
 * with a lost answer is (runTrigger.ts / reconciliation.ts): list the flow's API-started runs created
 * since the item's `starting` instant minus a clock-skew margin, leave out runs already attributed
 * (every run id in the journal is claimed), keep those with the batch's run mode and connection, and
 * since items of one batch share flow and connection, recognise the item by its inputs (digest of the
 * non-sensitive inputs). Found: the item is accepted with that run. Not found after the lookups have
 * settled: it was surely never started and is started now. Lookups that keep failing leave it uncertain;
 * nothing is sent for it.
 */
import { ApiError, CancellationError } from '../errors';
import type { Logger } from '../logger';
import type { Run } from '../model/run';
import { ClaimedRuns, exclusionOf } from '../runs/reconciliation';
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
  /** Run-clock instant of its `starting` line. */
  readonly at: number;
  readonly inputsDigest: string | undefined;
}

/** What reconciliation concluded for one item. */
export type Reconciled =
  | { readonly kind: 'found'; readonly runId: string; readonly createdOn: string | undefined }
  | { readonly kind: 'notStarted' }
  | { readonly kind: 'unknown'; readonly reason: string };

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
  readonly skewMarginMs?: number;
  readonly lookupDelaysMs?: readonly number[];
  readonly lookupRetries?: number;
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
  for (const group of byFlow.values()) {
    await reconcileFlow(group, options, claimed, result, signal);
  }
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
  const since = Math.min(...group.map((i) => i.at)) - (options.skewMarginMs ?? 120_000);
  const delays = [...(options.lookupDelaysMs ?? [0, 2_000, 5_000])];
  const retries = options.lookupRetries ?? 5;
  let failures = 0;
  let previous = 0;
  const digests = new Map<string, string>();
  for (let i = 0; i < delays.length && open.size > 0; i++) {
    const delay = delays[i] ?? 0;
    if (delay > previous) {
      await clock.sleep(delay - previous, signal);
    }
    previous = delay;
    let rows: Run[];
    try {
      rows = await lookup(backend, flowId, since, signal);
    } catch (e) {
      if (CancellationError.is(e) || !ApiError.is(e) || failures >= retries) {
        if (CancellationError.is(e)) {
          throw e;
        }
        for (const item of open) {
          result.set(item.file, { kind: 'unknown', reason: e instanceof Error ? e.message : String(e) });
        }
        return;
      }
      failures++;
      logger.warn(`[batch] looking for runs of uncertain items failed (${e.reason}); trying again`);
      delays.splice(i + 1, 0, previous + 1_000 * failures);
      continue;
    }
    for (const connection of options.connections) {
      const label = connectionLabel(connection);
      // Caller and creation time are already bounded by the lookup (`since`); the rest as for single runs.
      const evidence = {
        options: { connection, runMode: options.runMode },
        callerId: undefined,
        createdOnOrAfter: Number.NEGATIVE_INFINITY,
      };
      const candidates = rows.filter((r) => exclusionOf(r, evidence, (id) => claimed.has(id)) === undefined);
      for (const run of candidates) {
        const waiting = [...open].filter((item) => item.connection === label);
        if (waiting.length === 0) {
          break;
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
            continue;
          }
        }
        const match =
          waiting.find((item) => item.inputsDigest === digest) ??
          // Without a digest (an older journal) a lone uncertain item takes a lone candidate, like single runs.
          (waiting.length === 1 && candidates.length === 1 && waiting[0]?.inputsDigest === undefined
            ? waiting[0]
            : undefined);
        if (match !== undefined) {
          claimed.claim([run.id], clock.now());
          open.delete(match);
          result.set(match.file, { kind: 'found', runId: run.id, createdOn: run.createdOn });
          logger.info(`[batch] ${match.file}: its lost start created run ${run.id}`);
        }
      }
    }
  }
  for (const item of open) {
    result.set(item.file, { kind: 'notStarted' });
  }
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
    columns: 'status',
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
