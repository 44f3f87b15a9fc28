// Runs mocha over bundled test files inside the extension host and writes what the harness reads back
// (DESKTOPFLOWS_TEST_RESULTS). Used by the tier's bootstrap (index.ts) and the reload session (reload/index.ts).
import * as fs from 'node:fs';
import * as util from 'node:util';
import Mocha from 'mocha';
import { testOutput } from './helpers';

/** What the harness reads back after the run (DESKTOPFLOWS_TEST_RESULTS). */
export interface TestResults {
  passed: number;
  failed: number;
  pending: number;
  durationMs: number;
  /** mocha's closing count lines ("N passing", "N failing") and the "N passed, N failed" tally. */
  summary: string[];
  error?: string;
}

export function writeResults(results: TestResults): void {
  const file = process.env.DESKTOPFLOWS_TEST_RESULTS;
  if (file) {
    fs.writeFileSync(file, JSON.stringify(results, null, 2));
  }
}

/**
 * A mocha instance whose spec reporter prints to the harness's live output; `lines` collects what it printed.
 */
export function createMocha(lines: string[]): Mocha {
  Mocha.reporters.Base.consoleLog = (...args: unknown[]) => {
    const line = util.format(...args);
    lines.push(line);
    testOutput(line);
  };
  return new Mocha({ ui: 'bdd', color: false, reporter: 'spec', timeout: 30_000 });
}

/** Runs the loaded or added files; the counts, with mocha's count lines and the tally as the summary. */
export async function runMocha(mocha: Mocha, lines: string[], started: number): Promise<TestResults> {
  const stats = await new Promise<Mocha.Stats | undefined>((resolve) => {
    const runner = mocha.run(() => resolve(runner.stats));
  });
  const passed = stats?.passes ?? 0;
  const failed = stats?.failures ?? 0;
  const pending = stats?.pending ?? 0;
  // The counts close the run; failure details were already streamed above them.
  const counts = lines.filter((l) => /^\s*\d+ (passing|failing|pending)\b/.test(l));
  const tally = `${passed} passed, ${failed} failed`;
  testOutput(tally);
  return { passed, failed, pending, durationMs: Date.now() - started, summary: [...counts, tally] };
}

/** Writes the results of a runner that could not even load the tests (syntax error, throwing import…). */
export function writeLoadFailure(err: unknown, started: number): void {
  const error = err instanceof Error ? (err.stack ?? err.message) : String(err);
  if (!fs.existsSync(process.env.DESKTOPFLOWS_TEST_RESULTS ?? '')) {
    testOutput(`The integration tests could not run:\n${error}`);
    writeResults({ passed: 0, failed: 0, pending: 0, durationMs: Date.now() - started, summary: [], error });
  }
}
