// The reload session's entry (scripts/integration.mjs runs it after the tier's tests): a true window reload
// between two mocha runs. First run (no state yet): the `*.before.js` suites; then the state file records
// their results and the window reloads (a new workbench page and a new extension host process over the same
// user data, browser storage and workspace). VS Code loads this entry again in the new extension host; the
// state file says the reload happened, so it runs the `*.after.js` suites and reports both runs' counts.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { hostIdentity, testOutput } from '../helpers';
import { createMocha, runMocha, writeLoadFailure, writeResults, type TestResults } from '../mochaRun';

interface ReloadState {
  readonly before: TestResults;
  /** The extension host process that ran the `before` suites: the one after the reload must be another. */
  readonly beforePid: number;
}

/**
 * Suites whose `before` test leaves work in flight that must still be in flight when the window reloads: they run
 * last, straight before the reload. (The batch's first runs ended during a suite run after it, and its `after`
 * test then found them finished in the old window instead of watched to their end in the new one.)
 */
const runsLastBeforeReload = new Set(['batchReload.before.js']);

function suites(kind: 'before' | 'after'): string[] {
  const rank = (f: string): number => (runsLastBeforeReload.has(f) ? 1 : 0);
  return fs
    .readdirSync(__dirname)
    .filter((f) => f.endsWith(`.${kind}.js`))
    .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b))
    .map((f) => path.join(__dirname, f));
}

async function runSuites(kind: 'before' | 'after'): Promise<TestResults> {
  const lines: string[] = [];
  const mocha = createMocha(lines);
  // --grep selects the reload suites too (their `before` and `after` tests share their suite's title).
  const grep = process.env.DESKTOPFLOWS_TEST_GREP;
  if (grep) {
    mocha.grep(grep);
  }
  for (const file of suites(kind)) {
    mocha.addFile(file);
  }
  return runMocha(mocha, lines, Date.now());
}

export async function run(): Promise<void> {
  const stateFile = process.env.DESKTOPFLOWS_TEST_RELOAD_STATE;
  const started = Date.now();
  try {
    if (!stateFile) {
      throw new Error(
        'DESKTOPFLOWS_TEST_RELOAD_STATE is not set: run the reload session through scripts/integration.mjs',
      );
    }
    if (!fs.existsSync(stateFile)) {
      testOutput(
        `Host: ${hostIdentity()} (reload session, before the reload; extension host pid ${process.pid})`,
      );
      const before = await runSuites('before');
      if (before.failed > 0 || before.passed === 0) {
        writeResults(before);
        throw new Error(`${before.failed} reload-session test(s) failed before the reload`);
      }
      const state: ReloadState = { before, beforePid: process.pid };
      fs.writeFileSync(stateFile, JSON.stringify(state, null, 2));
      testOutput('(reloading the window: workbench.action.reloadWindow)');
      // This extension host ends with the reload (the command's promise is cancelled with it); the new one
      // loads this entry again.
      void vscode.commands.executeCommand('workbench.action.reloadWindow').then(undefined, () => undefined);
      await new Promise<never>(() => undefined);
    }
    const state = JSON.parse(fs.readFileSync(stateFile, 'utf8')) as ReloadState;
    testOutput(
      `Host: ${hostIdentity()} (reload session, after the reload; extension host pid ${process.pid}, was ${state.beforePid})`,
    );
    if (state.beforePid === process.pid) {
      throw new Error('the window did not reload: the same extension host process loaded the entry again');
    }
    const after = await runSuites('after');
    const passed = state.before.passed + after.passed;
    const failed = state.before.failed + after.failed;
    const tally = `${passed} passed, ${failed} failed (across the reload)`;
    testOutput(tally);
    writeResults({
      passed,
      failed,
      pending: state.before.pending + after.pending,
      durationMs: state.before.durationMs + after.durationMs,
      summary: [...after.summary.slice(0, -1), tally],
    });
    if (after.passed + after.failed === 0) {
      throw new Error('no reload-session test ran after the reload');
    }
    if (failed > 0) {
      throw new Error(`${failed} reload-session test(s) failed`);
    }
  } catch (err) {
    writeLoadFailure(err, started);
    throw err;
  }
}
