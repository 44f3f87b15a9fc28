/**
 * One invocation of a batch, front to back, for any front end (the CLI now, the extension later):
 *
 * 1. find the candidate files (path order) and check every item before anything is sent;
 * 2. create the journal (or reopen it with `resume`), and record items left out as invalid;
 * 3. on resume, settle uncertain items with the service (batchReconcile.ts) and claim every journaled
 *    run, so no lost answer is ever matched to a run of an earlier session;
 * 4. count the starts the service already counts against the connections (recentStarts.ts), run the
 *    rest (batchRunner.ts), then write the summary to the journal.
 *
 * The report is written afterwards from the journal (batchReport.ts).
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { Logger } from '../logger';
import type { RunClock } from '../runs/runClock';
import type { RunsBackend } from '../runs/runsBackend';
import type { RunService } from '../runs/runService';
import { throwIfAborted } from '../util/abort';
import { findBatchFiles } from './batchItems';
import {
  BatchJournalWriter,
  replayBatchJournal,
  type BatchHeader,
  type BatchItemTrack,
} from './batchJournal';
import { recentStartsOn } from './recentStarts';
import { reconcileUncertainItems, type UncertainItem } from './batchReconcile';
import { finishedStatuses, summarize, type BatchSummary } from './batchReport';
import {
  BatchRunner,
  itemError,
  type BatchOutcome,
  type BatchProgressEvent,
  type BatchCounts,
} from './batchRunner';
import type { BatchProblem, SessionBatchPort } from './sessionBatchPort';

/** A stable id for a batch over these paths (and flow): a second batch over the same folder finds its journal. */
export function batchIdFor(paths: readonly string[], flowId: string | undefined): string {
  const roots = paths.map((p) => path.resolve(p)).sort();
  const hash = createHash('sha256')
    .update(JSON.stringify({ roots, flow: flowId?.toLowerCase() ?? null }))
    .digest('hex')
    .slice(0, 10);
  const first = roots[0] === undefined ? 'batch' : path.basename(roots[0]).replace(/\.json$/i, '');
  const name = first.replace(/[^A-Za-z0-9._-]+/g, '-').slice(0, 40) || 'batch';
  return `${name}-${hash}`;
}

/** `.desktopflows/batches/<batch id>.json` next to the first folder (or in the first file's folder). */
export function defaultJournalPath(firstPath: string, batchId: string): string {
  // A folder's parent holds `.desktopflows` beside it; a file's folder holds it beside the file.
  return path.join(path.dirname(path.resolve(firstPath)), '.desktopflows', 'batches', `${batchId}.json`);
}

/** Everything a session needs. */
export interface BatchSessionOptions {
  readonly paths: readonly string[];
  readonly journalFile: string;
  /** New batch: its header. Resume: `undefined` (the journal's is used). */
  readonly header: Omit<BatchHeader, 't' | 'v' | 'createdAt'> | undefined;
  readonly skipInvalid: boolean;
  /** Follow every run to its end (this session; a resumed batch may wait though the first did not). */
  readonly wait: boolean;
  readonly port: SessionBatchPort;
  readonly service: RunService;
  readonly backend: RunsBackend;
  readonly clock: RunClock;
  readonly logger: Logger;
  /** Paths never taken as items (the report file). */
  readonly exclude?: ReadonlySet<string>;
  readonly rateLimit?: { readonly limit: number; readonly windowMs: number };
  /** Each problem found while checking, as it is found. */
  readonly onProblem?: (problem: BatchProblem) => void;
  /** Called once checking is done, before anything is sent. */
  readonly onChecked?: (checked: { readonly items: number; readonly invalid: number }) => void;
  readonly onProgress?: (event: BatchProgressEvent, counts: BatchCounts) => void;
}

