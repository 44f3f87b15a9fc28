// @ts-check
// `npm start`: build, start the sandbox (a local fake Power Platform), and open VS Code with the
// extension in development mode, signed in to the sandbox through DESKTOPFLOWS_SANDBOX_URL.
// Desktop `code --extensionDevelopmentPath` when a `code` executable exists; otherwise the offline
// host (code-server on 127.0.0.1), whose workbench URL is printed for a browser. Ctrl+C stops
// every process this started and checks that none is left behind.
//
//   node scripts/start.mjs [--offline-host] [--no-sandbox] [--folder <dir>] [--port <n>]
//        [--smoke [--screenshot <file.png>] [--timeout <seconds>]]
//
// --smoke: start everything, load the workbench in headless Chromium, open the Desktop Flows view,
// wait (at most --timeout, default 180 s) until it lists the sandbox environments, then stop
// everything and exit 0 (1 if the view never listed them). A self-check in one process, handy with
// --screenshot. CI runs scripts/startSmoke.mjs instead, which runs `npm start` like a user, checks
// the view from its own browser and presses Ctrl+C from outside: a process cannot honestly test
// its own Ctrl+C.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  createRunDir,
  findExtensionHostLogs,
  pruneRunDirs,
  startCodeServer,
} from './vscodeHost/codeServer.mjs';
import {
  cacheRoot,
  codeServerInstalled,
  ensureCodeServer,
  repoRoot,
} from './vscodeHost/installCodeServer.mjs';
import {
  alive,
  descendants,
  listProcesses,
  processesWithEnv,
  stopProcessTrees,
} from './vscodeHost/processTree.mjs';
import { ensurePrerequisites } from './prerequisites.mjs';
import { startSandboxProcess } from './vscodeHost/sandboxProcess.mjs';
import { launchWorkbenchBrowser } from './vscodeHost/workbenchBrowser.mjs';
import {
  activationState,
  openViewContainer,
  sandboxEnvironmentNames,
  waitForSideBarTexts,
} from './vscodeHost/workbenchChecks.mjs';

