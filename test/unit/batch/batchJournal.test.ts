import assert from 'node:assert/strict';
import { appendFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  BatchJournalWriter,
  replayBatchJournal,
  type BatchHeader,
} from '../../../src/core/batch/batchJournal';
import { connectionRate } from '../../../src/core/batch/batchReport';
import { BatchProgressPrinter } from '../../../src/cli/batchProgress';
import { systemClock } from '../../../src/core/runs/runClock';

const signal = new AbortController().signal;
const header: BatchHeader = {
  t: 'batch',
  v: 1,
  batchId: 'b',
  createdAt: new Date(0).toISOString(),
  environment: { id: 'env', orgUrl: 'https://contoso.crm.dynamics.com' },
  runMode: 'unattended',
  connections: [{ kind: 'connection', name: 'shared-uiflow-1' }],
  wait: false,
};

describe('batch journal, rates and progress', () => {
  let dir: string;

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'desktop-flows-batch-journal-'));
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads back each item’s latest state, ignores a line cut short by a crash, and appends on a fresh line', async () => {
    const file = path.join(dir, 'j.json');
    const w = await BatchJournalWriter.create(file, header);
    await w.item({ file: '/a.json', state: 'starting', at: 1, inputsDigest: 'd' }, true);
    await w.item(
      { file: '/a.json', state: 'accepted', at: 2, runId: 'r1', startedAt: 1, connection: 'c' },
      true,
    );
    await w.item({ file: '/b.json', state: 'starting', at: 3 }, true);
    await w.close();
    await appendFile(file, '{"t":"item","file":"/b.json","state":"acc');
    const replay = await replayBatchJournal(file, signal);
    assert.equal(replay.header.batchId, 'b');
    assert.deepEqual(
      [...replay.items].map(([f, t]) => [f, t.state, t.runId]),
      [
        ['/a.json', 'accepted', 'r1'],
        ['/b.json', 'starting', undefined],
      ],
    );
    assert.equal(replay.endsWithNewline, false);
    const again = await BatchJournalWriter.reopen(file, replay);
    await again.item({ file: '/b.json', state: 'notStarted', at: 4 }, true);
    await again.close();
    const lines = (await readFile(file, 'utf8')).split('\n');
    assert.equal((JSON.parse(lines.at(-2) ?? '') as { state: string }).state, 'notStarted');
    assert.equal((await replayBatchJournal(file, signal)).items.get('/b.json')?.state, 'notStarted');
  });

  it('refuses to create over an existing journal, and to read a file that is not one', async () => {
    const file = path.join(dir, 'j.json');
    await assert.rejects(BatchJournalWriter.create(file, header), { code: 'EEXIST' });
    const other = path.join(dir, 'other.json');
    await appendFile(other, '{"name":"package"}\n');
    await assert.rejects(replayBatchJournal(other, signal), /is not a batch journal/);
  });

  it('measures starts per connection-minute: busiest window and sustained reuse of the 70', () => {
    // 140 starts, each slot reused exactly 60 s later: the full rate.
    const full = Array.from({ length: 140 }, (_, i) => (i < 70 ? i * 10 : 60_000 + (i - 70) * 10));
    assert.deepEqual(
      [connectionRate('c', full).busiestMinute, Math.round(connectionRate('c', full).startsPerMinute ?? 0)],
      [70, 70],
    );
    // The same starts with a 60 s pause on top: half the rate.
    const slow = full.map((t, i) => (i < 70 ? t : t + 60_000));
    assert.equal(Math.round(connectionRate('c', slow).startsPerMinute ?? 0), 35);
    assert.equal(connectionRate('c', [1, 2, 3]).startsPerMinute, null);
  });

  it('prints one live line on a terminal and plain lines otherwise', () => {
    const counts = {
      total: 10,
      started: 3,
      pending: 7,
      queued: 1,
      running: 1,
      succeeded: 1,
      failed: 0,
      cancelled: 0,
      unknown: 0,
      skipped: 0,
      waitingForRateLimit: 1,
    };
    let live = '';
    const tty = new BatchProgressPrinter(
      { write: (s: string) => (live += s) },
      true,
      systemClock,
      systemClock.now(),
      true,
      (f) => f,
    );
    tty.onProgress(
      { kind: 'started', file: 'a.json', runId: 'r', connection: 'c', reconciled: false },
      counts,
    );
    tty.dispose();
    assert.ok(live.startsWith('\r\u001b[2K'));
    assert.match(
      live,
      /Batch 3\/10 started · 1 queued · 1 running · 1 succeeded · 0 failed · waiting for the rate limit \(1 connection\) · .+ elapsed/,
    );
    assert.equal(live.split('\n').length, 2, 'one line, ended once');

    let plain = '';
    const pipe = new BatchProgressPrinter(
      { write: (s: string) => (plain += s) },
      false,
      systemClock,
      systemClock.now(),
      true,
      (f) => f,
    );
    pipe.onProgress(
      { kind: 'started', file: 'a.json', runId: 'r', connection: 'c', reconciled: false },
      counts,
    );
    pipe.onProgress(
      {
        kind: 'finished',
        file: 'a.json',
        runId: 'r',
        status: 'failed',
        error: { code: 'X', message: 'Broke.' },
      },
      counts,
    );
    pipe.dispose();
    assert.deepEqual(plain.trim().split('\n'), ['a.json: started run r on c', 'a.json: failed (X) Broke.']);
  });
});
