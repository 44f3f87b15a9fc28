/**
 * The issue-11 method, shared by test/unit/cli/exactlyOnce.test.ts and bench/exactlyOnce.bench.ts: many
 * `desktop-flows run` invocations as separate processes (the bundled CLI under plain node) against a sandbox
 * with faults on RunDesktopFlow, then count the runs per unique input value:
 * - lost: exit 0 but the reported run does not carry this invocation's input value (or no run does);
 * - duplicated: more than one run carries one value;
 * - adopted: exit 0 with a run that carries another invocation's value;
 * - unexplained: a non-zero exit although a run with its value exists and was not named as a candidate.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import type { FaultSpec } from '../../../src/sandbox/faults';
import { seedEnvironmentNames, seedNames } from '../../../src/sandbox/seed';
import type { Sandbox } from '../../../src/sandbox/server';

export const runDesktopFlowPath = '/org/*/api/data/v9.2/workflows(*)/Microsoft.Dynamics.CRM.RunDesktopFlow';

/** The mixed fault profile of the issue: lost answers, 500/502/503, 429, dropped connections, one stall. */
export function mixedFaults(stallMs: number): FaultSpec[] {
  const on = { method: 'POST', path: runDesktopFlowPath } as const;
  return [
    { ...on, kind: 'delay', delayMs: stallMs, count: 1 },
    { ...on, kind: 'responseLost', probability: 0.1 },
    { ...on, kind: 'status', status: 500, probability: 0.04 },
    { ...on, kind: 'status', status: 502, probability: 0.04 },
    { ...on, kind: 'status', status: 503, probability: 0.04 },
    { ...on, kind: 'status', status: 429, retryAfterSeconds: 1, probability: 0.05 },
    { ...on, kind: 'drop', probability: 0.05 },
  ];
}

/** Bundles a repository's CLI (src/cli/main.ts) into a temporary file; returns its path. */
export async function bundleCli(repoRoot: string): Promise<string> {
  const outfile = path.join(mkdtempSync(path.join(tmpdir(), 'desktopflows-cli-')), 'cli.js');
  await build({
    entryPoints: [path.join(repoRoot, 'src/cli/main.ts')],
    outfile,
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    logLevel: 'error',
    alias: { 'jsonc-parser': path.join(repoRoot, 'node_modules/jsonc-parser/lib/esm/main.js') },
  });
  return outfile;
}

