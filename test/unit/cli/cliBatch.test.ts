import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { seedIds, seedNames } from '../../../src/sandbox/seed';
import { json, startCliHarness, type CliHarness } from './cliHarness';

const flows = seedIds.flows;
const maker = seedNames.connections.makerMachine;
const signIn = seedNames.connections.signIn;
const common = ['--mode', 'attended', '--poll-interval', '0.05'];

interface ReportItem {
  file: string;
  flowId: string | null;
  flowName: string | null;
  connection: string | null;
  runId: string | null;
  status: string;
  error: { code: string | null; message: string; remedy: string | null } | null;
  outputs: Record<string, unknown> | null;
  queueWaitMs: number | null;
  runTimeMs: number | null;
  reconciled: boolean;
}

interface Report {
  batchId: string;
  journal: string;
  summary: {
    items: number;
    started: number;
    succeeded: number;
    failed: number;
    skipped: number;
    notStarted: number;
    connections: { connection: string; starts: number; busiestMinute: number }[];
  };
  items: ReportItem[];
}

describe('desktop-flows CLI: batch', () => {
  let h: CliHarness;
  let dir: string;
  let n = 0;

  before(async () => {
    h = await startCliHarness();
    dir = await mkdtemp(path.join(tmpdir(), 'desktop-flows-batch-'));
  });

  after(async () => {
    await h.stop();
    await rm(dir, { recursive: true, force: true });
  });

  beforeEach(() => h.reset());

  /** A fresh folder under the test directory. */
  async function folder(): Promise<string> {
    const p = path.join(dir, `case-${++n}`, 'inputs');
    await mkdir(p, { recursive: true });
    return p;
  }

  async function put(p: string, content: unknown): Promise<string> {
    await mkdir(path.dirname(p), { recursive: true });
    await writeFile(p, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
    return p;
  }

  function echo(text: string): Record<string, unknown> {
    return {
      $schema: `desktopflows-schema:/${flows.echoText}.json`,
      inputText: text,
      inputInteger: text.length,
    };
  }

  /** The sandbox's runs of Echo Text, by the inputText they were given. */
  function echoRunsByText(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const run of h.dev.runs.values()) {
      if (run.flow.id !== flows.echoText) {
        continue;
      }
      const text = run.inputs.inputText;
      const key = typeof text === 'string' ? text : '';
      out.set(key, [...(out.get(key) ?? []), String(run.row.flowsessionid)]);
    }
    return out;
  }

  it('checks every item before sending anything: all problems with file:line:column and fix, exit 2, no journal', async () => {
    const root = await folder();
    await put(path.join(root, 'a.json'), echo('alpha'));
    await put(
      path.join(root, 'b.json'),
      '{\n  "$schema": "desktopflows-schema:/' + flows.echoText + '.json",\n  "inputText": 42\n}\n',
    );
    await put(
      path.join(root, 'sub', 'c.json'),
      '{ "$schema": "desktopflows-schema:/' + flows.echoText + '.json", "inputText": "x", }x',
    );
    await put(path.join(root, 'package.json'), { name: 'not an input file' });
    const r = await h.cli(['batch', root, '--connection', maker, ...common]);
    assert.equal(r.code, 2, r.stderr);
    assert.deepEqual(h.runRequests, [], 'the sandbox received no RunDesktopFlow');
    assert.match(r.stderr, /b\.json:3:16: error: \$\.inputText: .+/);
    assert.match(r.stderr, /sub[/\\]c\.json:\d+:\d+: error: /);
    assert.doesNotMatch(r.stderr, /package\.json/);
    assert.match(r.stderr, /error: 2 items of 3 have problems .*nothing was sent.*--skip-invalid/);
    const batches = path.join(path.dirname(root), '.desktopflows', 'batches');
    await assert.rejects(readdir(batches), 'no journal was written');
  });

  it('--skip-invalid runs the valid items and reports the others as skipped (exit 1)', async () => {
    const root = await folder();
    await put(path.join(root, '1.json'), echo('one'));
    await put(path.join(root, '2.json'), {
      $schema: `desktopflows-schema:/${flows.echoText}.json`,
      inputText: 7,
    });
    const r = await h.cli(['batch', root, '--connection', maker, ...common, '--skip-invalid', '--json']);
    assert.equal(r.code, 1, r.stderr);
    const report = json<Report>(r);
    assert.deepEqual(
      report.items.map((i) => [path.basename(i.file), i.status]),
      [
        ['1.json', 'accepted'],
        ['2.json', 'skipped'],
      ],
    );
    assert.match(report.items[1]?.error?.message ?? '', /\$\.inputText/);
    assert.equal(h.runRequests.length, 1);
  });

  it('a file whose bytes are not valid UTF-8 (Latin-1 "é") is refused at its line and column, never sent with a replacement character', async () => {
    const root = await folder();
    await put(path.join(root, 'a.json'), echo('alpha'));
    const head = `{\n  "$schema": "desktopflows-schema:/${flows.echoText}.json",\n  "inputInteger": 7,\n  "inputText": "Caf`;
    await writeFile(
      path.join(root, 'latin1.json'),
      Buffer.concat([Buffer.from(head, 'utf8'), Buffer.from([0xe9]), Buffer.from(' au lait"\n}\n', 'utf8')]),
    );
    const byte = Buffer.byteLength(head, 'utf8');
    const r = await h.cli(['batch', root, '--connection', maker, ...common]);
    assert.equal(r.code, 2, r.stderr);
    assert.deepEqual(h.runRequests, [], 'the sandbox received no RunDesktopFlow');
    assert.match(
      r.stderr,
      new RegExp(
        `latin1\\.json:4:20: error: .*This file is not valid UTF-8: byte ${byte} \\(line 4, column 20\\) is 0xE9\\b`,
      ),
    );
    assert.match(r.stderr, /Save it as UTF-8/);
    assert.match(r.stderr, /error: 1 item of 2 has problems .*nothing was sent/);

    const skipped = await h.cli([
      'batch',
      root,
      '--connection',
      maker,
      ...common,
      '--skip-invalid',
      '--json',
    ]);
    assert.equal(skipped.code, 1, skipped.stderr);
    assert.deepEqual(
      json<Report>(skipped).items.map((i) => [path.basename(i.file), i.status]),
      [
        ['a.json', 'accepted'],
        ['latin1.json', 'skipped'],
      ],
    );
    assert.equal(h.runRequests.length, 1, 'only a.json was sent');
    assert.deepEqual(
      [...echoRunsByText().keys()].filter((t) => t.includes('\uFFFD') || t.startsWith('Caf')),
      [],
      'no run of Echo Text got the Latin-1 file',
    );
  });

  it('runs a folder tree in path order, round-robin over two connections, waits, reports, and never runs an item twice', async () => {
    const root = await folder();
    const texts = ['a', 'b', 'c', 'd', 'e'];
    await put(path.join(root, 'b.json'), echo('b'));
    await put(path.join(root, 'a.json'), echo('a'));
    await put(path.join(root, 'c', 'd.json'), echo('c'));
    await put(path.join(root, 'c', 'e.json'), echo('d'));
    await put(path.join(root, 'z.json'), echo('e'));
    const reportFile = path.join(dir, `report-${n}.json`);
    const r = await h.cli([
      'batch',
      root,
      '--connection',
      maker,
      '--connection',
      signIn,
      ...common,
      '--wait',
      '--report',
      reportFile,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Batch inputs-[0-9a-f]{10}: 5 of 5 started, 5 succeeded, 0 failed\./);
    const report = JSON.parse(await readFile(reportFile, 'utf8')) as Report;
    assert.deepEqual(
      report.items.map((i) => path.relative(root, path.resolve(i.file))),
      ['a.json', 'b.json', path.join('c', 'd.json'), path.join('c', 'e.json'), 'z.json'],
    );
    assert.deepEqual(
      report.items.map((i) => i.status),
      ['succeeded', 'succeeded', 'succeeded', 'succeeded', 'succeeded'],
    );
    assert.deepEqual(
      report.items.map((i) => i.outputs?.outputText),
      ['a', 'b', 'c', 'd', 'e'],
    );
    assert.equal(report.items[0]?.flowName, 'Echo Text');
    const used = new Set(report.items.map((i) => i.connection));
    assert.deepEqual([...used].sort(), [maker, signIn].sort(), 'both connections were used');
    assert.deepEqual(
      report.summary.connections.map((c) => c.starts).reduce((a, b) => a + b, 0),
      5,
    );
    assert.equal(report.summary.succeeded, 5);
    const byText = echoRunsByText();
    for (const t of texts) {
      assert.equal(byText.get(t)?.length, 1, `exactly one run for ${t}`);
    }
    assert.equal(h.runRequests.length, 5);

    // The same batch again: the journal exists, so it refuses (stdin is not a terminal) and sends nothing.
    h.reset();
    const again = await h.cli(['batch', root, '--connection', maker, '--connection', signIn, ...common]);
    assert.equal(again.code, 2, again.stderr);
    assert.match(
      again.stderr,
      /A journal for this batch already exists at .*\.desktopflows[/\\]batches[/\\]inputs-[0-9a-f]{10}\.json.*--resume/,
    );
    assert.deepEqual(h.runRequests, []);

    // Resuming a finished batch starts nothing and reports the same.
    const resumed = await h.cli([
      'batch',
      root,
      '--connection',
      maker,
      '--connection',
      signIn,
      ...common,
      '--wait',
      '--resume',
      '--json',
    ]);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.deepEqual(h.runRequests, []);
    assert.equal(json<Report>(resumed).summary.succeeded, 5);
  });

  it('--flow runs every *.json file as an input of that flow; an unknown connection is refused before anything is sent', async () => {
    const root = await folder();
    await put(path.join(root, 'one.json'), { inputText: 'flow flag' });
    const bad = await h.cli([
      'batch',
      root,
      '--flow',
      'Echo Text',
      '--connection',
      'shared-uiflow-nope',
      ...common,
    ]);
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(
      bad.stderr,
      /No desktop-flow connection "shared-uiflow-nope" in "?Contoso Dev"?; nothing was sent/,
    );
    assert.deepEqual(h.runRequests, []);
    const ok = await h.cli([
      'batch',
      root,
      '--flow',
      'Echo Text',
      '--connection',
      maker,
      ...common,
      '--json',
    ]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.deepEqual(
      json<Report>(ok).items.map((i) => i.status),
      ['accepted'],
    );
    assert.equal(echoRunsByText().get('flow flag')?.length, 1);
  });

  it('--resume after a crash settles uncertain items with the service: found runs are kept, the rest start once', async () => {
    const root = await folder();
    for (const t of ['p', 'q', 's']) {
      await put(path.join(root, `${t}.json`), echo(`crash-${t}`));
    }
    const journal = path.join(dir, `crash-${n}.jsonl`);
    const first = await h.cli(['batch', root, '--connection', maker, ...common, '--journal', journal]);
    assert.equal(first.code, 0, first.stderr);
    // A crash: the answers for q and s were never journaled (their `starting` lines are the last word), and
    // t's `starting` line was written but its request never left (no run exists for it). A starting line carries
    // the service's time of the send (`serviceSentAt`): t is sent again once the service's maximum request time
    // after it has passed on the (sped-up) sandbox clock.
    const lines = (await readFile(journal, 'utf8')).trim().split('\n');
    const kept = lines.filter((l) => {
      const v = JSON.parse(l) as { t: string; file?: string; state?: string };
      const base = v.file === undefined ? '' : path.basename(v.file);
      return v.t !== 'end' && !((base === 'q.json' || base === 's.json') && v.state === 'accepted');
    });
    const tFile = await put(path.join(root, 't.json'), echo('crash-t'));
    kept.push(
      JSON.stringify({
        t: 'item',
        file: tFile,
        state: 'starting',
        at: Date.now(),
        serviceSentAt: h.sandbox.clock.now(),
        flowId: flows.echoText,
        flowName: 'Echo Text',
        connection: maker,
        inputsDigest: '0'.repeat(32),
      }),
    );
    await writeFile(journal, `${kept.join('\n')}\n`);
    h.reset();
    const resumed = await h.cli([
      'batch',
      root,
      '--connection',
      maker,
      ...common,
      '--journal',
      journal,
      '--resume',
      '--json',
    ]);
    assert.equal(resumed.code, 0, resumed.stderr);
    const report = json<Report>(resumed);
    assert.deepEqual(
      report.items.map((i) => [path.basename(i.file), i.status, i.reconciled]),
      [
        ['p.json', 'accepted', false],
        ['q.json', 'accepted', true],
        ['s.json', 'accepted', true],
        ['t.json', 'accepted', false],
      ],
    );
    assert.equal(h.runRequests.length, 1, 'only t was sent');
    const byText = echoRunsByText();
    for (const t of ['p', 'q', 's', 't']) {
      assert.equal(byText.get(`crash-${t}`)?.length, 1, `exactly one run for ${t}`);
    }
  });
});
