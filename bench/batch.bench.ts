/**
 * A batch of input files over 3 connections against the sandbox at a high clock speed, through the same
 * core the CLI uses (`runBatchSession`: checking, journal, round-robin lanes, rate limiter, exactly-once
 * trigger). The sandbox runs in its own process, and each batch size runs in a fresh process, so the peak
 * RSS is the client's alone. Each size starts right after the previous one ended, while the sandbox still
 * counts that one's last starts: the batch must read them first (src/core/batch/recentStarts.ts) to see 0 429s.
 * The rate ratio needs a client that keeps up with the clock: on a busy machine use a lower speed (e.g. 10).
 *
 * Prints, per batch size: starts per connection-minute ÷ 70 (sustained: 70 starts over the mean time
 * between a start and the 70th after it; target ≥ 0.95), the busiest 60-second window ÷ 70 (never above
 * 1), 429 answers seen (target 0), items duplicated and lost (targets 0 and 0, checked against every run
 * of the flow in the sandbox), wall time and peak RSS.
 *
 * Run with `npx tsx bench/batch.bench.ts [speed]` (default 60: a sandbox minute is one real second).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { runBatchSession } from '../src/core/batch/batchSession';
import { SandboxTokenProvider } from '../test/unit/api/sandboxTokenProvider';
import { sandboxCloud, type SandboxDescription } from '../src/core/clouds';
import { HttpClient } from '../src/core/http/httpClient';
import { silentLogger } from '../src/core/logger';
import { DataverseRunsBackend } from '../src/core/runs/dataverseRunsBackend';
import type { RunClock } from '../src/core/runs/runClock';
import type { EnvironmentRef } from '../src/core/runs/runJournal';
import type { RunConnection } from '../src/core/runs/runOptions';
import { ServiceSession } from '../src/core/serviceSession';
import { CancellationError } from '../src/core/errors';
import { seedIds, seedNames } from '../src/sandbox/seed';
import { batchStack, writeEchoItems } from '../test/unit/batch/batchStack';

const speed = Math.max(1, Number(process.argv[2] ?? 60));
const sizes = (process.env.BENCH_SIZES ?? '300,3000').split(',').map(Number);
const connections: RunConnection[] = [
  { kind: 'connection', name: seedNames.connections.makerMachine },
  { kind: 'connection', name: seedNames.connections.financeBots },
  { kind: 'connection', name: seedNames.connections.runOwner },
];

interface Result {
  readonly items: number;
  readonly sustained: number[];
  readonly busiest: number[];
  readonly throttled: number;
  readonly duplicated: number;
  readonly lost: number;
  readonly wallSeconds: number;
  readonly peakRssMb: number;
  readonly baseRssMb: number;
}

/** The sandbox's clock, followed from this process: same start, same speed. */
async function sandboxClock(url: string): Promise<RunClock> {
  const response = await fetch(`${url}/_sandbox/clock`);
  const body = (await response.json()) as { epochMs: number; speed: number };
  const realStart = Date.now();
  return {
    now: () => body.epochMs + (Date.now() - realStart) * body.speed,
    fromRealMs: (ms) => ms * body.speed,
    sleep: (ms, signal) =>
      new Promise<void>((resolve, reject) => {
        if (signal.aborted) {
          reject(new CancellationError());
          return;
        }
        const timer = setTimeout(() => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        }, ms / body.speed);
        const onAbort = (): void => {
          clearTimeout(timer);
          reject(new CancellationError());
        };
        signal.addEventListener('abort', onAbort, { once: true });
      }),
  };
}

