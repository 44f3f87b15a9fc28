/**
 * Watching 50 concurrent runs to completion against the sandbox: our per-environment watcher (one request
 * per tick for all active runs) against per-run polling (one `GET flowsessions(<id>)` per run per tick, the
 * way existing clients poll), at the same fixed intervals, plus our default adaptive interval.
 *
 * Prints, per mode: status requests, requests per (sandbox) minute, their ratio to per-run polling at the
 * same interval, and the delay between a run ending in the sandbox and the client knowing it (median,
 * 95th percentile, max; sandbox seconds, including the one outputs read both clients make on success).
 *
 * Run with `npx tsx bench/watchRuns.bench.ts [speed]` (default speed 15: sandbox time runs 15× real time;
 * higher is quicker but real network latency then weighs more in sandbox seconds).
 */
import { setMaxListeners } from 'node:events';
import { RunsApi } from '../src/core/api/runsApi';
import type { TokenProvider } from '../src/core/auth/tokenProvider';
import { HttpClient, type RequestEvent } from '../src/core/http/httpClient';
import { isTerminal } from '../src/core/model/run';
import { DataverseRunsBackend } from '../src/core/runs/dataverseRunsBackend';
import { clockFrom, type RunClock } from '../src/core/runs/runClock';
import type { EnvironmentRef } from '../src/core/runs/runJournal';
import type { RunOptions } from '../src/core/runs/runOptions';
import { RunService } from '../src/core/runs/runService';
import { isTerminalStatus } from '../src/sandbox/dataverseEntities';
import { stableGuid } from '../src/sandbox/ids';
import { defaultSeed, seedEnvironmentNames, seedIds } from '../src/sandbox/seed';
import type { SandboxData, SeedFlow } from '../src/sandbox/seedTypes';
import { startSandbox, type Sandbox } from '../src/sandbox/server';

const runCount = 50;
const speed = Math.max(1, Number(process.argv[2] ?? 15));
/** Run lengths in sandbox seconds: short and long runs mixed, as a real batch would be. */
const durations = [20, 45, 90, 150, 240];
const connectionName = `shared-uiflow-${stableGuid('bench:connection')}`;
const groupId = stableGuid('bench:group');

type Mode =
  | { readonly label: string; readonly kind: 'perRun'; readonly intervalMs: number }
  | {
      readonly label: string;
      readonly kind: 'watcher';
      readonly minMs: number;
      readonly maxMs: number;
      readonly sameAs?: string;
    };

const modes: Mode[] = [
  { label: 'per-run polling, every 2 s', kind: 'perRun', intervalMs: 2_000 },
  {
    label: 'our watcher, every 2 s',
    kind: 'watcher',
    minMs: 2_000,
    maxMs: 2_000,
    sameAs: 'per-run polling, every 2 s',
  },
  { label: 'per-run polling, every 5 s', kind: 'perRun', intervalMs: 5_000 },
  {
    label: 'our watcher, every 5 s',
    kind: 'watcher',
    minMs: 5_000,
    maxMs: 5_000,
    sameAs: 'per-run polling, every 5 s',
  },
  {
    label: 'our watcher, adaptive 2-30 s (default)',
    kind: 'watcher',
    minMs: 2_000,
    maxMs: 30_000,
    sameAs: 'per-run polling, every 2 s',
  },
];

interface Result {
  readonly statusRequests: number;
  readonly otherRequests: number;
  /** Sandbox minutes from the first start to the last run known finished. */
  readonly minutes: number;
  /** Sandbox ms between each run ending and the client knowing it. */
  readonly delays: number[];
}

/** A data set with a 50-machine group, so all 50 runs execute at once. */
function benchData(): SandboxData {
  const data = defaultSeed();
  data.environments = data.environments.filter((e) => e.name === seedEnvironmentNames.dev);
  const dev = data.environments[0];
  if (dev === undefined) {
    throw new Error('no dev environment in the seed');
  }
  dev.machineGroups.push({ id: groupId, name: 'Bench Pool', type: 'standard' });
  for (let i = 0; i < runCount; i++) {
    dev.machines.push({ id: stableGuid(`bench:machine:${i}`), name: `BENCH-${i}`, groupId, online: true });
  }
  dev.connections.push({
    name: connectionName,
    displayName: 'Bench pool',
    kind: 'usernamePassword',
    targetGroupId: groupId,
    username: 'CONTOSO\\bench',
  });
  for (const seconds of durations) {
    const flow: SeedFlow = {
      id: stableGuid(`bench:flow:${seconds}`),
      name: `Bench ${seconds}s`,
      state: 'published',
      inputs: [],
      outputs: [{ name: 'Done', type: 'boolean' }],
      behaviour: { durationSeconds: seconds, outcome: 'succeed', outputs: { Done: true } },
    };
    dev.flows.push(flow);
  }
  return data;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return (
    sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN
  );
}

