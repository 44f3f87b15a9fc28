import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { writeBatchReport } from '../../../src/core/batch/batchReport';
import type { RunConnection } from '../../../src/core/runs/runOptions';
import { seedNames } from '../../../src/sandbox/seed';
import { startBatchHarness, type BatchHarness } from './batchHarness';

const runDesktopFlow = '/org/*/api/data/v9.2/workflows(*)/Microsoft.Dynamics.CRM.RunDesktopFlow';
const connections: RunConnection[] = [
  { kind: 'connection', name: seedNames.connections.makerMachine },
  { kind: 'connection', name: seedNames.connections.signIn },
];

interface ReportItem {
  file: string;
  runId: string | null;
  status: string;
  connection: string | null;
  reconciled: boolean;
}

describe('batch: 200 items under faults, interrupted and resumed', function () {
  // Bounded: the sandbox runs 100x, so a rate window is 0.6 s and reconciliation waits are milliseconds.
  this.timeout(120_000);
  let h: BatchHarness;
  let dir: string;

  before(async () => {
    h = await startBatchHarness(100);
    dir = await mkdtemp(path.join(tmpdir(), 'desktop-flows-batch-faults-'));
  });

  after(async () => {
    await h.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('ends with exactly one run per item and a report that says so', async () => {
    const root = path.join(dir, 'items');
    await h.writeEchoItems(root, 200, 'fault');
    const journalFile = path.join(dir, 'journal.json');
    const faults = [
      h.sandbox.faults.add({
        method: 'POST',
        path: runDesktopFlow,
        kind: 'status',
        status: 429,
        retryAfterSeconds: 2,
        probability: 0.05,
      }),
      h.sandbox.faults.add({
        method: 'POST',
        path: runDesktopFlow,
        kind: 'status',
        status: 503,
        probability: 0.04,
      }),
      h.sandbox.faults.add({ method: 'POST', path: runDesktopFlow, kind: 'drop', probability: 0.04 }),
      h.sandbox.faults.add({ method: 'POST', path: runDesktopFlow, kind: 'responseLost', probability: 0.05 }),
      h.sandbox.faults.add({
        method: 'GET',
        path: '/org/*/api/data/v9.2/flowsessions',
        kind: 'status',
        status: 500,
        probability: 0.05,
      }),
    ];

    // First invocation: interrupted (Ctrl+C) once 80 items have started.
    const interrupt = new AbortController();
    const first = await h.session(
      {
        paths: [root],
        journalFile,
        resume: false,
        wait: false,
        connections,
        runMode: 'attended',
        onProgress: (_e, counts) => {
          if (counts.started >= 80) {
            interrupt.abort();
          }
        },
      },
      interrupt.signal,
    );
    assert.equal(first.kind, 'ran');
    assert.ok(first.kind === 'ran' && first.outcome.interrupted);
    const startedFirst = first.kind === 'ran' ? first.summary.started : 0;
    assert.ok(startedFirst >= 80 && startedFirst < 200, `${startedFirst} started before the interruption`);

    // Second invocation: --resume with the same journal, same faults.
    const second = await h.session(
      { paths: [root], journalFile, resume: true, wait: false, connections, runMode: 'attended' },
      new AbortController().signal,
    );
    assert.equal(second.kind, 'ran');
    if (second.kind !== 'ran') {
      return;
    }
    assert.equal(second.outcome.fatal, undefined, String(second.outcome.fatal));
    assert.deepEqual(
      [
        second.summary.items,
        second.summary.started,
        second.summary.accepted,
        second.summary.notStarted,
        second.summary.unknown,
        second.summary.failed,
      ],
      [200, 200, 200, 0, 0, 0],
    );

    // Every fault happened, and still every item has exactly one run.
    const hits = h.sandbox.faults.list();
    for (const f of faults) {
      assert.ok(
        (hits.find((x) => x.id === f.id)?.hits ?? 0) > 0,
        `fault ${f.kind} ${f.status ?? ''} was hit`,
      );
    }
    const runs = h.echoRuns();
    const duplicated = [...runs].filter(([, ids]) => ids.length > 1).map(([t]) => t);
    const lost = Array.from({ length: 200 }, (_, i) => `fault-${i}`).filter((t) => !runs.has(t));
    assert.deepEqual([duplicated, lost], [[], []], 'no item duplicated or lost');

    // The report names each item's own run, in path order, on both connections.
    let text = '';
    await writeBatchReport(
      (t) => {
        text += t;
      },
      {
        journalFile,
        header: second.header,
        files: second.files,
        tracks: second.tracks,
        summary: second.summary,
        displayFile: (f) => path.relative(dir, f),
      },
    );
    const report = JSON.parse(text) as {
      items: ReportItem[];
      summary: { connections: { starts: number; busiestMinute: number }[] };
    };
    assert.equal(report.items.length, 200);
    assert.deepEqual(
      report.items.map((i) => i.file),
      [...report.items.map((i) => i.file)].sort(),
      'path order',
    );
    for (const [i, item] of report.items.entries()) {
      assert.equal(item.status, 'accepted');
      assert.deepEqual(runs.get(`fault-${i}`), [item.runId], `item ${i} reports its own run`);
    }
    assert.ok(
      report.items.some((i) => i.reconciled),
      'some answers were lost and found again',
    );
    assert.equal(
      report.summary.connections.reduce((a, c) => a + c.starts, 0),
      200,
    );
    assert.ok(
      report.summary.connections.every((c) => c.busiestMinute <= 70),
      'no connection over 70 a minute',
    );
  });
});
