// @ts-check
// The `npm start` smoke test, the last step of `npm test`. It does what a user does and checks what
// they would see, from outside every process `npm start` starts:
//
//   1. runs `npm start -- --offline-host` in a process group of its own, as a terminal runs a
//      foreground job, with a marker variable in its environment that everything it starts inherits;
//   2. waits for the workbench URL it prints (127.0.0.1 only);
//   3. opens that URL in its own headless Chromium (the user's browser), opens the Desktop Flows view
//      and waits until the side bar lists the sandbox environments: the extension activated and
//      signed in to the sandbox by itself;
//   4. with that browser still connected, sends SIGINT to the whole process group, as Ctrl+C in a
//      terminal does, and waits for npm to exit;
//   5. reads the process table: no process that was ever in the tree of `npm start` and no process
//      carrying the marker (which also finds ones that double-forked to init or left the group,
//      e.g. code-server, its extension host and the sandbox, which run in process groups of their
//      own) may still run. Then it closes its browser and checks no Chromium process is left.
//
// Why a separate driver rather than `start.mjs --smoke`: a process cannot honestly test its own
// Ctrl+C (it would signal itself from inside and judge its own cleanup), and --smoke takes a code
// path users never take. This runs exactly the command users type, and start.mjs stays unaware of
// being tested.
//
//   node scripts/startSmoke.mjs [--timeout <seconds>] [--screenshot <file.png>]
//
// --timeout bounds the wait for the environments in the view (default 60 s). Exit 0 when all of it
// holds; 1 with what failed otherwise; 130 when interrupted (its own Ctrl+C still stops `npm start`).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { createRunDir, findExtensionHostLogs, pruneRunDirs } from './vscodeHost/codeServer.mjs';
import { cacheRoot, repoRoot } from './vscodeHost/installCodeServer.mjs';
import {
  alive,
  commandLine,
  descendants,
  processesMentioning,
  processesWithEnv,
  startTime,
  stopProcessTrees,
} from './vscodeHost/processTree.mjs';
import { launchWorkbenchBrowser } from './vscodeHost/workbenchBrowser.mjs';
import {
  activationState,
  openViewContainer,
  sandboxEnvironmentNames,
  waitForSideBarTexts,
} from './vscodeHost/workbenchChecks.mjs';

const started = Date.now();
const seconds = (/** @type {number} */ since = started) => ((Date.now() - since) / 1000).toFixed(1);
const log = (/** @type {string} */ line) => console.log(`[start-smoke ${seconds()}s] ${line}`);

const { values: opt } = parseArgs({
  options: {
    timeout: { type: 'string', default: '60' },
    screenshot: { type: 'string' },
  },
  strict: true,
});
const viewTimeoutMs = Number(opt.timeout) * 1000;
if (!(viewTimeoutMs > 0)) {
  console.error(`--timeout must be a number of seconds (got ${opt.timeout})`);
  process.exit(2);
}
/** Build, sandbox and code-server (a first run also installs code-server, ~30 s). */
const readyTimeoutMs = 150_000;
/** From SIGINT to npm's exit; start.mjs itself gives stubborn processes 3 s before SIGKILL. */
const exitTimeoutMs = 20_000;
const manifest = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8'));
const extensionId = `${manifest.publisher}.${manifest.name}`;
const viewTitle = manifest.contributes?.viewsContainers?.activitybar?.[0]?.title ?? 'Desktop Flows';
const markerName = 'DESKTOPFLOWS_START_SMOKE';
const marker = randomBytes(8).toString('hex');

/** What the run established, in the order it happened; printed as the summary. */
const checks = /** @type {{ ok: boolean, text: string }[]} */ ([]);
const check = (/** @type {boolean} */ ok, /** @type {string} */ text) => {
  checks.push({ ok, text });
  log(`${ok ? 'ok' : 'FAILED'}: ${text}`);
};

