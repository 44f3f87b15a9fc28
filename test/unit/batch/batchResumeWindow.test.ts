import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { BatchHeader, BatchItemRecord } from '../../../src/core/batch/batchJournal';
import { inputsDigest } from '../../../src/core/batch/inputsDigest';
import { defaultMaxRequestMs } from '../../../src/core/runs/reconciliation';
import { runDesktopFlowRequest, type RunConnection } from '../../../src/core/runs/runOptions';
import { sandboxSecondUser } from '../../../src/sandbox/identity/identitySeed';
import { seedIds, seedNames } from '../../../src/sandbox/seed';
import { startBatchHarness, type BatchHarness } from './batchHarness';

const runDesktopFlow = '/org/*/api/data/v9.2/workflows(*)/Microsoft.Dynamics.CRM.RunDesktopFlow';
const connection: RunConnection = { kind: 'connection', name: seedNames.connections.makerMachine };

/**
 * A resumed batch settles an item whose start was sent (its `starting` line is the journal's last word on
 * it) by the single-run window: it looks for the item's run until the service's maximum request time after
 * the send has passed on the service's clock, and only then sends it again.
 */
describe('batch: resuming an uncertain item waits out the service request window', function () {
  // Bounded: the sandbox runs 100x, so the 150 s window is 1.5 s of real time.
  this.timeout(30_000);
  let h: BatchHarness;
  let dir: string;

  before(async () => {
    h = await startBatchHarness(100);
    dir = await mkdtemp(path.join(tmpdir(), 'desktop-flows-batch-window-'));
  });

  after(async () => {
    await h.stop();
    await rm(dir, { recursive: true, force: true });
  });

  /**
   * A journal as a batch leaves it when it stopped right after sending the item's start: the header and the
   * item's `starting` line, sent now on both clocks.
   */
  async function journalWithOneSentItem(
    name: string,
    inputText: string,
  ): Promise<{
    root: string;
    journalFile: string;
    inputs: string;
    sentAt: number;
  }> {
    const root = path.join(dir, name);
    await mkdir(root, { recursive: true });
    const file = path.join(root, 'item.json');
    const values = { inputText, inputInteger: 1 };
    await writeFile(
      file,
      JSON.stringify({ $schema: `desktopflows-schema:/${seedIds.flows.echoText}.json`, ...values }),
    );
    const inputs = JSON.stringify(values);
    const journalFile = path.join(dir, `${name}.journal.json`);
    const sentAt = h.sandbox.clock.now();
    const header: BatchHeader = {
      t: 'batch',
      v: 1,
      batchId: name,
      createdAt: new Date(sentAt).toISOString(),
      environment: h.environment,
      runMode: 'attended',
      connections: [connection],
      wait: false,
    };
    const starting: BatchItemRecord = {
      t: 'item',
      file,
      state: 'starting',
      at: sentAt,
      serviceSentAt: sentAt,
      flowId: seedIds.flows.echoText,
      flowName: 'Echo Text',
      connection: seedNames.connections.makerMachine,
      inputsDigest: inputsDigest(inputs, new Set()),
    };
    await writeFile(journalFile, `${JSON.stringify(header)}\n${JSON.stringify(starting)}\n`);
    return { root, journalFile, inputs, sentAt };
  }

  /** Starts an Echo Text run with `inputs` straight on the service, as the default sandbox user; its id. */
  async function startDirectly(inputs: string): Promise<string> {
    const orgUrl = h.environment.orgUrl;
    const response = await fetch(
      `${orgUrl}/api/data/v9.2/workflows(${seedIds.flows.echoText})/Microsoft.Dynamics.CRM.RunDesktopFlow`,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${h.sandbox.token(orgUrl)}`, 'content-type': 'application/json' },
        body: JSON.stringify(runDesktopFlowRequest({ connection, runMode: 'attended' }, inputs)),
      },
    );
    assert.equal(response.status, 200, 'the direct start was accepted');
    const body = (await response.json()) as { flowsessionId?: string };
    assert.ok(body.flowsessionId !== undefined, 'the direct start named its run');
    return body.flowsessionId;
  }

  function startRequests(): { at: number }[] {
    return h.requests.filter((r) => r.method === 'POST' && r.url.includes('RunDesktopFlow'));
  }

  /**
   * Resumes the batch whose journal `journalWithOneSentItem` wrote, as a new invocation would: same folder,
   * same connection, attended, not waiting; `asUser` signs the resume in as another sandbox user.
   */
  function resume(
    batch: { root: string; journalFile: string },
    asUser?: string,
  ): ReturnType<BatchHarness['session']> {
    return h.session(
      {
        paths: [batch.root],
        journalFile: batch.journalFile,
        resume: true,
        wait: false,
        connections: [connection],
        runMode: 'attended',
        asUser,
      },
      new AbortController().signal,
    );
  }

  it('finds the run the service created late (stalled start): exactly one run, nothing sent again', async () => {
    const { root, journalFile, inputs } = await journalWithOneSentItem('late', 'late-0');
    // The start the interrupted batch sent: the service holds it for 30 sandbox seconds (0.3 s real) before
    // creating the run, long after the 5 s a resume used to look for it.
    h.sandbox.faults.add({ method: 'POST', path: runDesktopFlow, kind: 'stall', delayMs: 300, count: 1 });
    const orgUrl = h.environment.orgUrl;
    const sent = fetch(
      `${orgUrl}/api/data/v9.2/workflows(${seedIds.flows.echoText})/Microsoft.Dynamics.CRM.RunDesktopFlow`,
      {
        method: 'POST',
        headers: {
          authorization: `Bearer ${h.sandbox.token(orgUrl)}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify(runDesktopFlowRequest({ connection, runMode: 'attended' }, inputs)),
      },
    );
    const before = startRequests().length;
    const result = await resume({ root, journalFile });
    assert.equal((await sent).status, 200, 'the stalled start was answered in the end');
    assert.equal(result.kind, 'ran');
    assert.ok(result.kind === 'ran');
    assert.equal(startRequests().length, before, 'the resume sent no start for the item');
    const runs = h.echoRuns().get('late-0') ?? [];
    assert.equal(runs.length, 1, 'exactly one run for the item');
    assert.deepEqual([result.summary.accepted, result.summary.notStarted, result.summary.unknown], [1, 0, 0]);
    const track = result.tracks.get(path.join(root, 'item.json'));
    assert.equal(track?.runId, runs[0], 'the journal names the late run');
  });

  it('sends a start that never reached the service again, once its window has passed', async () => {
    const { root, journalFile, sentAt } = await journalWithOneSentItem('lost', 'lost-0');
    const result = await resume({ root, journalFile });
    assert.equal(result.kind, 'ran');
    assert.ok(result.kind === 'ran');
    assert.equal((h.echoRuns().get('lost-0') ?? []).length, 1, 'sent again: exactly one run');
    assert.equal(result.summary.accepted, 1);
    const resent = startRequests().filter((r) => r.at >= sentAt);
    assert.equal(resent.length, 1, 'one start request');
    assert.ok(
      (resent[0]?.at ?? 0) >= sentAt + defaultMaxRequestMs,
      `sent again only after the service's maximum request time (${(resent[0]?.at ?? 0) - sentAt} ms after the first send)`,
    );
  });

  it("does not take a run with the item's inputs that another user started", async () => {
    const { root, journalFile, inputs } = await journalWithOneSentItem('caller', 'caller-0');
    // The default user starts a run with the very same inputs; the batch resumes as an administrator, who
    // sees every user's runs.
    const others = await startDirectly(inputs);
    const result = await resume({ root, journalFile }, sandboxSecondUser.oid);
    assert.ok(result.kind === 'ran');
    const track = result.tracks.get(path.join(root, 'item.json'));
    assert.notEqual(track?.runId, others, "the other user's run is not attributed to the item");
    const runs = h.echoRuns().get('caller-0') ?? [];
    assert.equal(
      runs.length,
      2,
      "the item was sent again once its window passed: the other's run and its own",
    );
    assert.equal(
      track?.runId,
      runs.find((id) => id !== others),
    );
  });

  it('leaves an item unknown, naming both runs, when two runs could be its run; nothing is sent', async () => {
    const { root, journalFile, inputs } = await journalWithOneSentItem('twice', 'twice-0');
    const first = await startDirectly(inputs);
    const second = await startDirectly(inputs);
    const before = startRequests().length;
    const result = await resume({ root, journalFile });
    assert.ok(result.kind === 'ran');
    assert.equal(startRequests().length, before, 'the resume sent no start for the item');
    assert.deepEqual((h.echoRuns().get('twice-0') ?? []).sort(), [first, second].sort(), 'no third run');
    const track = result.tracks.get(path.join(root, 'item.json'));
    assert.equal(track?.state, 'unknown');
    assert.equal(track?.runId, undefined, 'neither run is assigned to the item');
    // The journal's last word on the item (what the report shows): unknown, naming both runs.
    const lines = (await readFile(journalFile, 'utf8'))
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as Partial<BatchItemRecord>);
    const last = lines.filter((l) => l.t === 'item' && l.file === path.join(root, 'item.json')).pop();
    assert.equal(last?.state, 'unknown');
    const message = last?.error?.message ?? '';
    assert.match(message, /2 runs could be it/);
    assert.ok(message.includes(first) && message.includes(second), `the message names both runs: ${message}`);
    assert.match(message, /Check these runs/);
    assert.equal(result.summary.unknown, 1);
    assert.equal(result.unsettled, 1);
  });
});
