// @ts-check
// One run of a test module (or the screenshot driver) inside code-server's real Node extension host:
// fresh run folder, code-server on 127.0.0.1, headless Chromium opening the workbench with the
// development extension and the tests in the URL payload, mocha output streamed live from a file
// the runner appends to, exit code from window.codeAutomationExit, whole process trees stopped at
// the end (also on timeout and on SIGINT/SIGTERM via `signal`).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createRunDir, findExtensionHostLogs, startCodeServer } from './codeServer.mjs';
import { alive, processesMentioning, stopProcessTrees, treePssKiB } from './processTree.mjs';
import { FileTail, readResults } from './testOutput.mjs';
import { startUiProbe } from './uiProbe.mjs';
import { launchWorkbenchBrowser } from './workbenchBrowser.mjs';

/**
 * @typedef {object} RunOptions
 * @property {import('./installCodeServer.mjs').CodeServerHost} host
 * @property {string} extensionDevelopmentPath
 * @property {string} extensionTestsPath   module exporting run()
 * @property {string} workspace
 * @property {Record<string, string>} env   reaches the extension host (it inherits code-server's env)
 * @property {number} timeoutMs
 * @property {string} runRoot
 * @property {boolean} [showLog]   print every workbench/extension-host log line, not only errors
 * @property {boolean} [expectResults]  false for modules that are not the mocha bootstrap (screenshots)
 * @property {boolean} [quietUnload]  the tests reload the window: the workbench's own errors while its page
 *   unloads (web lifecycle, closed IndexedDB, disposed throttlers) are not reported
 * @property {AbortSignal} [signal]  abort = stop everything now (Ctrl+C)
 * @property {(line: string) => void} log
 */

/**
 * @typedef {object} RunOutcome
 * @property {number} exitCode   0 passed, 1 failed / runner error, 124 timeout, 130 interrupted
 * @property {import('./testOutput.mjs').TestResults | undefined} results
 * @property {string} runDir
 * @property {Record<string, number>} timings   seconds since start
 * @property {{ codeServerMiB: number, chromiumMiB: number }} peakMemory
 * @property {number[]} orphans   pids still alive after cleanup (should be empty)
 */

/** @param {unknown} v */
const msg = (v) => (v instanceof Error ? v.message : String(v));

/**
 * @param {RunOptions} options
 * @returns {Promise<RunOutcome>}
 */