// Our own Ctrl+C (or CI's SIGTERM) must still stop `npm start`, which is in another process group.
const interrupt = new AbortController();
for (const sig of /** @type {const} */ (['SIGINT', 'SIGTERM'])) {
  process.on(sig, () => {
    if (interrupt.signal.aborted) {
      process.exit(130);
    }
    log(`${sig}: stopping`);
    interrupt.abort();
  });
}
const interrupted = new Promise((resolve) =>
  interrupt.signal.addEventListener('abort', () => resolve('interrupted'), { once: true }),
);

pruneRunDirs(path.join(cacheRoot, 'start-smoke'), 'run-', 2);
const runDir = createRunDir(path.join(cacheRoot, 'start-smoke'));

/** @type {NodeJS.ProcessEnv} */
const env = { ...process.env, [markerName]: marker };
// start.mjs sets it to the sandbox it starts; a value from the caller's shell must not leak in.
delete env.DESKTOPFLOWS_SANDBOX_URL;
log('running `npm start -- --offline-host` in its own process group');
const npm = spawn('npm', ['start', '--', '--offline-host'], {
  cwd: repoRoot,
  env,
  detached: true, // its own process group, like a terminal's foreground job
  stdio: ['ignore', 'pipe', 'pipe'],
});
const npmPid = /** @type {number} */ (npm.pid);
/** @type {Promise<string>} */
const npmExited = new Promise((resolve) => {
  npm.on('error', (e) => resolve(`could not run npm: ${e.message}`));
  npm.on('exit', (code, sig) => resolve(sig ? `signal ${sig}` : `exit code ${code}`));
});
/** Also its output streams: they close after exit, once the last line was read. */
const npmClosed = new Promise((resolve) => npm.on('close', resolve));
let npmEnded = /** @type {string | undefined} */ (undefined);
void npmExited.then((how) => (npmEnded = how));

/**
 * Every process seen in npm's tree: pid -> start time and command line. Polled, and the marker scan
 * at the end covers what lived between two polls.
 * @type {Map<number, { start: number | undefined, cmdline: string }>}
 */
const seen = new Map();
const track = () => {
  for (const pid of [npmPid, ...descendants(npmPid), ...processesWithEnv(markerName, marker)]) {
    if (!seen.has(pid)) {
      seen.set(pid, { start: startTime(pid), cmdline: commandLine(pid) });
    }
  }
};
const tracker = setInterval(track, 250);

/** @type {string | undefined} */
let workbenchUrl;
/** @type {string | undefined} */
let sessionDir;
/** start.mjs's own verdict on its shutdown, from its last line. */
let selfReport = /** @type {string | undefined} */ (undefined);
/** @type {(url: string) => void} */
let onUrl = () => undefined;
const urlPrinted = new Promise((resolve) => (onUrl = resolve));
const onLine = (/** @type {string} */ line, /** @type {string} */ stream) => {
  process.stdout.write(`  ${stream} | ${line}\n`);
  const url = /^\s+(http:\/\/127\.0\.0\.1:\d+\/\?\S+)\s*$/.exec(line)?.[1];
  if (url && !workbenchUrl) {
    workbenchUrl = url;
    onUrl(url);
  }
  const dir = /; logs in (\S+)\s*$/.exec(line)?.[1];
  if (dir) {
    sessionDir = path.resolve(repoRoot, dir);
  }
  if (/no orphan processes remain|still running after shutdown/.test(line)) {
    selfReport = line.replace(/^\[start [\d.]+s\] /, '');
  }
};
createInterface({ input: /** @type {import('node:stream').Readable} */ (npm.stdout) }).on('line', (l) =>
  onLine(l, 'npm start'),
);
createInterface({ input: /** @type {import('node:stream').Readable} */ (npm.stderr) }).on('line', (l) =>
  onLine(l, 'npm start (stderr)'),
);

/** @type {import('./vscodeHost/workbenchBrowser.mjs').Workbench | undefined} */
let workbench;
/** @type {Map<number, number | undefined>} Chromium's processes: pid -> start time */
const browserProcesses = new Map();
const timings = /** @type {Record<string, string>} */ ({});
let failed = false;

try {
  await exercise();
} catch (err) {
  failed = true;
  log(`FAILED: ${err instanceof Error ? err.message : String(err)}`);
}
await ctrlC();
await closeBrowser();
clearInterval(tracker);
summary();
process.exit(interrupt.signal.aborted ? 130 : failed || checks.some((c) => !c.ok) ? 1 : 0);

