// @ts-check
// The integration tier: builds the extension and the tests, then runs mocha inside a real VS Code
// extension host. Desktop VS Code (@vscode/test-electron) when one is available; otherwise the
// offline host: code-server from npm + headless Debian Chromium. Never skips: if no host can
// start, it fails and says what is missing.
//
//   node scripts/integration.mjs [--grep <regexp>] [--order reverse|shuffle[:<seed>]] [--host auto|code-server|desktop]
//        [--env KEY=VALUE ...] [--sandbox] [--timeout <seconds>] [--show-log] [--keep] [--no-build]
//        [--screenshot <file.png> [--command <commandId> ...] [--wait-text <text>]]
//        [--entry <module.js>] [--workspace-name <name>]
//
// --order runs the tests (files and each suite's its) reversed or shuffled, the activation suite first, to
// prove that every test runs in any order; a shuffle prints its seed, so `--order shuffle:<seed>` replays it.
// --sandbox starts src/sandbox/main.ts and passes DESKTOPFLOWS_SANDBOX_URL to the extension host.
// --screenshot runs no tests: it opens the workbench, runs the --command ids (an argument list
// may follow the id as JSON: --command 'desktopFlows.x ["arg"]'), waits for --wait-text, saves a PNG.
// --entry runs no tests either: the extension host loads that module (exporting run()) instead of the
// mocha bootstrap, in the offline host (it needs the workbench probe), e.g. scripts/screenshots.mjs.
// --workspace-name names the workspace folder (the window title shows it) instead of a random name.
//
// The reload session runs after the tests (unless --grep matches none of its titles): what must survive a
// true window reload (test/integration/reload/). Its entry runs the `*.before.js` suites, reloads the window
// (workbench.action.reloadWindow: a new workbench page, a new extension host process, the same user data,
// browser storage and workspace), and after the reload runs the `*.after.js` suites. It always uses the
// offline host (the harness drives the page), with its own workspace and a sandbox process that outlives the
// extension host (DESKTOPFLOWS_TEST_SANDBOX_URL; the extension is not signed in to it automatically).
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { pruneRunDirs } from './vscodeHost/codeServer.mjs';
import { cacheRoot, codeServerVersion, ensureCodeServer, repoRoot } from './vscodeHost/installCodeServer.mjs';
import { runInCodeServer } from './vscodeHost/runInCodeServer.mjs';
import { desktopAvailability, runInDesktop } from './vscodeHost/runInDesktop.mjs';
import { FileTail, readResults } from './vscodeHost/testOutput.mjs';
import { ensurePrerequisites } from './prerequisites.mjs';
import { startSandboxProcess } from './vscodeHost/sandboxProcess.mjs';
import { findChromium } from './vscodeHost/workbenchBrowser.mjs';

