/**
 * The batch report: a summary (counts, wall time, starts per connection-minute) and, for every item in
 * path order, its file, flow, connection, run, final status, error with remedy, masked outputs and
 * timings. Items are read one at a time from the journal (each item's latest line, by offset) and written
 * out as they are read, so a report of 10,000 items never sits in memory whole.
 */
import { open } from 'node:fs/promises';
import type { BatchHeader, BatchItemRecord, BatchItemTrack } from './batchJournal';
import { readJournalLine } from './batchJournal';

/** Starts per connection: how much of the 70-per-minute budget was used. */
export interface ConnectionRate {
  readonly connection: string;
  readonly starts: number;
  /** Most starts in any 60-second window (never above the limit). */
  readonly busiestMinute: number;
  /**
   * Sustained starts per minute: `limit` starts divided by the mean time between a start and the start
   * `limit` later (how fast the budget was reused); `null` with `limit` starts or fewer.
   */
  readonly startsPerMinute: number | null;
}

/** The report's summary. */
export interface BatchSummary {
  readonly items: number;
  readonly started: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly cancelled: number;
  /** Accepted, not waited for. */
  readonly accepted: number;
  readonly unknown: number;
  readonly skipped: number;
  readonly notStarted: number;
  readonly wallTimeMs: number;
  readonly connections: readonly ConnectionRate[];
}

/** Rate figures of one connection from its start instants (any order), for a `limit` per `windowMs`. */
export function connectionRate(
  connection: string,
  starts: readonly number[],
  limit = 70,
  windowMs = 60_000,
): ConnectionRate {
  const t = [...starts].sort((a, b) => a - b);
  let busiest = 0;
  for (let i = 0, j = 0; j < t.length; j++) {
    while ((t[j] ?? 0) - (t[i] ?? 0) >= windowMs) {
      i++;
    }
    busiest = Math.max(busiest, j - i + 1);
  }
  let perMinute: number | null = null;
  if (t.length > limit) {
    let sum = 0;
    for (let k = 0; k + limit < t.length; k++) {
      sum += (t[k + limit] ?? 0) - (t[k] ?? 0);
    }
    const mean = sum / (t.length - limit);
    perMinute = mean > 0 ? (limit * windowMs) / mean : null;
  }
  return { connection, starts: t.length, busiestMinute: busiest, startsPerMinute: perMinute };
}

/** The report's shape of one item's status. */
export function reportStatus(track: BatchItemTrack | undefined, record: BatchItemRecord | undefined): string {
  if (track === undefined || track.state === 'notStarted') {
    return 'notStarted';
  }
  if (track.state === 'starting') {
    return 'uncertain';
  }
  return track.state === 'finished' ? (record?.status ?? 'unknown') : track.state;
}

/** Counts for the summary from the journal's tracks. */
export function summarize(
  files: readonly string[],
  tracks: ReadonlyMap<string, BatchItemTrack>,
  finishedStatus: ReadonlyMap<string, string>,
  wallTimeMs: number,
): BatchSummary {
  let started = 0;
  let succeeded = 0;
  let failed = 0;
  let cancelled = 0;
  let accepted = 0;
  let unknown = 0;
  let skipped = 0;
  let notStarted = 0;
  const starts = new Map<string, number[]>();
  for (const file of files) {
    const track = tracks.get(file);
    if (track?.startedAt !== undefined && track.connection !== undefined) {
      let list = starts.get(track.connection);
      if (list === undefined) {
        list = [];
        starts.set(track.connection, list);
      }
      list.push(track.startedAt);
    }
    switch (track?.state) {
      case 'accepted':
        started++;
        accepted++;
        break;
      case 'finished': {
        started++;
        const status = finishedStatus.get(file);
        if (status === 'succeeded') {
          succeeded++;
        } else if (status === 'cancelled') {
          cancelled++;
        } else {
          failed++;
        }
        break;
      }
      case 'rejected':
        failed++;
        break;
      case 'unknown':
      case 'starting':
        if (track.runId !== undefined) {
          started++;
        }
        unknown++;
        break;
      case 'skipped':
        skipped++;
        break;
      case 'notStarted':
      case undefined:
        notStarted++;
    }
  }
  return {
    items: files.length,
    started,
    succeeded,
    failed,
    cancelled,
    accepted,
    unknown,
    skipped,
    notStarted,
    wallTimeMs,
    connections: [...starts].map(([c, s]) => connectionRate(c, s)),
  };
}

/** Reads the final status of finished items (one line each) — only statuses are kept. */
export async function finishedStatuses(
  journalFile: string,
  tracks: ReadonlyMap<string, BatchItemTrack>,
): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const handle = await open(journalFile, 'r');
  try {
    for (const [file, track] of tracks) {
      if (track.state === 'finished') {
        const record = (await readJournalLine(handle, track.offset, track.length)) as BatchItemRecord;
        out.set(file, record.status ?? 'unknown');
      }
    }
  } finally {
    await handle.close();
  }
  return out;
}

/**
 * Writes the report as JSON through `write` (called with pieces of text, in order): the batch, the
 * summary, then one item at a time. `displayFile` turns an absolute path into what the report shows.
 */
export async function writeBatchReport(
  write: (text: string) => void | Promise<void>,
  input: {
    readonly journalFile: string;
    readonly header: BatchHeader;
    readonly files: readonly string[];
    readonly tracks: ReadonlyMap<string, BatchItemTrack>;
    readonly summary: BatchSummary;
    readonly displayFile: (file: string) => string;
  },
): Promise<void> {
  const { header } = input;
  const head = {
    batchId: header.batchId,
    journal: input.journalFile,
    environment: header.environment,
    options: {
      runMode: header.runMode,
      priority: header.priority ?? 'normal',
      ...(header.timeoutSeconds === undefined ? {} : { timeoutSeconds: header.timeoutSeconds }),
      connections: header.connections,
    },
    summary: input.summary,
  };
  const opening = JSON.stringify(head, null, 2);
  await write(`${opening.slice(0, -2)},\n  "items": [`);
  const handle = await open(input.journalFile, 'r');
  try {
    let first = true;
    for (const file of input.files) {
      const track = input.tracks.get(file);
      const record =
        track === undefined
          ? undefined
          : ((await readJournalLine(handle, track.offset, track.length)) as BatchItemRecord);
      const item = {
        file: input.displayFile(file),
        flowId: record?.flowId ?? null,
        flowName: record?.flowName ?? null,
        connection: record?.connection ?? null,
        runId: record?.runId ?? null,
        status: reportStatus(track, record),
        error:
          record?.error === undefined
            ? null
            : {
                code: record.error.code ?? null,
                message: record.error.message,
                remedy: record.error.remedy ?? null,
              },
        outputs: record?.outputs ?? null,
        queuedAt: record?.createdOn ?? null,
        completedAt: record?.completedOn ?? null,
        queueWaitMs: record?.queueWaitMs ?? null,
        runTimeMs: record?.runTimeMs ?? null,
        reconciled: record?.reconciled ?? false,
      };
      const text = JSON.stringify(item, null, 2).replace(/\n/g, '\n    ');
      await write(`${first ? '' : ','}\n    ${text}`);
      first = false;
    }
  } finally {
    await handle.close();
  }
  await write(`${input.files.length === 0 ? '' : '\n  '}]\n}\n`);
}