/** Steps 2 and 3: the URL, the workbench, the environments in the view. */
async function exercise() {
  const url = await Promise.race([
    urlPrinted,
    npmExited.then((how) => {
      throw new Error(`npm start ended (${how}) before printing the workbench URL`);
    }),
    interrupted,
    delay(readyTimeoutMs).then(() => {
      throw new Error(`npm start printed no workbench URL within ${readyTimeoutMs / 1000} s`);
    }),
  ]);
  if (url === 'interrupted') {
    return;
  }
  timings.ready = seconds();
  check(true, `npm start printed the workbench URL after ${timings.ready} s`);

  workbench = await launchWorkbenchBrowser({
    profileDir: runDir.chromeProfile,
    env: { ...process.env, ...runDir.xdg },
  });
  const browserPid = workbench.browserPid;
  if (browserPid) {
    browserProcesses.set(browserPid, startTime(browserPid));
  }
  const page = workbench.page;
  await page.goto(String(url));
  await page.waitForSelector('.monaco-workbench', { timeout: 60_000 });
  timings.workbench = seconds();
  check(true, `the workbench loaded from that URL after ${timings.workbench} s`);

  await openViewContainer(page, viewTitle, 30_000);
  const userData = sessionDir ? path.join(sessionDir, 'user-data') : undefined;
  const result = await waitForSideBarTexts(page, sandboxEnvironmentNames, {
    timeoutMs: viewTimeoutMs,
    signal: interrupt.signal,
    failFast: () => {
      if (npmEnded) {
        return `npm start ended (${npmEnded}) while we waited`;
      }
      if (userData && activationState(userData, extensionId) === 'failed') {
        return `${extensionId} failed to activate; see ${findExtensionHostLogs(userData).join(', ')}`;
      }
      return undefined;
    },
  });
  timings.listed = seconds();
  if (opt.screenshot) {
    await page.mouse.move(900, 600); // no hover tooltip over the activity bar
    await delay(1000);
    await page.screenshot({ path: path.resolve(opt.screenshot) });
    log(`screenshot saved to ${path.resolve(opt.screenshot)}`);
  }
  if (result.failure === 'interrupted') {
    return;
  }
  check(
    result.ok,
    result.ok
      ? `the ${viewTitle} view lists ${result.found.join(', ')} after ${timings.listed} s`
      : `the ${viewTitle} view did not list ${result.missing.join(', ')} ` +
          `(${result.failure ?? `waited ${opt.timeout} s`}); the side bar showed: ${result.sideBarText}`,
  );
}

/** Steps 4 and 5: Ctrl+C to the process group, then the process table. */
async function ctrlC() {
  track();
  if (!npmEnded) {
    const sentAt = Date.now();
    log(`sending SIGINT to process group ${npmPid} (what Ctrl+C in a terminal does)`);
    try {
      process.kill(-npmPid, 'SIGINT');
    } catch {
      // the group is already gone
    }
    const how = await Promise.race([npmExited, delay(exitTimeoutMs).then(() => undefined)]);
    check(
      how !== undefined,
      how === undefined
        ? `npm start did not exit within ${exitTimeoutMs / 1000} s of SIGINT`
        : `npm start exited ${seconds(sentAt)} s after SIGINT (${how})`,
    );
  } else {
    check(false, `npm start ended by itself (${npmEnded}) before Ctrl+C`);
  }
  // The last lines of its output (start.mjs's own shutdown verdict) may trail npm's exit slightly.
  await Promise.race([npmClosed, delay(2000)]);
  if (selfReport) {
    check(!/still running/.test(selfReport), `start.mjs reported: ${selfReport}`);
  } else {
    check(false, 'start.mjs printed no shutdown report ("stopped N process(es); …")');
  }

  // Right at npm's exit, as the user's prompt comes back: nothing it started may still run.
  const survivors = new Set(processesWithEnv(markerName, marker));
  for (const [pid, p] of seen) {
    if (p.start !== undefined && startTime(pid) === p.start) {
      survivors.add(pid);
    }
  }
  const kinds = countKinds([...seen.values()].map((p) => p.cmdline));
  if (survivors.size === 0) {
    check(true, `no process of npm start is left: ${seen.size} seen (${kinds}), 0 running after exit`);
    return;
  }
  check(
    false,
    `${survivors.size} process(es) of npm start still running after it exited:\n` +
      [...survivors]
        .map((pid) => `      ${pid} ${kindOf(commandLine(pid))}: ${commandLine(pid).slice(0, 200)}`)
        .join('\n'),
  );
  const left = await stopProcessTrees([...survivors], { graceMs: 1000 });
  log(`stopped them${left.length > 0 ? `; still alive even after SIGKILL: ${left.join(' ')}` : ''}`);
}