const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)}s`;
const log = (/** @type {string} */ line) => console.log(`[integration ${elapsed()}] ${line}`);

const { values: opt } = parseArgs({
  options: {
    grep: { type: 'string' },
    order: { type: 'string' },
    host: { type: 'string', default: process.env.DESKTOPFLOWS_TEST_HOST ?? 'auto' },
    env: { type: 'string', multiple: true, default: [] },
    sandbox: { type: 'boolean', default: false },
    timeout: { type: 'string', default: '600' },
    'show-log': { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    'no-build': { type: 'boolean', default: false },
    screenshot: { type: 'string' },
    command: { type: 'string', multiple: true, default: [] },
    'wait-text': { type: 'string' },
    entry: { type: 'string' },
    'workspace-name': { type: 'string' },
  },
  strict: true,
});

if (!['auto', 'code-server', 'desktop'].includes(String(opt.host))) {
  console.error(`--host must be auto, code-server or desktop (got ${opt.host})`);
  process.exit(2);
}
const timeoutMs = Number(opt.timeout) * 1000;
if (!(timeoutMs > 0)) {
  console.error(`--timeout must be a number of seconds (got ${opt.timeout})`);
  process.exit(2);
}

// The extension signs in to the sandbox when DESKTOPFLOWS_SANDBOX_URL is set; a value left in the
// developer's shell must not change what the tests see. --sandbox or --env set it on purpose.
delete process.env.DESKTOPFLOWS_SANDBOX_URL;

/** @type {Record<string, string>} */
const hostEnv = {};
for (const kv of opt.env) {
  const i = kv.indexOf('=');
  if (i <= 0) {
    console.error(`--env expects KEY=VALUE (got ${kv})`);
    process.exit(2);
  }
  hostEnv[kv.slice(0, i)] = kv.slice(i + 1);
}
if (opt.grep) {
  hostEnv.DESKTOPFLOWS_TEST_GREP = opt.grep;
}
if (opt.order) {
  hostEnv.DESKTOPFLOWS_TEST_ORDER = opt.order;
}

const controller = new AbortController();
let interrupts = 0;
for (const sig of /** @type {const} */ (['SIGINT', 'SIGTERM'])) {
  process.on(sig, () => {
    interrupts += 1;
    if (interrupts > 2) {
      process.exit(130); // the user insists; cleanup is already under way
    }
    controller.abort();
  });
}

/** @type {import('./vscodeHost/sandboxProcess.mjs').SandboxProcess | undefined} */
let sandbox;
/** The reload session's own sandbox. @type {import('./vscodeHost/sandboxProcess.mjs').SandboxProcess | undefined} */
let reloadSandbox;
/** @type {string[]} */
const extraRoots = [];
let workspace = '';
/** What to delete at the end: the workspace, or the temporary folder holding a named one. */
let workspaceRoot = '';
let exitCode = 1;
try {
  exitCode = await main();
} catch (err) {
  console.error(`[integration] ${err instanceof Error ? err.message : String(err)}`);
  exitCode = 1;
} finally {
  if (sandbox) {
    await sandbox.stop();
  }
  if (reloadSandbox) {
    await reloadSandbox.stop();
  }
  if (!opt.keep) {
    for (const root of [workspaceRoot, ...extraRoots].filter(Boolean)) {
      rmSync(root, { recursive: true, force: true });
    }
  }
}
process.exit(exitCode);

/** @returns {Promise<number>} */
async function main() {
  if (!opt['no-build']) {
    build();
  }
  const testsEntry = path.join(repoRoot, 'dist', 'test', 'integration', 'index.js');
  if (!opt.screenshot && !opt.entry && !existsSync(testsEntry)) {
    throw new Error(`${path.relative(repoRoot, testsEntry)} is missing after the build`);
  }
  if (opt.entry && !existsSync(path.resolve(opt.entry))) {
    throw new Error(`--entry ${opt.entry} does not exist (after the build)`);
  }

  workspace = createWorkspace();
  if (opt.sandbox) {
    sandbox = await startSandboxProcess({
      repoRoot,
      onLine: (line) => opt['show-log'] && console.log(`[sandbox] ${line}`),
    });
    hostEnv.DESKTOPFLOWS_SANDBOX_URL = sandbox.url;
    log(`sandbox listening on ${sandbox.url}`);
  }

  const reloadWanted = !opt.screenshot && !opt.entry && reloadSessionWanted();
  if (reloadWanted && opt.grep) {
    // The --grep may match only the reload session's tests: the tier's entry then finds none, and that is fine.
    hostEnv.DESKTOPFLOWS_TEST_ALLOW_NO_MATCH = '1';
  }
  const testsCode = await hostRun(testsEntry);
  if (!reloadWanted || interrupts > 0) {
    return testsCode;
  }
  const reloadCode = await reloadSession();
  return testsCode !== 0 ? testsCode : reloadCode;
}

/**
 * @param {string} testsEntry
 * @returns {Promise<number>}
 */
async function hostRun(testsEntry) {
  const desktop =
    opt.host === 'code-server' || opt.screenshot || opt.entry
      ? undefined
      : await desktopAvailability({ cacheRoot });
  if (desktop?.available) {
    return await viaDesktop(desktop, testsEntry);
  }
  if (opt.host === 'desktop') {
    throw new Error(
      `--host desktop: no desktop VS Code: ${desktop && !desktop.available ? desktop.reason : ''}`,
    );
  }
  const desktopReason = desktop && !desktop.available ? desktop.reason : undefined;
  if (desktopReason) {
    log(`desktop VS Code: not available (${desktopReason}); using the offline host`);
  }
  return await viaCodeServer(testsEntry, desktopReason);
}

function build() {
  // Stale bundles of deleted or renamed test files would otherwise still run.
  rmSync(path.join(repoRoot, 'dist', 'test', 'integration'), { recursive: true, force: true });
  const t = Date.now();
  const r = spawnSync(process.execPath, ['esbuild.mjs'], { cwd: repoRoot, stdio: 'inherit' });
  if (r.status !== 0) {
    throw new Error(`build failed (node esbuild.mjs exit ${r.status ?? r.signal})`);
  }
  log(`built extension and tests in ${((Date.now() - t) / 1000).toFixed(1)} s`);
}

/** A fresh workspace folder for this run, seeded from test/fixtures/workspace when it exists. */
function createWorkspace() {
  workspaceRoot = mkdtempSync(path.join(tmpdir(), 'desktopflows-ws-'));
  return seedWorkspace(workspaceRoot);
}

/**
 * @param {string} root
 * @returns {string}
 */
function seedWorkspace(root) {
  const name = opt['workspace-name'];
  const dir = name ? path.join(root, path.basename(name)) : root;
  mkdirSync(dir, { recursive: true });
  const fixtures = path.join(repoRoot, 'test', 'fixtures', 'workspace');
  if (existsSync(fixtures)) {
    cpSync(fixtures, dir, { recursive: true });
  }
  return dir;
}

/**
 * @param {{ available: true, executable?: string, how: string }} desktop
 * @param {string} testsEntry
 * @returns {Promise<number>}
 */
async function viaDesktop(desktop, testsEntry) {
  log(
    `host: desktop VS Code via @vscode/test-electron (${desktop.how}), Node ${process.version} for the harness`,
  );
  const runDir = newRunDir();
  const outputFile = path.join(runDir, 'test-output.log');
  const resultsFile = path.join(runDir, 'results.json');
  const tail = new FileTail(outputFile, (text) => process.stdout.write(text));
  tail.start();
  let code;
  try {
    code = await runInDesktop({
      executable: desktop.executable,
      cacheRoot,
      extensionDevelopmentPath: repoRoot,
      extensionTestsPath: testsEntry,
      workspace,
      userDataDir: path.join(runDir, 'user-data'),
      env: { ...hostEnv, DESKTOPFLOWS_TEST_OUTPUT: outputFile, DESKTOPFLOWS_TEST_RESULTS: resultsFile },
      timeoutMs,
      signal: controller.signal,
      keepPids: sandbox ? [sandbox.pid] : [],
      log,
    });
  } finally {
    tail.stop();
  }
  return finish(code, readResults(resultsFile), `run logs: ${path.relative(repoRoot, runDir)}`);
}

/**
 * @param {string} testsEntry
 * @param {string} [desktopReason]  why desktop VS Code was not used, for the failure message
 * @returns {Promise<number>}
 */
async function viaCodeServer(testsEntry, desktopReason) {
  // Check everything the offline host needs before spending a minute installing it.
  const missing = [];
  if (!ensurePrerequisites({ purpose: 'test', log: (line) => log(`[prerequisites] ${line}`) })) {
    missing.push('the operating-system prerequisites above are missing');
  }
  try {
    findChromium();
  } catch (err) {
    missing.push(err instanceof Error ? err.message : String(err));
  }
  /** @type {import('./vscodeHost/installCodeServer.mjs').CodeServerHost | undefined} */
  let host;
  if (missing.length === 0) {
    try {
      host = await ensureCodeServer({ log: (line) => log(`[host-install] ${line}`) });
    } catch (err) {
      missing.push(
        `code-server ${codeServerVersion} could not be installed: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
  }
  if (!host || missing.length > 0) {
    if (desktopReason) {
      missing.unshift(`desktop VS Code: ${desktopReason} (or set VSCODE_EXECUTABLE)`);
    }
    throw new Error(
      `No VS Code extension host could start, so the integration tier cannot run:\n  - ${missing.join('\n  - ')}`,
    );
  }
  log(
    `host: offline code-server ${host.version} (VS Code ${host.vscodeVersion}) on Node ${process.version}, ` +
      `workbench in headless Chromium (uiKind Web, Node extension host)`,
  );

  /** @type {Record<string, string>} */
  const env = { ...hostEnv };
  let extensionTestsPath = opt.entry ? path.resolve(opt.entry) : testsEntry;
  if (opt.screenshot) {
    const file = path.resolve(opt.screenshot);
    mkdirSync(path.dirname(file), { recursive: true });
    extensionTestsPath = path.join(repoRoot, 'scripts', 'vscodeHost', 'screenshotDriver.cjs');
    env.DESKTOPFLOWS_SCREENSHOT_FILE = file;
    env.DESKTOPFLOWS_SCREENSHOT_COMMANDS = JSON.stringify(opt.command.map(parseCommand));
    if (opt['wait-text']) {
      env.DESKTOPFLOWS_SCREENSHOT_WAIT_TEXT = opt['wait-text'];
    }
  }
  pruneRunDirs(path.join(cacheRoot, 'runs'), 'run-', 4);
  const outcome = await runInCodeServer({
    host,
    extensionDevelopmentPath: repoRoot,
    extensionTestsPath,
    workspace,
    env,
    timeoutMs,
    runRoot: path.join(cacheRoot, 'runs'),
    showLog: opt['show-log'],
    expectResults: !opt.screenshot && !opt.entry,
    signal: controller.signal,
    log,
  });
  const t = outcome.timings;
  log(
    `host timings (from code-server start): healthy ${t.serverHealthy ?? '-'}s, workbench ${t.workbench ?? '-'}s, ` +
      `done ${t.finished ?? '-'}s, all stopped ${t.stopped ?? '-'}s; peak memory (PSS): code-server ` +
      `${outcome.peakMemory.codeServerMiB} MiB, Chromium ${outcome.peakMemory.chromiumMiB} MiB; ` +
      (outcome.orphans.length === 0 ? 'no orphan processes' : `ORPHANS LEFT: ${outcome.orphans.join(' ')}`),
  );
  if (outcome.orphans.length > 0 && outcome.exitCode === 0) {
    outcome.exitCode = 1;
  }
  if (opt.screenshot) {
    log(outcome.exitCode === 0 ? `screenshot: ${path.resolve(opt.screenshot)}` : 'screenshot failed');
    return outcome.exitCode;
  }
  if (opt.entry) {
    log(
      `${path.relative(repoRoot, extensionTestsPath)} ${outcome.exitCode === 0 ? 'finished' : `failed (exit ${outcome.exitCode})`}; run logs: ${path.relative(repoRoot, outcome.runDir)}`,
    );
    return outcome.exitCode;
  }
  return finish(outcome.exitCode, outcome.results, `run logs: ${path.relative(repoRoot, outcome.runDir)}`);
}