async function measure(mode: Mode): Promise<Result> {
  const sandbox: Sandbox = await startSandbox({ identity: false, data: benchData(), speed });
  const tokens: TokenProvider = { getToken: (resource) => Promise.resolve(sandbox.token(resource)) };
  const http = new HttpClient({ tokens });
  const requests: RequestEvent[] = [];
  http.onDidRequest((e) => requests.push(e));

  const clock: RunClock = clockFrom(sandbox.clock);
  const orgUrl = sandbox.orgUrl(seedEnvironmentNames.dev);
  const environment: EnvironmentRef = { id: seedIds.environments.dev, orgUrl };
  const backend = new DataverseRunsBackend(new RunsApi(http), orgUrl);
  const options: RunOptions = {
    connection: { kind: 'connection', name: connectionName },
    runMode: 'unattended',
  };
  const lifetime = new AbortController();
  setMaxListeners(0, lifetime.signal);
  const endedAt = new Map<string, number>();
  const knownAt = new Map<string, number>();
  sandbox.engine.onDidChangeRun((change) => {
    if (isTerminalStatus(change.statuscode) && !endedAt.has(change.flowsessionId)) {
      endedAt.set(change.flowsessionId, sandbox.clock.now());
    }
  });

  const service = new RunService({
    backendFor: () => backend,
    clock,
    poll:
      mode.kind === 'watcher'
        ? { minMs: mode.minMs, maxMs: mode.maxMs }
        : { minMs: 3_600_000, maxMs: 3_600_000 },
  });
  let allKnown!: () => void;
  const done = new Promise<void>((resolve) => {
    allKnown = resolve;
  });
  const known = (runId: string): void => {
    if (!knownAt.has(runId)) {
      knownAt.set(runId, sandbox.clock.now());
      if (knownAt.size === runCount) {
        allKnown();
      }
    }
  };
  service.onEvent((e) => {
    if (e.kind === 'finished' && mode.kind === 'watcher') {
      known(e.runId);
    }
  });

  const started = sandbox.clock.now();
  const runIds: string[] = [];
  for (let i = 0; i < runCount; i++) {
    const seconds = durations[i % durations.length] as number;
    const flowId = stableGuid(`bench:flow:${seconds}`);
    const run = await service.start(
      {
        origin: 'bench',
        environment,
        flow: { id: flowId, name: `bench ${seconds}s`, isUnpublished: false },
        options,
        connectionDisplayName: 'bench',
        inputs: undefined,
        maskedInputs: undefined,
        sensitiveInputNames: [],
        bytes: 0,
        limitBytes: 2 * 1024 * 1024,
        outputsSchema: { direction: 'outputs', variables: [], complete: true },
      },
      lifetime.signal,
    );
    runIds.push(run.runId);
  }
  if (mode.kind === 'perRun') {
    // The existing-client way: each run on its own timer, one GET per run per interval, until it ends.
    // (The service's own watcher is parked: its first check would come an hour later.)
    for (const runId of runIds) {
      void (async () => {
        for (;;) {
          await clock.sleep(mode.intervalMs, lifetime.signal);
          const run = await backend.getRun(runId, lifetime.signal);
          if (isTerminal(run.status)) {
            if (run.status === 'succeeded') {
              await backend.getRunOutputs(runId, lifetime.signal);
            }
            known(runId);
            return;
          }
        }
      })().catch(() => undefined);
    }
  }
  await done;
  const minutes = (sandbox.clock.now() - started) / 60_000;
  service.dispose();
  lifetime.abort();
  await http.close();
  await sandbox.stop();

  const isStatusPoll = (r: RequestEvent): boolean =>
    r.method === 'GET' &&
    (/\/flowsessions\?/.test(r.url)
      ? /flowsessionid eq/.test(decodeURIComponent(r.url))
      : /\/flowsessions\([^)]+\)\?/.test(r.url));
  const statusRequests = requests.filter(isStatusPoll).length;
  const delays = runIds.map((id) => (knownAt.get(id) ?? Number.NaN) - (endedAt.get(id) ?? Number.NaN));
  return { statusRequests, otherRequests: requests.length - statusRequests, minutes, delays };
}

function pad(text: string, width: number, right = false): string {
  return right ? text.padStart(width) : text.padEnd(width);
}

async function main(): Promise<void> {
  console.log(
    `Watching ${runCount} concurrent runs (${durations.join('/')} s long) to completion, sandbox speed ${speed}x\n`,
  );
  const results = new Map<string, Result>();
  for (const mode of modes) {
    results.set(mode.label, await measure(mode));
  }
  const header = [
    pad('mode', 40),
    pad('status req', 11, true),
    pad('req/min', 9, true),
    pad('vs per-run', 11, true),
    pad('delay p50', 10, true),
    pad('p95', 7, true),
    pad('max', 7, true),
    pad('other req', 10, true),
  ].join(' ');
  console.log(header);
  console.log('-'.repeat(header.length));
  for (const mode of modes) {
    const r = results.get(mode.label) as Result;
    const perMinute = r.statusRequests / r.minutes;
    const base = mode.kind === 'watcher' && mode.sameAs !== undefined ? results.get(mode.sameAs) : undefined;
    const ratio =
      base === undefined ? '1.00x' : `${(perMinute / (base.statusRequests / base.minutes)).toFixed(3)}x`;
    const s = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
    console.log(
      [
        pad(mode.label, 40),
        pad(String(r.statusRequests), 11, true),
        pad(perMinute.toFixed(1), 9, true),
        pad(ratio, 11, true),
        pad(s(percentile(r.delays, 50)), 10, true),
        pad(s(percentile(r.delays, 95)), 7, true),
        pad(s(Math.max(...r.delays)), 7, true),
        pad(String(r.otherRequests), 10, true),
      ].join(' '),
    );
  }
  console.log(
    '\nreq/min: status requests per sandbox minute while runs were active. "vs per-run": ratio to per-run polling at the same',
  );
  console.log(
    '(fastest) interval. Delay: sandbox seconds from a run ending to the client knowing it (outputs read included).',
  );
  console.log(
    'Other requests: the 50 start requests and one outputs read per succeeded run, the same in every mode.',
  );
}

void main();