export async function runInCodeServer(options) {
  const started = Date.now();
  const since = () => Math.round((Date.now() - started) / 100) / 10;
  /** @type {Record<string, number>} */
  const timings = {};
  const runDir = createRunDir(options.runRoot);
  const outputFile = path.join(runDir.dir, 'test-output.log');
  const resultsFile = path.join(runDir.dir, 'results.json');

  /** @type {import('./workbenchBrowser.mjs').Workbench | undefined} */
  let workbench;
  /** @type {import('./codeServer.mjs').CodeServerProcess | undefined} */
  let server;
  const probe = await startUiProbe({
    page: () => workbench?.page,
    screenshotDir: runDir.dir,
    onScreenshot: (file) => options.log(`screenshot saved to ${file}`),
  });
  const tail = new FileTail(outputFile, (text) => process.stdout.write(text));
  const peak = { codeServerMiB: 0, chromiumMiB: 0 };
  const sampler = setInterval(() => {
    if (server?.child.pid) {
      peak.codeServerMiB = Math.max(peak.codeServerMiB, Math.round(treePssKiB(server.child.pid) / 1024));
    }
    if (workbench?.browserPid) {
      peak.chromiumMiB = Math.max(peak.chromiumMiB, Math.round(treePssKiB(workbench.browserPid) / 1024));
    }
  }, 500);

  let exitCode = 1;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  try {
    const env = {
      ...process.env,
      ...options.env,
      DESKTOPFLOWS_TEST_OUTPUT: outputFile,
      DESKTOPFLOWS_TEST_RESULTS: resultsFile,
      DESKTOPFLOWS_TEST_UI_URL: probe.url,
    };
    server = await startCodeServer({ host: options.host, runDir, env });
    timings.serverHealthy = since();
    options.log(
      `code-server ${options.host.version} (pid ${server.child.pid}) healthy on ${server.base} after ${timings.serverHealthy}s; run dir ${runDir.dir}`,
    );

    const showLog = options.showLog ?? false;
    workbench = await launchWorkbenchBrowser({
      profileDir: runDir.chromeProfile,
      env: { ...process.env, ...runDir.xdg },
      onLog: (type, args) => {
        const first = typeof args[0] === 'string' ? args[0] : '';
        // The gallery is disabled on purpose, so its lookups are noise; and the runner's own
        // "N integration test(s) failed" rejection is already in mocha's summary.
        const noise = /open-vsx\.org|ENOTFOUND|ERR_NAME_NOT_RESOLVED|vsda|integration test\(s\) failed/.test(
          first,
        );
        const unload =
          options.quietUnload === true &&
          /Long running operations during shutdown are unsupported in the web|IndexedDB database '[^']+' is closed|Throttler is disposed|reading 'extensionHost'/.test(
            first,
          );
        if (showLog || (type === 'error' && !noise && !unload)) {
          process.stderr.write(
            `[host ${type}] ${args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ')}\n`,
          );
        }
      },
      onPageError: (m) => showLog && process.stderr.write(`[page error] ${m}\n`),
    });
    const url = server.workbenchUrl({
      folder: options.workspace,
      extensionDevelopmentPaths: [options.extensionDevelopmentPath],
      extensionTestsPath: options.extensionTestsPath,
    });
    await workbench.page.goto(url);
    await workbench.page.waitForSelector('.monaco-workbench', { timeout: 60_000 });
    timings.workbench = since();
    options.log(`workbench loaded after ${timings.workbench}s; extension host is running the tests`);
    tail.start();

    /** @type {Promise<number | string>} */
    const aborted = new Promise((resolve) => {
      if (options.signal?.aborted) {
        resolve('interrupted');
      }
      options.signal?.addEventListener('abort', () => resolve('interrupted'), { once: true });
    });
    const outcome = await Promise.race([
      workbench.automationExit,
      server.exited,
      aborted,
      new Promise((resolve) => {
        timer = setTimeout(
          () => resolve('timeout'),
          Math.max(1000, options.timeoutMs - (Date.now() - started)),
        );
      }),
    ]);
    timings.finished = since();
    if (typeof outcome === 'number') {
      exitCode = outcome;
    } else if (outcome === 'timeout') {
      options.log(`TIMEOUT: the tests did not finish within ${Math.round(options.timeoutMs / 1000)} s`);
      exitCode = 124;
    } else if (outcome === 'interrupted') {
      options.log('interrupted; stopping code-server and Chromium');
      exitCode = 130;
    } else {
      options.log(`${outcome} while the tests were running; see ${server.logFile}`);
      exitCode = 1;
    }
  } catch (err) {
    options.log(`host error: ${msg(err)}`);
    exitCode = 1;
  } finally {
    clearTimeout(timer);
    clearInterval(sampler);
    tail.stop();
    await workbench?.close();
    await probe.close();
  }
  // Everything of this run: both trees, plus strays that name the run folder (crashpad).
  const roots = [server?.child.pid, workbench?.browserPid, ...processesMentioning(runDir.dir)].filter(
    /** @returns {p is number} */ (p) => typeof p === 'number',
  );
  const orphans = await stopProcessTrees(roots, {
    onHardKill: (pids) =>
      options.log(`had to SIGKILL ${pids.length} process(es) that ignored SIGTERM: ${pids.join(' ')}`),
  });
  const leftovers = [...new Set([...orphans, ...processesMentioning(runDir.dir)])];
  timings.stopped = since();

  const results = readResults(resultsFile);
  if (!results && exitCode !== 130 && options.expectResults !== false) {
    options.log('the test runner wrote no results: it did not load or crashed. Extension host log (tail):');
    process.stderr.write(extHostLogTail(runDir.userData, server?.logFile));
    if (exitCode === 0) {
      exitCode = 1; // never report green without results
    }
  }
  if (results && results.failed > 0 && exitCode === 0) {
    exitCode = 1;
  }
  return { exitCode, results, runDir: runDir.dir, timings, peakMemory: peak, orphans: alive(leftovers) };
}

/**
 * The last lines of the extension host's own log (activation errors, runner load failures) and
 * of code-server's log.
 * @param {string} userData
 * @param {string | undefined} serverLog
 * @returns {string}
 */
export function extHostLogTail(userData, serverLog) {
  const out = [];
  const files = findExtensionHostLogs(userData);
  for (const f of [...files, ...(serverLog ? [serverLog] : [])]) {
    try {
      const lines = readFileSync(f, 'utf8').trimEnd().split('\n').slice(-25);
      out.push(`--- ${f} ---`, ...lines);
    } catch {
      // unreadable
    }
  }
  return out.length > 0 ? `${out.join('\n')}\n` : '(no extension host log found)\n';
}