/**
 * Prints the closing block — mocha's summary last, ending with the plain "N passed, N failed" line.
 * @param {number} code
 * @param {import('./vscodeHost/testOutput.mjs').TestResults | undefined} results
 * @param {string} where
 * @returns {number}
 */
function finish(code, results, where) {
  log(`exit code ${code}; ${where}; tier wall time ${elapsed()}`);
  if (!results || code === 124 || code === 130) {
    const why =
      code === 124
        ? `timed out after ${opt.timeout} s before the tests finished (raise it with --timeout)`
        : code === 130
          ? 'interrupted before the tests finished'
          : 'the tests did not run (see the log above)';
    console.log(`\nintegration tier failed: ${why}`);
    return code === 0 ? 1 : code;
  }
  if (results.error) {
    console.log(`\nintegration tier failed: the test runner could not run the tests:\n${results.error}`);
    return code === 0 ? 1 : code;
  }
  console.log(`\n${results.summary.join('\n')}`);
  return results.failed > 0 && code === 0 ? 1 : code;
}

/**
 * @param {string} spec  "<commandId>" or "<commandId> <JSON array of arguments>"
 * @returns {unknown[]}
 */
function parseCommand(spec) {
  const space = spec.indexOf(' ');
  if (space < 0) {
    return [spec];
  }
  const args = JSON.parse(spec.slice(space + 1));
  if (!Array.isArray(args)) {
    throw new Error(`--command arguments must be a JSON array: ${spec}`);
  }
  return [spec.slice(0, space), ...args];
}