const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)}s`;
const log = (/** @type {string} */ line) => console.log(`[start ${elapsed()}] ${line}`);

const { values: opt } = parseArgs({
  options: {
    'offline-host': { type: 'boolean', default: false },
    'no-sandbox': { type: 'boolean', default: false },
    folder: { type: 'string' },
    port: { type: 'string' },
    smoke: { type: 'boolean', default: false },
    screenshot: { type: 'string' },
    timeout: { type: 'string', default: '180' },
  },
  strict: true,
});

if (opt.smoke && opt['no-sandbox']) {
  console.error(
    '[start] --smoke checks that the view lists the sandbox environments; it cannot run with --no-sandbox',
  );
  process.exit(2);
}

const manifest = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8'));
const extensionId = `${manifest.publisher}.${manifest.name}`;

/** Root pids of everything we started; stopped (with their descendants) on exit. */
const roots = new Set();
/**
 * Every process seen in our trees while running (pid -> command line), so the shutdown can verify
 * that none survived, even one that was re-parented to init when its parent died.
 * @type {Map<number, string>}
 */
const seen = new Map();
const track = () => {
  for (const root of roots) {
    for (const pid of [root, ...descendants(root)]) {
      if (!seen.has(pid)) {
        seen.set(pid, cmdlineOf(pid));
      }
    }
  }
};
const tracker = setInterval(track, 1000);
/** Run folders of this session: any process whose command line names one is ours. */
const ownDirs = /** @type {string[]} */ ([]);

/**
 * Set in the environment of the sandbox and code-server, and so inherited by everything they start:
 * the shutdown finds by it even processes that left our trees between two looks (a double fork
 * re-parents to init within milliseconds). Not given to desktop VS Code, whose launcher may hand
 * the window to an instance that was already running, with the user's own terminals in it.
 */
const sessionMarker = { DESKTOPFLOWS_START_SESSION: randomBytes(8).toString('hex') };

/** @type {(() => Promise<void>)[]} */
const closers = [];
const stopRequested = new Promise((resolve) => {
  let count = 0;
  for (const sig of /** @type {const} */ (['SIGINT', 'SIGTERM', 'SIGHUP'])) {
    process.on(sig, () => {
      count += 1;
      if (count === 1) {
        console.log('');
        log(`${sig}: stopping everything`);
        resolve(sig);
      } else if (count > 2) {
        process.exit(130);
      }
    });
  }
});

let exitCode = 0;
try {
  exitCode = await main();
} catch (err) {
  console.error(`[start] ${err instanceof Error ? err.message : String(err)}`);
  exitCode = 1;
} finally {
  exitCode = (await shutdown()) || exitCode;
}
process.exit(exitCode);

/** @returns {Promise<number>} */
async function main() {
  const t = Date.now();
  const build = spawnSync(process.execPath, ['esbuild.mjs'], { cwd: repoRoot, stdio: 'inherit' });
  if (build.status !== 0) {
    throw new Error(`build failed (node esbuild.mjs exit ${build.status ?? build.signal})`);
  }
  log(`built dist/extension.js in ${((Date.now() - t) / 1000).toFixed(1)} s`);

  /** @type {Record<string, string>} */
  const env = {};
  if (!opt['no-sandbox']) {
    const sandbox = await startSandboxProcess({
      repoRoot,
      env: { ...process.env, ...sessionMarker },
      onLine: (line) => console.log(`[sandbox] ${line}`),
    });
    roots.add(sandbox.pid);
    closers.push(async () => void (await sandbox.stop()));
    env.DESKTOPFLOWS_SANDBOX_URL = sandbox.url;
    log(`sandbox listening on ${sandbox.url} (DESKTOPFLOWS_SANDBOX_URL)`);
  }
  const folder = prepareFolder();

  const code = opt['offline-host'] || opt.smoke ? undefined : findExecutable('code');
  if (code) {
    return await desktop(code, folder, env);
  }
  return await offline(folder, env);
}

/** The folder VS Code opens: --folder, or a persistent scratch workspace seeded from fixtures. */
function prepareFolder() {
  if (opt.folder) {
    const dir = path.resolve(opt.folder);
    if (!existsSync(dir)) {
      throw new Error(`--folder ${dir} does not exist`);
    }
    return dir;
  }
  const dir = path.join(cacheRoot, 'workspace');
  const fixtures = path.join(repoRoot, 'test', 'fixtures', 'workspace');
  if (!existsSync(dir)) {
    mkdirSync(dir, { recursive: true });
    if (existsSync(fixtures)) {
      cpSync(fixtures, dir, { recursive: true });
    }
  }
  return dir;
}

/**
 * @param {string} name
 * @returns {string | undefined}
 */
function findExecutable(name) {
  const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim() ? r.stdout.trim() : undefined;
}

/**
 * Desktop VS Code: a new window in extension development mode. `--wait` keeps the launcher alive
 * until that window closes, so closing the window ends `npm start` too.
 * @param {string} code
 * @param {string} folder
 * @param {Record<string, string>} env
 * @returns {Promise<number>}
 */
async function desktop(code, folder, env) {
  log(`opening desktop VS Code (${code}) with --extensionDevelopmentPath=${repoRoot}`);
  const child = spawn(code, ['--new-window', '--wait', `--extensionDevelopmentPath=${repoRoot}`, folder], {
    env: { ...process.env, ...env },
    detached: true,
    stdio: 'inherit',
  });
  if (child.pid) {
    roots.add(child.pid);
  }
  const exited = new Promise((resolve) => child.on('exit', (c, s) => resolve(`VS Code exited (${c ?? s})`)));
  log('close the Extension Development Host window or press Ctrl+C to stop');
  const why = await Promise.race([exited, stopRequested]);
  log(String(why));
  return 0;
}

/**
 * @param {string} folder
 * @param {Record<string, string>} env
 * @returns {Promise<number>}
 */
async function offline(folder, env) {
  // The smoke drives Chromium itself; a user's start needs only what compiles the host.
  if (
    !ensurePrerequisites({
      purpose: opt.smoke ? 'test' : 'start',
      hostInstalled: codeServerInstalled(),
      log: (line) => log(`[prerequisites] ${line}`),
    })
  ) {
    return 1;
  }
  const host = await ensureCodeServer({ log: (line) => log(`[host-install] ${line}`) });
  if (!host.searchAvailable) {
    log(
      'search is unavailable in this workbench: ripgrep (rg) is not installed (`sudo apt-get install ripgrep` adds it)',
    );
  }
  pruneRunDirs(path.join(cacheRoot, 'start'), 'session-', 2);
  const runDir = createRunDir(path.join(cacheRoot, 'start'), 'session-');
  ownDirs.push(runDir.dir);
  const server = await startCodeServer({
    host,
    runDir,
    env: { ...process.env, ...env, ...sessionMarker },
    port: opt.port ? Number(opt.port) : undefined,
  });
  if (server.child.pid) {
    roots.add(server.child.pid);
  }
  const url = server.workbenchUrl({ folder, extensionDevelopmentPaths: [repoRoot] });
  log(
    `code-server ${host.version} (VS Code ${host.vscodeVersion}) on ${server.base}; logs in ${path.relative(repoRoot, runDir.dir)}`,
  );
  if (opt.smoke) {
    return await smoke(runDir, url);
  }
  console.log(`\nOpen the workbench with the extension in development mode:\n\n  ${url}\n`);
  log('press Ctrl+C to stop code-server' + (opt['no-sandbox'] ? '' : ' and the sandbox'));
  const why = await Promise.race([server.exited, stopRequested]);
  if (typeof why === 'string' && why.startsWith('code-server')) {
    log(`${why}; see ${server.logFile}`);
    return 1;
  }
  return 0;
}

/**
 * Checks what a user of `npm start` sees: the Desktop Flows view lists the sandbox environments,
 * which needs the extension activated and signed in to the sandbox. Returns 0 when it does.
 * @param {import('./vscodeHost/codeServer.mjs').RunDir} runDir
 * @param {string} url
 * @returns {Promise<number>}
 */
async function smoke(runDir, url) {
  const workbench = await launchWorkbenchBrowser({
    profileDir: runDir.chromeProfile,
    env: { ...process.env, ...runDir.xdg },
  });
  closers.unshift(() => workbench.close());
  if (workbench.browserPid) {
    roots.add(workbench.browserPid);
  }
  await workbench.page.goto(url);
  await workbench.page.waitForSelector('.monaco-workbench', { timeout: 60_000 });
  log('smoke: workbench loaded');
  const title = manifest.contributes?.viewsContainers?.activitybar?.[0]?.title ?? 'Desktop Flows';
  await openViewContainer(workbench.page, title, 30_000);
  log(`smoke: opened the "${title}" view; waiting for it to list ${sandboxEnvironmentNames.join(', ')}`);
  const check = await waitForSideBarTexts(workbench.page, sandboxEnvironmentNames, {
    timeoutMs: Number(opt.timeout) * 1000,
    failFast: () =>
      activationState(runDir.userData, extensionId) === 'failed'
        ? `${extensionId} failed to activate; see ${findExtensionHostLogs(runDir.userData).join(', ')}`
        : undefined,
  });
  if (opt.screenshot) {
    await workbench.page.mouse.move(900, 600); // no hover tooltip over the activity bar
    await new Promise((r) => setTimeout(r, 1500)); // let the view render
    await workbench.page.screenshot({ path: path.resolve(opt.screenshot) });
    log(`smoke: screenshot saved to ${path.resolve(opt.screenshot)}`);
  }
  if (!check.ok) {
    throw new Error(
      `smoke: ${check.failure ?? `the view did not list ${check.missing.join(', ')} within ${opt.timeout} s`}; the side bar showed: ${check.sideBarText}`,
    );
  }
  log(`smoke: the view lists ${check.found.join(', ')}`);
  return 0;
}

/**
 * Stops everything we started and verifies nothing survived.
 * @returns {Promise<number>} 1 when processes were left over and had to be killed
 */
async function shutdown() {
  track();
  clearInterval(tracker);
  for (const close of closers) {
    await close().catch(() => undefined);
  }
  await stopProcessTrees([...roots]);
  // Verify: nothing we ever saw is still running (same pid and same command line, so a recycled
  // pid is not mistaken for ours), nothing runs from this session's folders, and nothing carries
  // this session's marker.
  const leftovers = new Set();
  for (const [pid, cmdline] of seen) {
    if (alive([pid]).length > 0 && cmdlineOf(pid) === cmdline) {
      leftovers.add(pid);
    }
  }
  for (const p of listProcesses()) {
    const cmdline = cmdlineOf(p.pid);
    if (p.pid !== process.pid && ownDirs.some((d) => cmdline.includes(d))) {
      leftovers.add(p.pid);
    }
  }
  for (const pid of processesWithEnv(
    'DESKTOPFLOWS_START_SESSION',
    sessionMarker.DESKTOPFLOWS_START_SESSION,
  )) {
    leftovers.add(pid);
  }
  if (leftovers.size > 0) {
    log(
      `WARNING: ${leftovers.size} process(es) still running after shutdown: ${[...leftovers].join(' ')}; killing them`,
    );
    await stopProcessTrees([...leftovers], { graceMs: 500 });
    return 1;
  }
  log(`stopped ${seen.size} process(es); no orphan processes remain`);
  return 0;
}

/**
 * @param {number} pid
 * @returns {string}
 */
function cmdlineOf(pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return '';
  }
}
