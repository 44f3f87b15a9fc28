/**
 * Issue 11's table, re-measured with its method: `desktop-flows run` as separate processes (the bundled
 * CLI under plain node) against the sandbox with the mixed fault profile on RunDesktopFlow (lost answers,
 * 500/502/503, 429, dropped connections, one stall), counting the runs per unique input value.
 *
 * Run with `npx tsx bench/exactlyOnce.bench.ts [--repo <checkout>] [--speed <k>]`: `--repo` bundles another
 * checkout's CLI (e.g. /work/main, for the "before" figures); `--speed` is the sandbox clock factor
 * (default 1000: the service's 2-minute request limit passes in 0.15 s). Processes share one state
 * directory, as one user's processes on one machine do.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startSandbox } from '../src/sandbox/server';
import {
  bundleCli,
  mixedFaults,
  runScenario,
  type ScenarioResult,
} from '../test/unit/cli/exactlyOnceScenario';

const { values } = parseArgs({
  options: { repo: { type: 'string' }, speed: { type: 'string' }, only: { type: 'string' } },
});
const repo = path.resolve(values.repo ?? path.join(__dirname, '..'));
const speed = Number(values.speed ?? 1000);

interface Row {
  readonly label: string;
  readonly runs: number;
  readonly concurrency: number;
  readonly wait: boolean;
}

const rows: Row[] = [
  {
    label: '100 CLI `run`s, 6 at a time, mixed faults on `RunDesktopFlow`',
    runs: 100,
    concurrency: 6,
    wait: false,
  },
  { label: '40 CLI `run`s one after another, same faults', runs: 40, concurrency: 1, wait: false },
  { label: '20 CLI `run --wait`, 5 at a time, same faults', runs: 20, concurrency: 5, wait: true },
];

function exits(r: ScenarioResult): string {
  const parts = Object.entries(r.otherExits).map(
    ([code, n]) => `${n}× exit ${code === 'null' ? 'killed' : code}`,
  );
  return parts.length === 0 ? '-' : parts.join(', ');
}

async function main(): Promise<void> {
  const cliPath = await bundleCli(repo);
  process.stdout.write(`CLI from ${repo}, sandbox speed ${speed}\n\n`);
  const table: string[] = [
    "| What was run | Intended | Exit 0 | Runs that exist with the intended inputs | Lost (exit 0, not its run) | Duplicated | Adopted (another process's run) | Non-zero exits | Non-zero exits naming candidates | Non-zero exits with a run not named | Wall (s) |",
    '|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const row of rows.filter((r) => values.only === undefined || r.label.includes(values.only))) {
    const sandbox = await startSandbox({
      port: 0,
      speed,
      identity: false,
      tokenLifetimeSeconds: 365 * 86_400,
    });
    try {
      for (const f of mixedFaults(3_000)) {
        sandbox.faults.add(f);
      }
      const r = await runScenario({
        cliPath,
        sandbox,
        runs: row.runs,
        concurrency: row.concurrency,
        wait: row.wait,
        processTimeoutMs: 120_000,
      });
      table.push(
        `| ${row.label} | ${r.intended} | ${r.exit0} | ${r.runsWithIntendedInputs} | ${r.lost} | ${r.duplicated} | ${r.adopted} | ${exits(r)} | ${r.namedCandidates} | ${r.unexplained} | ${(r.wallMs / 1000).toFixed(0)} |`,
      );
      process.stdout.write(`${table[table.length - 1] ?? ''}\n`);
      for (const o of r.outcomes.filter((x) => x.code !== 0)) {
        const last = o.stderr.trim().split('\n').pop() ?? '';
        process.stdout.write(`  exit ${String(o.code)} (${o.value}): ${last.slice(0, 300)}\n`);
      }
    } finally {
      await sandbox.stop();
    }
  }
  process.stdout.write(`\n${table.join('\n')}\n`);
}

void main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
