// The mocha bootstrap the extension host loads through `extensionTestsPath` (bundled to
// dist/test/integration/index.js). VS Code calls run(); its rejection makes the run exit non-zero.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as util from 'node:util';
import Mocha from 'mocha';
import { hostIdentity, testOutput } from './helpers';

/** What the harness reads back after the run (DESKTOPFLOWS_TEST_RESULTS). */
interface TestResults {
  passed: number;
  failed: number;
  pending: number;
  durationMs: number;
  /** mocha's closing count lines ("N passing", "N failing") and the "N passed, N failed" tally. */
  summary: string[];
  error?: string;
}

function writeResults(results: TestResults): void {
  const file = process.env.DESKTOPFLOWS_TEST_RESULTS;
  if (file) {
    fs.writeFileSync(file, JSON.stringify(results, null, 2));
  }
}

/** Every bundled `*.test.js` next to this file; activation first, so a dead extension fails first. */
function testFiles(root: string): string[] {
  const files = fs
    .readdirSync(root, { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.test.js'))
    .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  return files.map((f) => path.join(root, f));
}

function rank(file: string): number {
  return path.basename(file) === 'activation.test.js' ? 0 : 1;
}

/** A small seeded generator (mulberry32), so a shuffled order can be replayed with its seed. */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Reorders every suite's tests and sub-suites (DESKTOPFLOWS_TEST_ORDER=reverse, shuffle or shuffle:<seed>), to
 * prove each `it` depends on no other. The activation suite stays first. Returns the order used (with its seed).
 */
function reorder(root: Mocha.Suite, order: string): string {
  const match = /^(reverse|shuffle)(?::(\d+))?$/.exec(order);
  if (!match) {
    throw new Error(`DESKTOPFLOWS_TEST_ORDER must be reverse, shuffle or shuffle:<seed> (got ${order})`);
  }
  const seed = match[2] === undefined ? Math.floor(Math.random() * 1_000_000) : Number(match[2]);
  const random = seededRandom(seed);
  const arrange = <T>(list: T[]): void => {
    if (match[1] === 'reverse') {
      list.reverse();
      return;
    }
    for (let i = list.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [list[i], list[j]] = [list[j] as T, list[i] as T];
    }
  };
  const visit = (suite: Mocha.Suite, pinFirst: boolean): void => {
    const pinned = pinFirst ? suite.suites.splice(0, 1) : [];
    arrange(suite.suites);
    suite.suites.unshift(...pinned);
    arrange(suite.tests);
    for (const child of suite.suites) {
      visit(child, false);
    }
  };
  visit(root, true);
  return match[1] === 'reverse' ? 'reverse' : `shuffle:${seed}`;
}

export async function run(): Promise<void> {
  testOutput(`Host: ${hostIdentity()}`);
  const lines: string[] = [];
  // The spec reporter prints through Base.consoleLog; route it to the harness's live output.
  Mocha.reporters.Base.consoleLog = (...args: unknown[]) => {
    const line = util.format(...args);
    lines.push(line);
    testOutput(line);
  };
  const mocha = new Mocha({ ui: 'bdd', color: false, reporter: 'spec', timeout: 30_000 });
  const grep = process.env.DESKTOPFLOWS_TEST_GREP;
  if (grep) {
    mocha.grep(grep);
    testOutput(`(only tests matching --grep ${JSON.stringify(grep)})`);
  }
  const started = Date.now();
  try {
    for (const file of testFiles(__dirname)) {
      mocha.addFile(file);
    }
    const order = process.env.DESKTOPFLOWS_TEST_ORDER;
    if (order) {
      // Load the files now, with require as run() would, so their suites can be reordered before they run.
      (mocha as unknown as { loadFiles(): void }).loadFiles();
      mocha.files = [];
      testOutput(`(tests in ${reorder(mocha.suite, order)} order; the activation suite first)`);
    }
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
    writeResults({
      passed,
      failed,
      pending,
      durationMs: Date.now() - started,
      summary: [...counts, tally],
    });
    if (passed + failed === 0) {
      throw new Error(grep ? `no test matches --grep ${JSON.stringify(grep)}` : 'no tests were found');
    }
    if (failed > 0) {
      throw new Error(`${failed} integration test(s) failed`);
    }
  } catch (err) {
    const error = err instanceof Error ? (err.stack ?? err.message) : String(err);
    if (!fs.existsSync(process.env.DESKTOPFLOWS_TEST_RESULTS ?? '')) {
      // mocha could not even load the tests (syntax error, throwing import…)
      testOutput(`The integration tests could not run:\n${error}`);
      writeResults({
        passed: 0,
        failed: 0,
        pending: 0,
        durationMs: Date.now() - started,
        summary: [],
        error,
      });
    }
    throw err;
  }
}