function newRunDir() {
  const root = path.join(cacheRoot, 'runs');
  mkdirSync(root, { recursive: true });
  pruneRunDirs(root, 'run-', 4);
  return mkdtempSync(path.join(root, 'run-'));
}

/** The reload suites: test/integration/reload/*.before.ts and *.after.ts. */
function reloadSuiteFiles() {
  const dir = path.join(repoRoot, 'test', 'integration', 'reload');
  return existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => /\.(before|after)\.ts$/.test(f))
        .map((f) => path.join(dir, f))
    : [];
}

/**
 * Whether the reload session runs: always without --grep; with it, when it matches a full title ("<describe>
 * <it>") of a reload suite (read from the sources: the suites cannot be loaded outside the extension host).
 */
function reloadSessionWanted() {
  const files = reloadSuiteFiles();
  if (files.length === 0) {
    return false;
  }
  if (!opt.grep) {
    return true;
  }
  const grep = new RegExp(opt.grep);
  return files.some((f) => {
    const text = readFileSync(f, 'utf8');
    const suites = [...text.matchAll(/describe\(\s*'([^']+)'/g)].map((m) => m[1]);
    const tests = [...text.matchAll(/\bit\(\s*'([^']+)'/g)].map((m) => m[1]);
    return suites.some((d) => grep.test(d) || tests.some((t) => grep.test(`${d} ${t}`)));
  });
}

/**
 * The reload session (see the header): its own workspace and sandbox, the reload entry in the offline host.
 * @returns {Promise<number>}
 */
async function reloadSession() {
  const entry = path.join(repoRoot, 'dist', 'test', 'integration', 'reload', 'index.js');
  if (!existsSync(entry)) {
    throw new Error(`${path.relative(repoRoot, entry)} is missing after the build`);
  }
  log('reload session: what must survive a true window reload (test/integration/reload/)');
  const host = await ensureCodeServer({ log: (line) => log(`[host-install] ${line}`) });
  const root = mkdtempSync(path.join(tmpdir(), 'desktopflows-reload-'));
  extraRoots.push(root);
  const folder = seedWorkspace(path.join(root, 'workspace'));
  // Sandbox time 10 times faster: Echo Text (20 s) takes 2 s.
  reloadSandbox = await startSandboxProcess({
    repoRoot,
    args: ['--speed', '10'],
    onLine: (line) => opt['show-log'] && console.log(`[reload sandbox] ${line}`),
  });
  const outcome = await runInCodeServer({
    host,
    extensionDevelopmentPath: repoRoot,
    extensionTestsPath: entry,
    workspace: folder,
    env: {
      ...hostEnv,
      DESKTOPFLOWS_TEST_SANDBOX_URL: reloadSandbox.url,
      DESKTOPFLOWS_TEST_RELOAD_STATE: path.join(root, 'reload-state.json'),
    },
    timeoutMs,
    runRoot: path.join(cacheRoot, 'runs'),
    showLog: opt['show-log'],
    quietUnload: true,
    signal: controller.signal,
    log,
  });
  log(
    `reload session: ${outcome.orphans.length === 0 ? 'no orphan processes' : `ORPHANS LEFT: ${outcome.orphans.join(' ')}`}`,
  );
  if (outcome.orphans.length > 0 && outcome.exitCode === 0) {
    outcome.exitCode = 1;
  }
  return finish(
    outcome.exitCode,
    outcome.results,
    `reload session logs: ${path.relative(repoRoot, outcome.runDir)}`,
  );
}
