// @ts-check
// The desktop route: a real VS Code (Electron) through @vscode/test-electron's runTests, used when
// VSCODE_EXECUTABLE names one or when a VS Code build can actually be downloaded. On machines
// without internet the download host does not resolve, which we detect in a few seconds instead of
// letting a download hang.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { descendants, stopProcessTrees } from './processTree.mjs';

/** Desktop VS Code version matching the offline host (engines.vscode ^1.100.0). */
export const desktopVersion = '1.100.3';

/**
 * @typedef {{ available: true, executable?: string, how: string } | { available: false, reason: string }} DesktopAvailability
 */

/**
 * Decides quickly whether a desktop VS Code can run here: VSCODE_EXECUTABLE, a previous download in
 * .vscode-test/, or a reachable update server (3 s) — and a display for Electron.
 * @param {{ cacheRoot: string, probeTimeoutMs?: number }} options
 * @returns {Promise<DesktopAvailability>}
 */
export async function desktopAvailability(options) {
  const fromEnv = process.env.VSCODE_EXECUTABLE;
  if (fromEnv) {
    return existsSync(fromEnv)
      ? { available: true, executable: fromEnv, how: `VSCODE_EXECUTABLE=${fromEnv}` }
      : { available: false, reason: `VSCODE_EXECUTABLE=${fromEnv} does not exist` };
  }
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
    return {
      available: false,
      reason: 'no display for a desktop (Electron) VS Code: DISPLAY is unset (run under xvfb-run to use one)',
    };
  }
  const cached = path.join(options.cacheRoot, `vscode-${process.platform}-${process.arch}-${desktopVersion}`);
  if (existsSync(cached)) {
    return { available: true, how: `cached download ${path.relative(process.cwd(), cached)}` };
  }
  try {
    const res = await fetch('https://update.code.visualstudio.com/api/releases/stable', {
      signal: AbortSignal.timeout(options.probeTimeoutMs ?? 3000),
    });
    await res.body?.cancel();
    if (!res.ok) {
      return { available: false, reason: `update.code.visualstudio.com answered HTTP ${res.status}` };
    }
    return {
      available: true,
      how: `download of VS Code ${desktopVersion} from update.code.visualstudio.com`,
    };
  } catch (err) {
    const cause = err instanceof Error && err.cause instanceof Error ? err.cause.message : String(err);
    return {
      available: false,
      reason: `cannot reach update.code.visualstudio.com to download VS Code (${cause})`,
    };
  }
}

/**
 * @typedef {object} DesktopRunOptions
 * @property {string} [executable]
 * @property {string} cacheRoot
 * @property {string} extensionDevelopmentPath
 * @property {string} extensionTestsPath
 * @property {string} workspace
 * @property {string} userDataDir
 * @property {Record<string, string>} env   extensionTestsEnv
 * @property {number} timeoutMs
 * @property {AbortSignal} [signal]
 * @property {number[]} [keepPids]   our other children (e.g. the sandbox) not to stop on timeout
 * @property {(line: string) => void} log
 */

/**
 * Runs the tests in desktop VS Code; resolves with the exit code (0 passed, 1 failed, 124 timeout).
 * @param {DesktopRunOptions} options
 * @returns {Promise<number>}
 */
export async function runInDesktop(options) {
  const { downloadAndUnzipVSCode, runTests } = await import('@vscode/test-electron');
  let executable = options.executable;
  if (!executable) {
    options.log(`downloading VS Code ${desktopVersion} (idle timeout 15 s)`);
    executable = await downloadAndUnzipVSCode({
      version: desktopVersion,
      cachePath: options.cacheRoot,
      timeout: 15_000,
    });
  }
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  const run = runTests({
    vscodeExecutablePath: executable,
    extensionDevelopmentPath: options.extensionDevelopmentPath,
    extensionTestsPath: options.extensionTestsPath,
    extensionTestsEnv: options.env,
    launchArgs: [
      options.workspace,
      '--disable-extensions',
      '--skip-welcome',
      '--skip-release-notes',
      `--user-data-dir=${options.userDataDir}`,
    ],
  }).then(
    () => 0,
    (err) => {
      options.log(`desktop VS Code run failed: ${err instanceof Error ? err.message : String(err)}`);
      return 1;
    },
  );
  const outcome = await Promise.race([
    run,
    new Promise((resolve) => {
      timer = setTimeout(() => resolve('timeout'), options.timeoutMs);
    }),
    new Promise((resolve) =>
      options.signal?.addEventListener('abort', () => resolve('interrupted'), { once: true }),
    ),
  ]);
  clearTimeout(timer);
  if (typeof outcome === 'number') {
    return outcome;
  }
  // runTests does not expose its child: stop every descendant of ours except the ones we keep.
  const keep = new Set(options.keepPids ?? []);
  for (const pid of options.keepPids ?? []) {
    for (const d of descendants(pid)) {
      keep.add(d);
    }
  }
  const victims = descendants(process.pid).filter((p) => !keep.has(p));
  await stopProcessTrees(victims);
  if (outcome === 'timeout') {
    options.log(`TIMEOUT: desktop VS Code did not finish within ${Math.round(options.timeoutMs / 1000)} s`);
    return 124;
  }
  return 130;
}