/** One batch of `count` items in this process; prints its result as one JSON line. */
async function child(url: string, count: number): Promise<void> {
  const baseRss = process.memoryUsage().rss;
  let peak = baseRss;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 20);
  const signal = new AbortController().signal;
  const dir = await mkdtemp(path.join(tmpdir(), 'desktop-flows-batch-bench-'));
  const prefix = `bench-${count}-${Date.now()}`;
  await writeEchoItems(path.join(dir, 'items'), count, prefix);
  const anonymous = new HttpClient();
  const description = await anonymous.get<SandboxDescription>(`${url}/_sandbox`, { signal });
  const cloud = sandboxCloud(description);
  const session = new ServiceSession({
    cloud,
    tokens: new SandboxTokenProvider({ baseUrl: url, http: anonymous }),
    logger: silentLogger,
  });
  let throttled = 0;
  session.http.onDidRequest((e) => {
    if (e.status === 429) {
      throttled++;
    }
  });
  const env = { orgUrl: `${url}/org/contoso-dev` };
  const environment: EnvironmentRef = { id: seedIds.environments.dev, orgUrl: env.orgUrl };
  const clock = await sandboxClock(url);
  const { service, port } = batchStack(session, clock, environment, 'unattended');
  const backend = new DataverseRunsBackend(session.runs, env.orgUrl);
  const query = {
    flowId: seedIds.flows.echoText,
    createdOnOrAfter: 0,
    apiTriggeredOnly: true,
    columns: 'status',
    pageSize: 5_000,
  } as const;
  const runsOfFlow = async (): Promise<string[]> => {
    let page = await backend.listRuns(query, signal);
    const ids = [...page.runs.map((r) => r.id.toLowerCase())];
    while (page.nextPage !== undefined) {
      page = await backend.listRunsPage(page.nextPage, query, signal);
      ids.push(...page.runs.map((r) => r.id.toLowerCase()));
    }
    return ids;
  };
  const before = (await runsOfFlow()).length;
  const started = Date.now();
  const result = await runBatchSession(
    {
      paths: [path.join(dir, 'items')],
      journalFile: path.join(dir, 'journal.json'),
      header: { batchId: 'bench', environment, runMode: 'unattended', connections, wait: false },
      skipInvalid: false,
      wait: false,
      port,
      service,
      backend: new DataverseRunsBackend(session.runs, env.orgUrl),
      clock,
      logger: silentLogger,
    },
    signal,
  );
  const wallSeconds = (Date.now() - started) / 1000;
  port.dispose();
  service.dispose();
  if (result.kind !== 'ran') {
    throw new Error(`the batch did not run: ${result.kind}`);
  }
  // Every run of the flow the sandbox holds for this batch, by inputText: more than one is a duplicate.
  const journaled = new Set<string>();
  for (const track of result.tracks.values()) {
    if (track.runId !== undefined) {
      journaled.add(track.runId.toLowerCase());
    }
  }
  const inSandbox = await runsOfFlow();
  const sandboxSet = new Set(inSandbox);
  const mine = inSandbox.filter((id) => journaled.has(id)).length;
  const lost = count - [...journaled].filter((id) => sandboxSet.has(id)).length;
  // Runs of this flow not attributed to any item were created by lost answers we failed to find.
  const duplicated = inSandbox.length - before - mine;
  clearInterval(sampler);
  await session.dispose();
  await anonymous.close();
  await rm(dir, { recursive: true, force: true });
  const out: Result = {
    items: count,
    sustained: result.summary.connections.map((c) => (c.startsPerMinute ?? 0) / 70),
    busiest: result.summary.connections.map((c) => c.busiestMinute / 70),
    throttled,
    duplicated,
    lost,
    wallSeconds,
    peakRssMb: peak / 2 ** 20,
    baseRssMb: baseRss / 2 ** 20,
  };
  process.stdout.write(`RESULT ${JSON.stringify({ ...out, runsInSandbox: inSandbox.length })}\n`);
}

function startSandboxProcess(): Promise<{ url: string; process: ChildProcess }> {
  const sandbox = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/sandbox/main.ts', '--port', '0', '--speed', String(speed), '--no-identity'],
    {
      stdio: ['ignore', 'pipe', 'ignore'],
    },
  );
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: sandbox.stdout });
    // Keep reading: the sandbox writes on exit too.
    lines.on('line', () => undefined);
    lines.once('line', (line) => {
      const match = /^Sandbox listening on (\S+)/.exec(line);
      if (match?.[1] === undefined) {
        reject(new Error(`unexpected sandbox output: ${line}`));
      } else {
        resolve({ url: match[1], process: sandbox });
      }
    });
    sandbox.once('exit', (code) => reject(new Error(`the sandbox exited with ${code}`)));
  });
}

function runChild(
  url: string,
  count: number,
  previousRuns: number,
): Promise<Result & { runsInSandbox: number }> {
  return new Promise((resolve, reject) => {
    const c = spawn(
      process.execPath,
      ['--import', 'tsx', 'bench/batch.bench.ts', '--child', url, String(count)],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
        env: { ...process.env, BENCH_PREVIOUS_RUNS: String(previousRuns) },
      },
    );
    let result: (Result & { runsInSandbox: number }) | undefined;
    createInterface({ input: c.stdout }).on('line', (line) => {
      if (line.startsWith('RESULT ')) {
        result = JSON.parse(line.slice(7)) as Result & { runsInSandbox: number };
      }
    });
    c.once('exit', (code) =>
      result === undefined ? reject(new Error(`the batch process exited with ${code}`)) : resolve(result),
    );
  });
}

function fixed(values: readonly number[], digits = 3): string {
  return values.map((v) => v.toFixed(digits)).join(' / ');
}

async function main(): Promise<void> {
  if (process.argv[2] === '--child') {
    await child(process.argv[3] ?? '', Number(process.argv[4]));
    return;
  }
  const sandbox = await startSandboxProcess();
  try {
    const rows: string[][] = [];
    let previousRuns = 0;
    for (const size of sizes) {
      const r = await runChild(sandbox.url, size, previousRuns);
      previousRuns = r.runsInSandbox;
      rows.push([
        String(size),
        fixed(r.sustained),
        fixed(r.busiest),
        String(r.throttled),
        `${r.duplicated}/${r.lost}`,
        r.wallSeconds.toFixed(1),
        `${r.peakRssMb.toFixed(0)} (base ${r.baseRssMb.toFixed(0)})`,
      ]);
    }
    const head = [
      'items',
      'starts/conn-min ÷ 70 (3 conns)',
      'busiest 60 s ÷ 70',
      '429s',
      'dup/lost',
      'wall s',
      'peak RSS MB',
    ];
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]?.length ?? 0)));
    const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ');
    process.stdout.write(
      `Batch over 3 connections, sandbox speed ${speed}x (targets: ≥ 0.95, ≤ 1, 0, 0/0)\n`,
    );
    process.stdout.write(`${line(head)}\n${line(widths.map((w) => '-'.repeat(w)))}\n`);
    for (const row of rows) {
      process.stdout.write(`${line(row)}\n`);
    }
  } finally {
    sandbox.process.kill();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
