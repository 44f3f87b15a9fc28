/**
 * The batch journal: one JSON object per line, appended, never rewritten. It is what makes a batch
 * exactly once across Ctrl+C, crashes and lost answers:
 *
 * - the first line describes the batch (environment, options, connections, flow);
 * - before an item's start request can be sent, a `starting` line is written and flushed to disk
 *   (`datasync`); after the service answered, an `accepted` line with the run id (or `rejected`, or
 *   `notStarted` when the request surely never left, or `unknown` when even reconciliation could not tell);
 * - with `--wait`, a `finished` line per run carries its end state, error, remedy, masked outputs and
 *   timings; `skipped` lines record invalid items left out with `--skip-invalid`;
 * - each invocation adds a `session` line, and an `end` line with the summary when it ends.
 *
 * An item's latest line is self-contained (file, flow, connection, run, state), so the report reads one
 * line per item by its byte offset and nothing else needs to stay in memory. A line cut short by a crash
 * is ignored when read back, and the next append starts on a fresh line.
 */
import { createReadStream } from 'node:fs';
import { access, mkdir, open, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { throwIfAborted } from '../util/abort';
import type { EnvironmentRef } from '../runs/runJournal';
import type { RunConnection, RunMode } from '../runs/runOptions';

/** The first line: what the batch is. */
export interface BatchHeader {
  readonly t: 'batch';
  readonly v: 1;
  readonly batchId: string;
  /** ISO 8601. */
  readonly createdAt: string;
  readonly environment: EnvironmentRef;
  /** The flow every item runs (`--flow`, resolved to its id); absent when each file's `$schema` names it. */
  readonly flowId?: string;
  readonly runMode: RunMode;
  readonly priority?: string;
  readonly timeoutSeconds?: number;
  readonly connections: readonly RunConnection[];
  readonly wait: boolean;
}

/** Where an item stands. */
export type BatchItemState =
  /** The start request may be on its way: its outcome is known only from a later line. */
  | 'starting'
  /** The start request surely never reached the service (or was never sent). */
  | 'notStarted'
  /** The service accepted it: `runId` is set. */
  | 'accepted'
  /** The service refused it (nothing was created), or it became invalid: `error` says why. */
  | 'rejected'
  /** It may have started but could not be confirmed; `--resume` checks again. */
  | 'unknown'
  /** Its run ended (`--wait`): `status`, `error`, `outputs`, timings. */
  | 'finished'
  /** Invalid and left out (`--skip-invalid`). */
  | 'skipped';

/** An error as the report shows it. */
export interface BatchItemError {
  readonly code?: string;
  readonly message: string;
  readonly remedy?: string;
}

/** One item line. */
export interface BatchItemRecord {
  readonly t: 'item';
  /** Absolute path of the input file. */
  readonly file: string;
  readonly state: BatchItemState;
  /** Run-clock epoch ms (of a `starting` line: when its request was sent). */
  readonly at: number;
  /**
   * Of a `starting` line: the service's time (its `Date` header, epoch ms) just before the request was
   * sent, so a resume waits out the same window on the service's clock as the trigger would.
   */
  readonly serviceSentAt?: number;
  readonly flowId?: string;
  readonly flowName?: string;
  /** Connection name or connection reference logical name the item was started on. */
  readonly connection?: string;
  readonly runId?: string;
  readonly reconciled?: boolean;
  /** Digest of the non-sensitive inputs sent, to recognise the run when the answer was lost. */
  readonly inputsDigest?: string;
  /** Instant the accepted request was sent (run clock), for the rate report. */
  readonly startedAt?: number;
  readonly status?: string;
  readonly error?: BatchItemError;
  /** Outputs with sensitive values masked; `null` when the run had none. */
  readonly outputs?: Record<string, unknown> | null;
  readonly createdOn?: string;
  readonly completedOn?: string;
  readonly queueWaitMs?: number;
  readonly runTimeMs?: number;
}

/** One invocation over the journal. */
export interface BatchSessionRecord {
  readonly t: 'session';
  readonly at: number;
  readonly resumed: boolean;
}

/** The last line of an invocation. */
export interface BatchEndRecord {
  readonly t: 'end';
  readonly at: number;
  readonly summary: unknown;
}

export type BatchJournalRecord = BatchHeader | BatchItemRecord | BatchSessionRecord | BatchEndRecord;

/** What is kept in memory per item: its latest state and where its latest line is. */
export interface BatchItemTrack {
  readonly state: BatchItemState;
  readonly offset: number;
  readonly length: number;
  readonly runId?: string;
  readonly flowId?: string;
  readonly connection?: string;
  readonly inputsDigest?: string;
  readonly at: number;
  readonly serviceSentAt?: number;
  readonly startedAt?: number;
}

/** A journal read back. */
export interface BatchJournalReplay {
  readonly header: BatchHeader;
  readonly items: Map<string, BatchItemTrack>;
  readonly sessions: number;
  /** Bytes of the file, and whether its last line is complete. */
  readonly size: number;
  readonly endsWithNewline: boolean;
}

/** The journal file is not a batch journal. */
export class BatchJournalError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(message);
    this.name = 'BatchJournalError';
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function trackOf(record: BatchItemRecord, offset: number, length: number): BatchItemTrack {
  return {
    state: record.state,
    offset,
    length,
    at: record.at,
    ...(record.runId === undefined ? {} : { runId: record.runId }),
    ...(record.flowId === undefined ? {} : { flowId: record.flowId }),
    ...(record.connection === undefined ? {} : { connection: record.connection }),
    ...(record.inputsDigest === undefined ? {} : { inputsDigest: record.inputsDigest }),
    ...(record.startedAt === undefined ? {} : { startedAt: record.startedAt }),
    ...(record.serviceSentAt === undefined ? {} : { serviceSentAt: record.serviceSentAt }),
  };
}

/**
 * Reads a journal line by line (streamed: memory grows with the number of items, not with outputs).
 * Throws `BatchJournalError` when the first line is not a batch header.
 */
export async function replayBatchJournal(file: string, signal: AbortSignal): Promise<BatchJournalReplay> {
  const stream = createReadStream(file);
  const lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
  let header: BatchHeader | undefined;
  const items = new Map<string, BatchItemTrack>();
  let sessions = 0;
  let offset = 0;
  try {
    for await (const line of lines) {
      throwIfAborted(signal);
      const length = Buffer.byteLength(line, 'utf8');
      const at = offset;
      offset += length + 1;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        // A line cut short by a crash (always the last one written): nothing it said took effect.
        continue;
      }
      if (!isRecord(value)) {
        continue;
      }
      if (header === undefined) {
        if (value.t !== 'batch' || value.v !== 1 || typeof value.batchId !== 'string') {
          throw new BatchJournalError(file, `${file} is not a batch journal.`);
        }
        header = value as unknown as BatchHeader;
        continue;
      }
      if (value.t === 'item' && typeof value.file === 'string' && typeof value.state === 'string') {
        items.set(value.file, trackOf(value as unknown as BatchItemRecord, at, length));
      } else if (value.t === 'session') {
        sessions++;
      }
    }
  } finally {
    lines.close();
    stream.destroy();
  }
  if (header === undefined) {
    throw new BatchJournalError(file, `${file} is empty or is not a batch journal.`);
  }
  const handle = await open(file, 'r');
  let size: number;
  let endsWithNewline = true;
  try {
    size = (await handle.stat()).size;
    if (size > 0) {
      const last = Buffer.alloc(1);
      await handle.read(last, 0, 1, size - 1);
      endsWithNewline = last[0] === 0x0a;
    }
  } finally {
    await handle.close();
  }
  return { header, items, sessions, size, endsWithNewline };
}

