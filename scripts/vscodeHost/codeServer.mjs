// @ts-check
// Starts the offline host (code-server) for one run: fresh user-data/extensions dirs and XDG dirs
// inside the run folder, 127.0.0.1 only, no auth, no gallery, no telemetry; builds the workbench
// URL whose `payload` carries the development extension and the test runner.
import { spawn } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import http from 'node:http';
import path from 'node:path';

/** @param {number} ms */
const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * @typedef {object} RunDir
 * @property {string} dir
 * @property {string} userData
 * @property {string} extensions
 * @property {string} chromeProfile
 * @property {string} config
 * @property {Record<string, string>} xdg   XDG_*_HOME pointing into the run dir
 */

/**
 * Creates a fresh run folder under `root` with user settings that keep the workbench quiet and
 * offline. XDG dirs are redirected so code-server (coder-logs), @vscode/deviceid and Chromium
 * never write into $HOME.
 * @param {string} root
 * @param {string} [prefix]
 * @returns {RunDir}
 */
export function createRunDir(root, prefix = 'run-') {
  mkdirSync(root, { recursive: true });
  const dir = mkdtempSync(path.join(root, prefix));
  const userData = path.join(dir, 'user-data');
  const extensions = path.join(dir, 'extensions');
  mkdirSync(path.join(userData, 'User'), { recursive: true });
  mkdirSync(extensions, { recursive: true });
  writeFileSync(
    path.join(userData, 'User', 'settings.json'),
    JSON.stringify(
      {
        'workbench.startupEditor': 'none',
        'workbench.tips.enabled': false,
        'workbench.enableExperiments': false,
        'telemetry.telemetryLevel': 'off',
        'update.mode': 'none',
        'extensions.autoCheckUpdates': false,
        'extensions.autoUpdate': false,
        'extensions.ignoreRecommendations': true,
        'security.workspace.trust.enabled': false,
        'git.enabled': false,
        'chat.commandCenter.enabled': false,
      },
      null,
      2,
    ),
  );
  const config = path.join(dir, 'config.yaml');
  writeFileSync(config, 'auth: none\n'); // keeps code-server away from ~/.config/code-server
  /** @type {Record<string, string>} */
  const xdg = {};
  for (const kind of ['CONFIG', 'DATA', 'CACHE', 'STATE']) {
    const p = path.join(dir, 'xdg', kind.toLowerCase());
    mkdirSync(p, { recursive: true });
    xdg[`XDG_${kind}_HOME`] = p;
  }
  return { dir, userData, extensions, chromeProfile: path.join(dir, 'chrome-profile'), config, xdg };
}

/**
 * Keeps the newest `keep` run folders under `root` (logs and profiles, for debugging); older ones
 * are deleted unless they are recent enough to belong to a run still going on elsewhere.
 * @param {string} root
 * @param {string} prefix
 * @param {number} keep
 */
export function pruneRunDirs(root, prefix, keep) {
  let entries;
  try {
    entries = readdirSync(root).filter((d) => d.startsWith(prefix));
  } catch {
    return; // nothing yet
  }
  const stale = Date.now() - 30 * 60_000;
  entries
    .map((d) => ({ dir: path.join(root, d), mtime: statSync(path.join(root, d)).mtimeMs }))
    .sort((a, b) => b.mtime - a.mtime)
    .slice(keep)
    .filter((r) => r.mtime < stale)
    .forEach((r) => rmSync(r.dir, { recursive: true, force: true }));
}

/**
 * The port code-server reports in its log: "HTTP server listening on http://127.0.0.1:<port>/".
 * @param {string} logFile
 * @returns {number | undefined}
 */