/** Closes the smoke's own browser and checks that no Chromium process is left. */
async function closeBrowser() {
  if (!workbench) {
    return;
  }
  // Chromium's renderer, GPU and utility processes, to check after closing that none is left.
  for (const root of [...browserProcesses.keys()]) {
    for (const pid of descendants(root)) {
      browserProcesses.set(pid, startTime(pid));
    }
  }
  await workbench.close();
  const deadline = Date.now() + 5000;
  /** @returns {number[]} */
  const left = () => [
    ...new Set([
      ...[...browserProcesses]
        .filter(([pid, start]) => startTime(pid) === start && start !== undefined)
        .map(([pid]) => pid),
      ...processesMentioning(runDir.chromeProfile),
    ]),
  ];
  while (left().length > 0 && Date.now() < deadline) {
    await delay(100);
  }
  const stray = alive(left());
  check(
    stray.length === 0,
    stray.length === 0
      ? `the smoke's own Chromium closed: ${browserProcesses.size} process(es), 0 left`
      : `${stray.length} Chromium process(es) left after closing the browser: ${stray.join(' ')}`,
  );
  if (stray.length > 0) {
    await stopProcessTrees(stray, { graceMs: 1000 });
  }
}

function summary() {
  const ok = !interrupt.signal.aborted && !failed && checks.every((c) => c.ok);
  console.log(
    `\nnpm start smoke: ${interrupt.signal.aborted ? 'INTERRUPTED' : ok ? 'PASSED' : 'FAILED'} in ${seconds()} s`,
  );
  for (const c of checks) {
    console.log(`  ${c.ok ? '✔' : '✘'} ${c.text}`);
  }
  if (!ok) {
    console.log(`  logs: ${sessionDir ?? '(npm start printed no session folder)'}`);
  }
}

/**
 * A short name for a process, for the report.
 * @param {string} cmdline
 * @returns {string}
 */
function kindOf(cmdline) {
  if (!cmdline) {
    return 'short-lived'; // gone (or between fork and exec) when we looked
  }
  /** @type {[RegExp, string][]} */
  const kinds = [
    [/^(\/bin\/)?sh /, 'sh'],
    [/scripts\/start\.mjs/, 'start.mjs'],
    [/esbuild/, 'build'],
    [/src\/sandbox\/main\.ts/, 'sandbox'],
    [/--type=extensionHost/, 'extension host'],
    [/--type=ptyHost/, 'pty host'],
    [/--type=fileWatcher/, 'file watcher'],
    [/ServerMain|languageserver|language-features/i, 'language server'],
    [/code-server/, 'code-server'],
    [/chrom/i, 'chromium'],
    [/(^|\/)npm(-cli\.js)?( |$)/, 'npm'],
  ];
  return kinds.find(([re]) => re.test(cmdline))?.[1] ?? (path.basename(cmdline.split(' ')[0] ?? '') || '?');
}

/**
 * "npm 1, sh 1, start.mjs 1, …" in order of first appearance.
 * @param {string[]} cmdlines
 * @returns {string}
 */
function countKinds(cmdlines) {
  const counts = new Map();
  for (const c of cmdlines) {
    const k = kindOf(c);
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return [...counts].map(([k, n]) => `${k} ${n}`).join(', ');
}

/** @param {number} ms */
function delay(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
