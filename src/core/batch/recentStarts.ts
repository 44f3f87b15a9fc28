/**
 * Starts the service already counts against a batch's connections when the batch begins: runs created on
 * them in the last minute by anyone (another batch that just ended, another process of this user, another
 * user of a shared connection). The service allows 70 starts per connection in any 60 seconds
 * (docs/service-contract.md#rate-limit-70-starts-per-minute-per-connection); a fresh process that knew only its own starts would send 70
 * at once and collect a 429 for every one of them the service still counts.
 *
 * One `WhoAmI` (the service's clock, from its `Date` header) and one `flowsessions` query for runs created
 * since a minute before it (`createdon`, `connectionid`; docs/service-contract.md#flowsessions-run-status),
 * matched to the connections on our side. Each run becomes an instant on the run clock at which the
 * batch's limiter counts it, placed as late as it can be: `createdon` and `Date` have whole seconds, so a
 * run counts until one second after its `createdon` plus the window, measured from the moment the service
 * said `Date` (which is before we read the answer).
 *
 * A failed lookup is not fatal: the batch starts with an empty budget history and honours any 429.
 */
import { ApiError, CancellationError } from '../errors';
import type { Logger } from '../logger';
import type { RunClock } from '../runs/runClock';
import { connectionKey, type RunConnection } from '../runs/runOptions';
import type { RunsBackend } from '../runs/runsBackend';

/** How far back runs are looked for: the service's 60-second window and its whole-second timestamps. */
const lookBackMs = 61_000;
/** Pages of recent runs read at most (a busy environment; 70 per connection per minute). */
const maxPages = 20;

/** The connection name a run row's `connectionid` is compared with, when we know it. */
function connectionNameOf(connection: RunConnection): string | undefined {
  return connection.kind === 'connection' ? connection.name : connection.connectionName;
}

/** Whether a row's `connectionid` names the connection (a bare name or a resource id ending in it). */
function namesConnection(connectionId: string, name: string): boolean {
  const a = connectionId.toLowerCase();
  const b = name.toLowerCase();
  return a === b || a.endsWith(`/${b}`);
}

/**
 * Run-clock instants, per `connectionKey`, of the starts the service counts against `connections` now.
 * Connections whose connection name is unknown (a reference not resolved) get none.
 */
export async function recentStartsOn(
  connections: readonly RunConnection[],
  backend: RunsBackend,
  clock: RunClock,
  logger: Logger,
  signal: AbortSignal,
  windowMs = 60_000,
): Promise<Map<string, number[]>> {
  const byKey = new Map<string, number[]>();
  const named = connections.flatMap((c) => {
    const name = connectionNameOf(c);
    return name === undefined ? [] : [{ key: connectionKey(c), name }];
  });
  if (named.length === 0) {
    return byKey;
  }
  try {
    const answer = backend.whoAmI === undefined ? undefined : await backend.whoAmI(signal);
    const localTime = clock.now();
    const serviceTime = answer?.serviceTime ?? localTime;
    const query = {
      createdOnOrAfter: serviceTime - lookBackMs,
      columns: 'status',
      pageSize: 500,
    } as const;
    let page = await backend.listRuns(query, signal);
    for (let pages = 1; ; pages++) {
      for (const run of page.runs) {
        const created = run.createdOn === undefined ? NaN : Date.parse(run.createdOn);
        if (run.connectionId === undefined || Number.isNaN(created)) {
          continue;
        }
        // Counted by the service until `created + 1 s + window` (its clock); on ours, that many ms after
        // the moment the service said `serviceTime`, which was no later than `localTime`.
        const at = localTime + (created + 1_000 - serviceTime);
        if (at + windowMs <= localTime) {
          continue;
        }
        for (const { key, name } of named) {
          if (namesConnection(run.connectionId, name)) {
            let list = byKey.get(key);
            if (list === undefined) {
              list = [];
              byKey.set(key, list);
            }
            list.push(at);
          }
        }
      }
      if (page.nextPage === undefined || pages >= maxPages) {
        break;
      }
      page = await backend.listRunsPage(page.nextPage, query, signal);
    }
  } catch (e) {
    if (CancellationError.is(e) || !ApiError.is(e)) {
      throw e;
    }
    logger.warn(
      `[batch] could not read the runs started on the batch's connections in the last minute (${e.message}); a 429 from the service will be honoured`,
    );
  }
  return byKey;
}