/** How a session ended. */
export type BatchSessionResult =
  | { readonly kind: 'invalid'; readonly items: number; readonly invalid: number; readonly errors: number }
  | { readonly kind: 'empty' }
  | {
      readonly kind: 'ran';
      readonly header: BatchHeader;
      readonly outcome: BatchOutcome;
      readonly files: readonly string[];
      readonly tracks: ReadonlyMap<string, BatchItemTrack>;
      readonly summary: BatchSummary;
      /** Items left uncertain by reconciliation (lookups failing). */
      readonly unsettled: number;
    };

const settled = new Set(['accepted', 'finished', 'rejected', 'skipped']);

/** Runs one session; see the file comment. */
export async function runBatchSession(
  options: BatchSessionOptions,
  signal: AbortSignal,
): Promise<BatchSessionResult> {
  const { port, clock } = options;
  const exclude = new Set([path.resolve(options.journalFile), ...(options.exclude ?? [])]);
  const replay =
    options.header === undefined ? await replayBatchJournal(options.journalFile, signal) : undefined;
  const header: BatchHeader =
    replay?.header ??
    ({ t: 'batch', v: 1, createdAt: new Date(clock.now()).toISOString(), ...options.header } as BatchHeader);
  const known = replay?.items ?? new Map<string, BatchItemTrack>();
  const explicit = new Set<string>();
  for (const p of options.paths) {
    explicit.add(path.resolve(p));
  }

  // 1. Check every item that may still be sent (the connections themselves are checked once, up front).
  const firstConnection = header.connections[0];
  if (firstConnection === undefined) {
    throw new RangeError('A batch needs at least one connection');
  }
  const files: string[] = [];
  const invalid = new Map<string, BatchProblem>();
  let errors = 0;
  for await (const file of findBatchFiles(options.paths, signal, { exclude })) {
    throwIfAborted(signal);
    const track = known.get(file);
    if (track !== undefined && (settled.has(track.state) || track.runId !== undefined)) {
      files.push(file);
      continue;
    }
    const check = await port.check(file, explicit.has(file), firstConnection, signal);
    if (check.kind === 'notAnItem') {
      continue;
    }
    files.push(file);
    if (check.kind === 'invalid') {
      const blocking = check.problems.filter((p) => p.severity === 'error');
      errors += blocking.length;
      const first = blocking[0];
      if (first !== undefined) {
        invalid.set(file, first);
      }
      for (const p of check.problems) {
        options.onProblem?.(p);
      }
    } else {
      for (const p of check.warnings) {
        options.onProblem?.(p);
      }
    }
  }
  options.onChecked?.({ items: files.length, invalid: invalid.size });
  if (invalid.size > 0 && !options.skipInvalid) {
    return { kind: 'invalid', items: files.length, invalid: invalid.size, errors };
  }
  if (files.length === 0) {
    return { kind: 'empty' };
  }

  // 2. The journal.
  const journal =
    replay === undefined
      ? await BatchJournalWriter.create(options.journalFile, header)
      : await BatchJournalWriter.reopen(options.journalFile, replay);
  try {
    await journal.append({ t: 'session', at: clock.now(), resumed: replay !== undefined }, true);
    for (const [file, problem] of invalid) {
      await journal.item({
        file,
        state: 'skipped',
        at: clock.now(),
        error: itemError(
          undefined,
          `Line ${problem.line}:${problem.column} (${problem.path}): ${problem.message} ${problem.fix}`.trim(),
        ),
      });
    }

    // 3. Settle what an earlier session left uncertain, and claim every journaled run.
    const claimed: string[] = [];
    const uncertain: UncertainItem[] = [];
    for (const file of files) {
      const track = journal.items.get(file);
      if (track?.runId !== undefined) {
        claimed.push(track.runId);
      } else if ((track?.state === 'starting' || track?.state === 'unknown') && track.flowId !== undefined) {
        uncertain.push({
          file,
          flowId: track.flowId,
          connection: track.connection ?? '',
          at: track.at,
          serviceSentAt: track.serviceSentAt,
          inputsDigest: track.inputsDigest,
        });
      }
    }
    options.service.claimRuns(claimed);
    let unsettled = 0;
    if (uncertain.length > 0) {
      const results = await reconcileUncertainItems(
        uncertain,
        {
          backend: options.backend,
          runMode: header.runMode,
          connections: header.connections,
          claimed,
          digestOf: (flowId, inputs, s) => port.digestOf(flowId, inputs, s),
          clock,
          logger: options.logger,
        },
        signal,
      );
      for (const item of uncertain) {
        const r = results.get(item.file);
        const prior = journal.items.get(item.file);
        if (r?.kind === 'found') {
          await journal.item(
            {
              file: item.file,
              state: 'accepted',
              at: clock.now(),
              flowId: item.flowId,
              connection: item.connection,
              runId: r.runId,
              reconciled: true,
              ...(prior?.inputsDigest === undefined ? {} : { inputsDigest: prior.inputsDigest }),
              ...(r.createdOn === undefined ? {} : { createdOn: r.createdOn }),
            },
            true,
          );
          options.service.claimRuns([r.runId]);
        } else if (r?.kind === 'notStarted') {
          await journal.item(
            {
              file: item.file,
              state: 'notStarted',
              at: clock.now(),
              flowId: item.flowId,
              connection: item.connection,
            },
            true,
          );
        } else {
          if (r?.kind === 'unknown' && r.candidateRunIds !== undefined) {
            // Several runs (or an unreadable one) could be its run: say which, never resend or guess. The
            // send instant stays, so a later resume looks again in the same window.
            await journal.item(
              {
                file: item.file,
                state: 'unknown',
                at: item.at,
                flowId: item.flowId,
                connection: item.connection,
                error: itemError(undefined, r.reason),
                ...(item.inputsDigest === undefined ? {} : { inputsDigest: item.inputsDigest }),
                ...(item.serviceSentAt === undefined ? {} : { serviceSentAt: item.serviceSentAt }),
              },
              true,
            );
          }
          unsettled++;
        }
      }
    }

    // 4. Run what is left.
    const toStart: string[] = [];
    const toWatch: { file: string; runId: string; flowId: string; connection?: string }[] = [];
    for (const file of files) {
      const track = journal.items.get(file);
      if (track === undefined || track.state === 'notStarted') {
        toStart.push(file);
      } else if (
        track.state === 'accepted' &&
        options.wait &&
        track.runId !== undefined &&
        track.flowId !== undefined
      ) {
        toWatch.push({
          file,
          runId: track.runId,
          flowId: track.flowId,
          ...(track.connection === undefined ? {} : { connection: track.connection }),
        });
      }
    }
    // What earlier sessions did, counted as the report counts it.
    const { started, succeeded, failed, cancelled, unknown, skipped } = summarize(
      files,
      journal.items,
      await finishedStatuses(options.journalFile, journal.items),
      0,
    );
    for (const w of toWatch) {
      await port.prepareFlow(w.flowId, signal);
    }
    const recentStarts =
      toStart.length === 0
        ? undefined
        : await recentStartsOn(
            header.connections,
            options.backend,
            clock,
            options.logger,
            signal,
            options.rateLimit?.windowMs,
          );
    const runner = new BatchRunner({
      environment: header.environment,
      connections: header.connections,
      toStart,
      toWatch,
      initial: { started, succeeded, failed, cancelled, unknown, skipped },
      total: files.length,
      wait: options.wait,
      port,
      journal,
      clock,
      logger: options.logger,
      ...(options.rateLimit === undefined ? {} : { rateLimit: options.rateLimit }),
      ...(recentStarts === undefined ? {} : { recentStarts }),
      ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
    });
    const outcome = await runner.run(signal);
    await journal.flush();
    const summary = summarize(
      files,
      journal.items,
      await finishedStatuses(options.journalFile, journal.items),
      outcome.endedAt - outcome.startedAt,
    );
    await journal.append({ t: 'end', at: clock.now(), summary }, true);
    return { kind: 'ran', header, outcome, files, tracks: journal.items, summary, unsettled };
  } finally {
    await journal.close();
  }
}