/** What one CLI process did. */
export interface CliProcessResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the bundled CLI as its own process; killed (code `null`) after `timeoutMs`. */
export function spawnCli(
  cliPath: string,
  args: readonly string[],
  env: Readonly<Record<string, string>>,
  timeoutMs: number,
  onSpawn?: (child: ReturnType<typeof spawn>) => void,
): Promise<CliProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliPath, ...args], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    onSpawn?.(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The environment of one user's CLI processes against the sandbox, sharing `stateDir`. */
export function cliEnv(sandbox: Sandbox, home: string, stateDir: string): Record<string, string> {
  const orgUrl = sandbox.orgUrl(seedEnvironmentNames.dev);
  return {
    DESKTOPFLOWS_SANDBOX_URL: sandbox.url,
    DESKTOPFLOWS_TOKEN: sandbox.token(orgUrl),
    DESKTOPFLOWS_STATE_DIR: stateDir,
    HOME: home,
  };
}

/**
 * `desktop-flows run "Optional Inputs"` attended on the maker's connection with an input file holding
 * `{"Required": <required>}` (written to `dir`), plus `extra` arguments.
 */
export function optionalInputsRunArgs(
  orgUrl: string,
  dir: string,
  required: string,
  extra: readonly string[] = [],
): string[] {
  const file = path.join(dir, `inputs-${required}.json`);
  writeFileSync(file, JSON.stringify({ Required: required }));
  return [
    'run',
    'Optional Inputs',
    '--env',
    orgUrl,
    '--connection',
    seedNames.connections.makerMachine,
    '--mode',
    'attended',
    '--inputs',
    file,
    ...extra,
  ];
}

/** One scenario: `runs` invocations, `concurrency` at a time. */
export interface ScenarioOptions {
  readonly cliPath: string;
  readonly sandbox: Sandbox;
  readonly runs: number;
  readonly concurrency: number;
  /** `--wait` (then the run must also have succeeded for exit 0). */
  readonly wait?: boolean;
  /** Per-process bound (default 90 s). */
  readonly processTimeoutMs?: number;
  /** Extra CLI arguments (e.g. `--no-resend`). */
  readonly extraArgs?: readonly string[];
  /** Shared state directory (default: a fresh temporary one). */
  readonly stateDir?: string;
}

/** What happened to one invocation. */
export interface InvocationOutcome {
  readonly value: string;
  readonly code: number | null;
  readonly reportedRunId: string | undefined;
  readonly candidates: readonly string[];
  readonly stderr: string;
}

/** The counts of a scenario. */
export interface ScenarioResult {
  readonly intended: number;
  readonly exit0: number;
  /** Values with at least one run. */
  readonly runsWithIntendedInputs: number;
  readonly lost: number;
  readonly duplicated: number;
  readonly adopted: number;
  readonly unexplained: number;
  /** Non-zero exits that named candidate runs (outcome unknown). */
  readonly namedCandidates: number;
  /** Non-zero exit codes and how often. */
  readonly otherExits: Readonly<Record<string, number>>;
  readonly wallMs: number;
  readonly outcomes: readonly InvocationOutcome[];
}

const guid = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

/** Runs the scenario and counts. The sandbox's faults are left as they are (add them before). */
export async function runScenario(options: ScenarioOptions): Promise<ScenarioResult> {
  const { sandbox } = options;
  const dir = mkdtempSync(path.join(tmpdir(), 'desktopflows-eo-'));
  const stateDir = options.stateDir ?? path.join(dir, 'state');
  const orgUrl = sandbox.orgUrl(seedEnvironmentNames.dev);
  const env = cliEnv(sandbox, dir, stateDir);
  const dev = sandbox.environments.get(seedEnvironmentNames.dev);
  if (dev === undefined) {
    throw new Error('The sandbox has no contoso-dev environment');
  }
  const tag = path.basename(dir);
  const outcomes: InvocationOutcome[] = [];
  const started = Date.now();
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < options.runs; i = next++) {
      const value = `${tag}-${i}`;
      const r = await spawnCli(
        options.cliPath,
        optionalInputsRunArgs(orgUrl, dir, value, [
          '--json',
          ...(options.wait === true ? ['--wait', '--poll-interval', '0.05'] : []),
          ...(options.extraArgs ?? []),
        ]),
        env,
        options.processTimeoutMs ?? 90_000,
      );
      let reportedRunId: string | undefined;
      let candidates: string[] = [];
      try {
        const out = JSON.parse(r.stdout) as {
          runId?: string;
          start?: { runId?: string };
          candidateRunIds?: string[];
        };
        reportedRunId = out.runId ?? out.start?.runId;
        candidates = out.candidateRunIds ?? [];
      } catch {
        // No JSON on stdout (an error before or after the start).
      }
      if (r.code !== 0) {
        // Candidates are also named in the one-line error.
        candidates = [
          ...new Set([...candidates, ...(r.stderr.match(guid) ?? []).map((g) => g.toLowerCase())]),
        ];
      }
      outcomes.push({ value, code: r.code, reportedRunId, candidates, stderr: r.stderr });
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, () => worker()));
  const wallMs = Date.now() - started;

  const runsByValue = new Map<string, string[]>();
  const valueOfRun = new Map<string, unknown>();
  for (const run of dev.runs.values()) {
    const v = run.inputs.Required;
    valueOfRun.set(String(run.row.flowsessionid).toLowerCase(), v);
    if (typeof v === 'string' && v.startsWith(`${tag}-`)) {
      const ids = runsByValue.get(v) ?? [];
      ids.push(String(run.row.flowsessionid).toLowerCase());
      runsByValue.set(v, ids);
    }
  }
  let exit0 = 0;
  let lost = 0;
  let adopted = 0;
  let unexplained = 0;
  let namedCandidates = 0;
  const otherExits: Record<string, number> = {};
  for (const o of outcomes) {
    const mine = runsByValue.get(o.value) ?? [];
    if (o.code === 0) {
      exit0++;
      const reported = o.reportedRunId?.toLowerCase();
      if (reported === undefined || !mine.includes(reported)) {
        lost++;
        if (reported !== undefined && valueOfRun.has(reported)) {
          adopted++;
        }
      }
    } else {
      otherExits[String(o.code)] = (otherExits[String(o.code)] ?? 0) + 1;
      if (o.candidates.length > 0) {
        namedCandidates++;
      }
      if (mine.length > 0 && !mine.every((id) => o.candidates.includes(id))) {
        unexplained++;
      }
    }
  }
  return {
    intended: options.runs,
    exit0,
    runsWithIntendedInputs: [...runsByValue.values()].filter((ids) => ids.length > 0).length,
    lost,
    duplicated: [...runsByValue.values()].filter((ids) => ids.length > 1).length,
    adopted,
    unexplained,
    namedCandidates,
    otherExits,
    wallMs,
    outcomes,
  };
}