function listeningPort(logFile) {
  try {
    const match = /HTTP server listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(readFileSync(logFile, 'utf8'));
    return match?.[1] ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * @param {string} url
 * @returns {Promise<boolean>}
 */
function httpOk(url) {
  return new Promise((resolve) => {
    const req = http.get(url, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.setTimeout(2000, () => {
      req.destroy();
      resolve(false);
    });
  });
}

/**
 * @typedef {object} CodeServerProcess
 * @property {import('node:child_process').ChildProcess} child   process group leader
 * @property {number} port
 * @property {string} base        http://127.0.0.1:<port>
 * @property {string} logFile     code-server's stdout/stderr (includes the ext host's stdout)
 * @property {Promise<string>} exited  resolves with a description when code-server ends
 * @property {(p: string) => string} remoteUri   absolute server path -> vscode-remote:// URI
 * @property {(options: WorkbenchOptions) => string} workbenchUrl
 */

/**
 * @typedef {object} WorkbenchOptions
 * @property {string} folder                     workspace folder to open
 * @property {string[]} extensionDevelopmentPaths
 * @property {string} [extensionTestsPath]       module exporting run(); makes this a test run
 */

/**
 * Spawns code-server in its own process group and waits for /healthz.
 * @param {{ host: import('./installCodeServer.mjs').CodeServerHost, runDir: RunDir, env: NodeJS.ProcessEnv, port?: number, healthTimeoutMs?: number }} options
 * @returns {Promise<CodeServerProcess>}
 */
export async function startCodeServer(options) {
  const { host, runDir } = options;
  const logFile = path.join(runDir.dir, 'code-server.log');
  const logFd = openSync(logFile, 'a');
  const args = [
    host.entry,
    '--config',
    runDir.config,
    '--auth',
    'none',
    '--bind-addr',
    // Port 0 lets the kernel pick a free port atomically; picking one ourselves and passing it
    // races with every other process binding ports on the machine (seen: EADDRINUSE).
    `127.0.0.1:${options.port ?? 0}`,
    '--user-data-dir',
    runDir.userData,
    '--extensions-dir',
    runDir.extensions,
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
    '--ignore-last-opened',
  ];
  const env = {
    // An empty gallery serviceUrl disables the unreachable Open VSX marketplace (no DNS noise).
    EXTENSIONS_GALLERY: '{"serviceUrl":""}',
    ...options.env,
    ...runDir.xdg,
  };
  const child = spawn(host.node, args, { env, detached: true, stdio: ['ignore', logFd, logFd] });
  const exited = new Promise((resolve) => {
    child.on('error', (err) => resolve(`code-server could not start: ${err.message}`));
    child.on('exit', (code, sig) => resolve(`code-server exited (${code ?? sig})`));
  });
  let ended = /** @type {string | undefined} */ (undefined);
  void exited.then((d) => (ended = d));

  const deadline = Date.now() + (options.healthTimeoutMs ?? 60_000);
  let port = options.port;
  while (!port) {
    port = listeningPort(logFile);
    if (port) {
      break;
    }
    if (ended) {
      throw new Error(`${ended} before it was listening; see ${logFile}`);
    }
    if (Date.now() > deadline) {
      throw new Error(`code-server did not start listening within 60 s; see ${logFile}`);
    }
    await delay(100);
  }
  const base = `http://127.0.0.1:${port}`;
  while (!(await httpOk(`${base}/healthz`))) {
    if (ended) {
      throw new Error(`${ended} before it became healthy; see ${logFile}`);
    }
    if (Date.now() > deadline) {
      throw new Error(`code-server did not answer ${base}/healthz within 60 s; see ${logFile}`);
    }
    await delay(150);
  }

  const remoteUri = (/** @type {string} */ p) => `vscode-remote://127.0.0.1:${port}${path.resolve(p)}`;
  return {
    child,
    port,
    base,
    logFile,
    exited,
    remoteUri,
    workbenchUrl(wb) {
      /** @type {[string, string][]} */
      const payload = wb.extensionDevelopmentPaths.map((p) => ['extensionDevelopmentPath', remoteUri(p)]);
      if (wb.extensionTestsPath) {
        payload.push(['extensionTestsPath', remoteUri(wb.extensionTestsPath)]);
      }
      return `${base}/?folder=${encodeURIComponent(path.resolve(wb.folder))}&payload=${encodeURIComponent(
        JSON.stringify(payload),
      )}`;
    },
  };
}

/**
 * The extension host's own log files of a run (user-data/logs/<session>/exthost1/remoteexthost.log):
 * activation events, activation failures, runner load errors.
 * @param {string} userData
 * @returns {string[]}
 */
export function findExtensionHostLogs(userData) {
  /** @type {string[]} */
  const files = [];
  const walk = (/** @type {string} */ dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) {
        walk(p);
      } else if (/exthost\.log$/i.test(e.name)) {
        files.push(p);
      }
    }
  };
  try {
    walk(path.join(userData, 'logs'));
  } catch {
    // no logs yet
  }
  return files;
}