/** Reads one line of the journal (an item's latest record) by its offset. */
export async function readJournalLine(handle: FileHandle, offset: number, length: number): Promise<unknown> {
  const buffer = Buffer.alloc(length);
  await handle.read(buffer, 0, length, offset);
  return JSON.parse(buffer.toString('utf8')) as unknown;
}

/** Appends records; `durable` ones are flushed to disk before the returned promise resolves. */
export class BatchJournalWriter {
  private tail: Promise<void> = Promise.resolve();
  private failed: Error | undefined;

  private constructor(
    readonly file: string,
    private readonly handle: FileHandle,
    private size: number,
    readonly items: Map<string, BatchItemTrack>,
  ) {}

  /** Creates a new journal with its header (fails if the file exists). */
  static async create(file: string, header: BatchHeader): Promise<BatchJournalWriter> {
    await mkdir(path.dirname(file), { recursive: true });
    const handle = await open(file, 'wx');
    const writer = new BatchJournalWriter(file, handle, 0, new Map());
    await writer.append(header, true);
    return writer;
  }

  /** Opens an existing journal to add to it, after `replayBatchJournal`. */
  static async reopen(file: string, replay: BatchJournalReplay): Promise<BatchJournalWriter> {
    const handle = await open(file, 'a');
    const writer = new BatchJournalWriter(file, handle, replay.size, replay.items);
    if (!replay.endsWithNewline) {
      await writer.raw('\n', true);
    }
    return writer;
  }

  /** Appends an item line and tracks it as the item's latest. */
  async item(record: Omit<BatchItemRecord, 't'>, durable = false): Promise<void> {
    const full: BatchItemRecord = { t: 'item', ...record };
    const { offset, length } = await this.append(full, durable);
    this.items.set(record.file, trackOf(full, offset, length));
  }

  /** Appends any record. */
  append(record: BatchJournalRecord, durable = false): Promise<{ offset: number; length: number }> {
    const text = JSON.stringify(record);
    return this.raw(`${text}\n`, durable).then((offset) => ({
      offset,
      length: Buffer.byteLength(text, 'utf8'),
    }));
  }

  /** Resolves once everything appended so far is written. */
  async flush(): Promise<void> {
    await this.tail;
    if (this.failed !== undefined) {
      throw this.failed;
    }
  }

  async close(): Promise<void> {
    try {
      await this.tail;
    } finally {
      await this.handle.close();
    }
  }

  private raw(text: string, durable: boolean): Promise<number> {
    const bytes = Buffer.from(text, 'utf8');
    const offset = this.size;
    this.size += bytes.length;
    const write = this.tail.then(async () => {
      if (this.failed !== undefined) {
        throw this.failed;
      }
      try {
        await this.handle.write(bytes, 0, bytes.length, null);
        if (durable) {
          await this.handle.datasync();
        }
      } catch (e) {
        this.failed = e instanceof Error ? e : new Error(String(e));
        throw e;
      }
    });
    this.tail = write.catch(() => undefined);
    return write.then(() => offset);
  }
}

/** Whether a journal (or anything) is at `file`: a second batch over the same folder asks before replacing it. */
export async function journalExists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}
