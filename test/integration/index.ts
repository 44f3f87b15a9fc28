// The mocha bootstrap the extension host loads through `extensionTestsPath` (bundled to
// dist/test/integration/index.js). VS Code calls run(); its rejection makes the run exit non-zero.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type Mocha from 'mocha';
import { hostIdentity, testOutput } from './helpers';
import { createMocha, runMocha, writeLoadFailure, writeResults } from './mochaRun';

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
  const mocha = createMocha(lines);
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
    const results = await runMocha(mocha, lines, started);
    writeResults(results);
    if (results.passed + results.failed === 0 && grep && process.env.DESKTOPFLOWS_TEST_ALLOW_NO_MATCH) {
      testOutput('(no test of the tier matches --grep; the reload session runs the ones that do)');
      return;
    }
    if (results.passed + results.failed === 0) {
      throw new Error(grep ? `no test matches --grep ${JSON.stringify(grep)}` : 'no tests were found');
    }
    if (results.failed > 0) {
      throw new Error(`${results.failed} integration test(s) failed`);
    }
  } catch (err) {
    writeLoadFailure(err, started);
    throw err;
  }
}
