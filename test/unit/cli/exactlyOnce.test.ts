/**
 * Exactly once across processes (issue 11): the CLI runs as separate processes (the bundled entry point
 * under plain node) against one sandbox with faults on RunDesktopFlow, sharing one state directory as
 * processes of one user on one machine do.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { seedEnvironmentNames } from '../../../src/sandbox/seed';
import { startSandbox, type Sandbox } from '../../../src/sandbox/server';
import {
  bundleCli,
  cliEnv,
  mixedFaults,
  optionalInputsRunArgs,
  runDesktopFlowPath,
  runScenario,
  spawnCli,
  type CliProcessResult,
} from './exactlyOnceScenario';

const root = path.resolve(__dirname, '../../..');

describe('desktop-flows CLI: exactly once across processes', function () {
  // Bundling once and ~120 processes on a loaded 2-core machine; every step below is bounded.
  this.timeout(600_000);
  let sandbox: Sandbox;
  let cliPath: string;
  let dir: string;
  let env: Record<string, string>;
  let orgUrl: string;

  before(async () => {
    // 1000x: the service's 2-minute maximum request time passes in 0.15 s.
    sandbox = await startSandbox({
      port: 0,
      speed: 1000,
      identity: false,
      tokenLifetimeSeconds: 30 * 86_400,
    });
    cliPath = await bundleCli(root);
    dir = mkdtempSync(path.join(tmpdir(), 'desktopflows-eo-test-'));
    orgUrl = sandbox.orgUrl(seedEnvironmentNames.dev);
    env = cliEnv(sandbox, dir, path.join(dir, 'state'));
  });

  after(async () => {
    await sandbox.stop();
  });

  afterEach(() => {
    sandbox.faults.clear();
  });

  function runsWithRequired(value: string): string[] {
    const dev = sandbox.environments.get(seedEnvironmentNames.dev);
    return [...(dev?.runs.values() ?? [])]
      .filter((r) => r.inputs.Required === value)
      .map((r) => String(r.row.flowsessionid));
  }

  function run(required: string, ...extra: string[]): Promise<CliProcessResult> {
    return spawnCli(cliPath, optionalInputsRunArgs(orgUrl, dir, required, ['--json', ...extra]), env, 60_000);
  }

  it("the issue's repro: after run A, a 503 on run B never reports A's run; B is started once with B's inputs", async () => {
    const a = await run('repro-A');
    assert.equal(a.code, 0, a.stderr);
    const aId = (JSON.parse(a.stdout) as { runId: string }).runId;
    sandbox.faults.add({ method: 'POST', path: runDesktopFlowPath, kind: 'status', status: 503, count: 1 });
    const b = await run('repro-B');
    assert.equal(b.code, 0, b.stderr);
    const started = JSON.parse(b.stdout) as { runId: string; reconciled: boolean; attempts: number };
    assert.notEqual(started.runId, aId);
    assert.deepEqual(runsWithRequired('repro-B'), [started.runId]);
    assert.deepEqual([started.reconciled, started.attempts], [false, 2]);
    assert.deepEqual(runsWithRequired('repro-A'), [aId]);
  });

  it('--no-resend: a 503 with no run found ends with exit 5, no run, and the command to check', async () => {
    sandbox.faults.add({ method: 'POST', path: runDesktopFlowPath, kind: 'status', status: 503, count: 1 });
    const r = await run('no-resend', '--no-resend');
    assert.equal(r.code, 5, r.stderr);
    assert.deepEqual(runsWithRequired('no-resend'), []);
    const report = JSON.parse(r.stdout) as { outcome: string; candidateRunIds: string[]; check: string };
    assert.deepEqual([report.outcome, report.candidateRunIds], ['unknown', []]);
    assert.match(
      report.check,
      /^desktop-flows runs "Optional Inputs" --env \S+ --since \d{4}-\d\d-\d\dT[\d:]+Z$/,
    );
    assert.match(
      r.stderr,
      /error: .*No candidate run was found\. It was not sent again\. Check with `desktop-flows runs/,
    );
    // The check command works as printed.
    const args =
      report.check
        .match(/"[^"]+"|\S+/g)
        ?.slice(1)
        .map((a) => a.replace(/^"|"$/g, '')) ?? [];
    const listed = await spawnCli(cliPath, [...args, '--json'], env, 30_000);
    assert.equal(listed.code, 0, listed.stderr);
    assert.ok(Array.isArray(JSON.parse(listed.stdout)));
  });

  it('a lost answer whose run cannot be proven (its inputs unreadable) is reported unknown with that run, never exit 0', async () => {
    sandbox.faults.add({ method: 'POST', path: runDesktopFlowPath, kind: 'responseLost', count: 1 });
    sandbox.faults.add({
      method: 'GET',
      path: '/org/*/api/data/v9.2/flowsessions(*)/inputs/$value',
      kind: 'status',
      status: 500,
    });
    const r = await run('unprovable');
    assert.equal(r.code, 5, r.stderr);
    const created = runsWithRequired('unprovable');
    assert.equal(created.length, 1, 'the request did start one run, and only one');
    const report = JSON.parse(r.stdout) as { candidateRunIds: string[] };
    assert.deepEqual(report.candidateRunIds, created);
    assert.ok(r.stderr.includes(created[0] as string), r.stderr);
  });

  it('a second Ctrl+C while the start is in flight says the request may have started a run, then exits 130', async () => {
    sandbox.faults.add({
      method: 'POST',
      path: runDesktopFlowPath,
      kind: 'delay',
      delayMs: 20_000,
      count: 1,
    });
    let child: { kill(signal: NodeJS.Signals): boolean } | undefined;
    const done = spawnCli(
      cliPath,
      optionalInputsRunArgs(orgUrl, dir, 'interrupted'),
      env,
      60_000,
      (c) => (child = c),
    );
    // Wait until the request reached the sandbox (the stall holds its answer).
    for (let i = 0; i < 400 && (sandbox.faults.list()[0]?.hits ?? 0) === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    assert.equal(sandbox.faults.list()[0]?.hits, 1, 'the start request was sent');
    child?.kill('SIGINT');
    await new Promise((resolve) => setTimeout(resolve, 100));
    child?.kill('SIGINT');
    const r = await done;
    assert.equal(r.code, 130, r.stderr);
    assert.match(
      r.stderr,
      /The request may have started a run; check with `desktop-flows runs "Optional Inputs" --env \S+ --since \S+Z`\./,
    );
    assert.equal(runsWithRequired('interrupted').length, 1, 'the run it names exists');
  });

  it('100 runs, 6 at a time, under mixed faults: none lost, none duplicated, none adopted; every failure explained', async () => {
    for (const f of mixedFaults(3_000)) {
      sandbox.faults.add(f);
    }
    const result = await runScenario({
      cliPath,
      sandbox,
      runs: 100,
      concurrency: 6,
      processTimeoutMs: 150_000,
    });
    const killed = result.outcomes.filter((o) => o.code === null).map((o) => o.stderr.slice(-400));
    const summary = JSON.stringify({ ...result, outcomes: undefined, killed });
    assert.equal(result.lost, 0, summary);
    assert.equal(result.duplicated, 0, summary);
    assert.equal(result.adopted, 0, summary);
    assert.equal(result.unexplained, 0, summary);
    assert.equal(result.otherExits.null, undefined, `no process had to be killed: ${summary}`);
    // The faults did hit: some answers were lost, and the runs still exist once each.
    const hits = sandbox.faults.list().reduce((n, f) => n + f.hits, 0);
    assert.ok(hits >= 10, `faults hit ${hits} times`);
    assert.ok(result.exit0 >= 90, summary);
  });
});
