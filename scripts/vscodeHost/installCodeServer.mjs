// @ts-check
// Installs the offline VS Code host: code-server from the npm registry into the repo's git-ignored
// .vscode-test/ folder, with its native modules compiled locally against local Node headers.
// Nothing is downloaded from anywhere but the npm registry (the OS packages it needs come from
// scripts/prerequisites.mjs: Debian's apt).
//
//   node scripts/vscodeHost/installCodeServer.mjs [--force]
//
// Why not a plain `npm install code-server`: its postinstall refuses to run as root without the
// removed `--unsafe-perm`, and @vscode/ripgrep's postinstall downloads `rg` from GitHub. So we
// install with --ignore-scripts and replay the postinstall steps ourselves (see
// docs in /work/shared/reference/offline-vscode-host.md §4 for the experiment behind this).
import { spawn, spawnSync } from 'node:child_process';
import {
  closeSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
  lstatSync,
  chmodSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { which } from '../prerequisites.mjs';

/** The host version the project tests against (VS Code 1.100.3, runs on Node 20). */
export const codeServerVersion = '4.100.3';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const cacheRoot = path.join(repoRoot, '.vscode-test');

const markerName = '.desktopflows-host.json';

/**
 * @typedef {object} CodeServerHost
 * @property {string} version   code-server version
 * @property {string} vscodeVersion  VS Code version bundled in it
 * @property {string} entry     absolute path of out/node/entry.js
 * @property {string} node      Node binary that runs it (the one its native modules were built for)
 * @property {string} dir       install folder
 * @property {boolean} searchAvailable  false when ripgrep is missing: the workbench opens, search does not work
 */

/** @param {number} ms */
const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * @param {string} dir
 * @returns {string}
 */
function entryOf(dir) {
  return path.join(dir, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
}

/**
 * @param {string} dir
 * @param {string} version
 * @returns {CodeServerHost | undefined}
 */
function readMarker(dir, version) {
  try {
    const marker = JSON.parse(readFileSync(path.join(dir, markerName), 'utf8'));
    // Native modules are ABI-bound to the Node major they were compiled for.
    const sameNode = marker.nodeAbi === process.versions.modules;
    if (marker.version === version && sameNode && existsSync(entryOf(dir))) {
      return {
        version,
        vscodeVersion: String(marker.vscodeVersion),
        entry: entryOf(dir),
        node: process.execPath,
        dir,
        searchAvailable: linkRipgrep(dir),
      };
    }
  } catch {
    // no marker or unreadable: the install is missing or incomplete
  }
  return undefined;
}

/**
 * Node headers for node-gyp without downloading them from nodejs.org: the official tarball layout
 * (<prefix>/include/node next to bin/node) or Debian's /usr/include/node, whichever matches the
 * running Node exactly.
 * @returns {string}
 */
function findNodeHeaders() {
  const candidates = [path.resolve(path.dirname(process.execPath), '..'), '/usr', '/usr/local'];
  if (process.env.npm_config_nodedir) {
    candidates.unshift(process.env.npm_config_nodedir);
  }
  const [major, minor, patch] = process.versions.node.split('.');
  for (const dir of candidates) {
    try {
      const header = readFileSync(path.join(dir, 'include', 'node', 'node_version.h'), 'utf8');
      const get = (/** @type {string} */ name) =>
        new RegExp(`#define NODE_${name}_VERSION (\\d+)`).exec(header)?.[1];
      if (get('MAJOR') === major && get('MINOR') === minor && get('PATCH') === patch) {
        return dir;
      }
    } catch {
      // not there
    }
  }
  throw new Error(
    `No Node ${process.version} headers found (looked for include/node/node_version.h under ` +
      `${candidates.join(', ')}). code-server's native modules must be compiled against the running ` +
      `Node, and headers are not downloaded from nodejs.org here. Use an official Node tarball ` +
      `(it ships include/node) or set npm_config_nodedir to a folder holding include/node.`,
  );
}

/**
 * ripgrep powers VS Code's text and file search inside the host; @vscode/ripgrep would fetch it from
 * GitHub, so we take the system's (scripts/prerequisites.mjs installs Debian's `ripgrep`). Without it
 * the host still starts; only search is unavailable.
 * @returns {string | undefined} path of rg
 */
function findRipgrep() {
  return which('rg', process.env.PATH ?? '');
}

/**
 * Puts the system's rg where VS Code looks for it (once it exists), so search works in the host.
 * @param {string} dir  install folder
 * @returns {boolean} true when search is available
 */
function linkRipgrep(dir) {
  const rgDir = path.join(
    entryOf(dir),
    '..',
    '..',
    '..',
    'lib',
    'vscode',
    'node_modules',
    '@vscode',
    'ripgrep',
  );
  const target = path.join(rgDir, 'bin', 'rg');
  if (existsSync(target)) {
    return true;
  }
  const rg = findRipgrep();
  if (rg === undefined || !existsSync(rgDir)) {
    return false;
  }
  mkdirSync(path.dirname(target), { recursive: true });
  copyFileSync(rg, target);
  chmodSync(target, 0o755);
  return true;
}

/**
 * Runs a command with its output appended to the install log; rejects with the log's tail.
 * @param {string} cmd
 * @param {string[]} args
 * @param {{ cwd: string, env: NodeJS.ProcessEnv, logFile: string }} options
 * @returns {Promise<void>}
 */
function run(cmd, args, options) {
  return new Promise((resolve, reject) => {
    const fd = openSync(options.logFile, 'a');
    writeFileSync(fd, `\n$ (cd ${options.cwd} && ${cmd} ${args.join(' ')})\n`);
    const child = spawn(cmd, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', fd, fd] });
    child.on('error', (err) => {
      closeSync(fd);
      reject(err);
    });
    child.on('exit', (code, sig) => {
      closeSync(fd);
      if (code === 0) {
        resolve();
        return;
      }
      const tail = readFileSync(options.logFile, 'utf8').split('\n').slice(-40).join('\n');
      reject(
        new Error(
          `${cmd} ${args.join(' ')} failed (exit ${code ?? sig}) in ${options.cwd}; ` +
            `last lines of ${options.logFile}:\n${tail}`,
        ),
      );
    });
  });
}

/**
 * Serialises installs between concurrent runs in the same checkout (several engineers may run
 * `npm test` at once): a lock directory holding the owner's pid; stale locks are taken over.
 * @param {string} lockDir
 * @param {(line: string) => void} log
 * @returns {Promise<() => void>} release
 */
async function acquireLock(lockDir, log) {
  let announced = false;
  for (;;) {
    try {
      mkdirSync(lockDir);
      writeFileSync(path.join(lockDir, 'pid'), String(process.pid));
      return () => rmSync(lockDir, { recursive: true, force: true });
    } catch (err) {
      if (/** @type {NodeJS.ErrnoException} */ (err).code !== 'EEXIST') {
        throw err;
      }
    }
    let owner = NaN;
    try {
      owner = Number(readFileSync(path.join(lockDir, 'pid'), 'utf8'));
    } catch {
      // the owner is between mkdir and writing its pid, or just released
    }
    let ownerAlive = true;
    if (Number.isInteger(owner) && owner > 0) {
      try {
        process.kill(owner, 0);
      } catch {
        ownerAlive = false;
      }
    }
    if (!ownerAlive) {
      rmSync(lockDir, { recursive: true, force: true });
      continue;
    }
    if (!announced) {
      log(`another process (pid ${owner}) is installing the host; waiting for it`);
      announced = true;
    }
    await delay(500);
  }
}

/**
 * True when code-server `version` is installed and complete for the running Node (nothing to compile).
 * @param {string} [version]
 * @returns {boolean}
 */
export function codeServerInstalled(version = codeServerVersion) {
  return readMarker(path.join(cacheRoot, `code-server-${version}`), version) !== undefined;
}

/**
 * Makes sure code-server `version` is installed and complete under .vscode-test/, installing it
 * when the marker file is missing or names another version/Node ABI (an interrupted install is
 * wiped and redone). Returns how to run it.
 * @param {{ version?: string, force?: boolean, log?: (line: string) => void }} [options]
 * @returns {Promise<CodeServerHost>}
 */
export async function ensureCodeServer(options = {}) {
  const version = options.version ?? codeServerVersion;
  const log = options.log ?? ((line) => console.log(`[host-install] ${line}`));
  const dir = path.join(cacheRoot, `code-server-${version}`);
  if (!options.force) {
    const ready = readMarker(dir, version);
    if (ready) {
      return ready;
    }
  }
  mkdirSync(cacheRoot, { recursive: true });
  const release = await acquireLock(`${dir}.lock`, log);
  try {
    if (!options.force) {
      const ready = readMarker(dir, version); // someone else finished it while we waited
      if (ready) {
        return ready;
      }
    }
    return await install(dir, version, log);
  } finally {
    release();
  }
}

/**
 * @param {string} dir
 * @param {string} version
 * @param {(line: string) => void} log
 * @returns {Promise<CodeServerHost>}
 */
async function install(dir, version, log) {
  const started = Date.now();
  const step = (/** @type {string} */ what) => log(`${((Date.now() - started) / 1000).toFixed(1)}s ${what}`);
  const nodedir = findNodeHeaders();
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const logFile = path.join(cacheRoot, `code-server-${version}.install.log`);
  writeFileSync(
    logFile,
    `install of code-server ${version} with node ${process.version}, nodedir ${nodedir}\n`,
  );
  log(
    `installing code-server ${version} into ${path.relative(repoRoot, dir)} (log: ${path.relative(repoRoot, logFile)})`,
  );

  const env = {
    ...process.env,
    // node-pty's install script runs `npx node-gyp …`; ~/.npmrc may say yes=false ("npx canceled").
    npm_config_yes: 'true',
    npm_config_fund: 'false',
    npm_config_audit: 'false',
    npm_config_update_notifier: 'false',
    npm_config_nodedir: nodedir,
    // node-gyp: compile each native module with all cores.
    JOBS: 'max',
    // Scripts (node-gyp) must build with the same Node that will run code-server.
    PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ''}`,
  };
  const npm = 'npm';
  const o = { env, logFile };

  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'code-server-host', private: true }));
  step(`npm install code-server@${version} (registry download)`);
  await run(npm, ['install', `code-server@${version}`, '--ignore-scripts', '--no-audit', '--no-fund'], {
    ...o,
    cwd: dir,
  });
  step('building argon2');
  await run(npm, ['rebuild', 'argon2'], { ...o, cwd: dir });

  const cs = path.join(dir, 'node_modules', 'code-server');
  const vscodeDir = path.join(cs, 'lib', 'vscode');
  step('npm install (lib/vscode production dependencies)');
  await run(npm, ['install', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund'], {
    ...o,
    cwd: vscodeDir,
  });

  const natives = nativeModules(vscodeDir);
  step(`building native modules: ${natives.join(' ')}`);
  await run(npm, ['rebuild', ...natives], { ...o, cwd: vscodeDir });

  linkRipgrep(dir);
  // The symlinks code-server's postinstall.sh would create.
  for (const [link, target] of [
    ['bin/remote-cli/code-server', 'code-linux.sh'],
    ['bin/helpers/browser.sh', 'browser-linux.sh'],
  ]) {
    const at = path.join(vscodeDir, link);
    if (!exists(at) && existsSync(path.join(path.dirname(at), target))) {
      symlinkSync(target, at);
    }
  }
  step('npm install (built-in extensions)');
  const extDir = path.join(vscodeDir, 'extensions');
  await run(npm, ['install', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund'], {
    ...o,
    cwd: extDir,
  });
  await run(process.execPath, ['postinstall.mjs'], { ...o, cwd: extDir });

  step('smoke test: code-server --version');
  const vscodeVersion = smokeTest(entryOf(dir));
  writeFileSync(
    path.join(dir, markerName),
    JSON.stringify(
      {
        version,
        vscodeVersion,
        node: process.version,
        nodeAbi: process.versions.modules,
        installedAt: new Date().toISOString(),
        seconds: Math.round((Date.now() - started) / 100) / 10,
      },
      null,
      2,
    ),
  );
  step(`done: code-server ${version} (VS Code ${vscodeVersion})`);
  return {
    version,
    vscodeVersion,
    entry: entryOf(dir),
    node: process.execPath,
    dir,
    searchAvailable: linkRipgrep(dir),
  };
}

/** @param {string} p */
function exists(p) {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

/**
 * The Linux packages with install scripts in VS Code's shrinkwrap, i.e. the native modules to
 * compile. @vscode/ripgrep is handled separately (its script downloads from GitHub); kerberos is
 * optional (proxy auth) and needs libkrb5-dev's headers.
 * @param {string} vscodeDir
 * @returns {string[]}
 */
function nativeModules(vscodeDir) {
  const lock = JSON.parse(readFileSync(path.join(vscodeDir, 'npm-shrinkwrap.json'), 'utf8')).packages;
  const out = new Set();
  for (const [key, pkg] of Object.entries(lock)) {
    if (!key || !pkg.hasInstallScript || pkg.dev) {
      continue;
    }
    if (Array.isArray(pkg.os) && !pkg.os.includes('linux')) {
      continue;
    }
    const name = key.replace(/^.*node_modules\//, '');
    if (name === '@vscode/ripgrep') {
      continue;
    }
    if (name === 'kerberos' && !existsSync('/usr/include/gssapi/gssapi.h')) {
      continue;
    }
    if (existsSync(path.join(vscodeDir, 'node_modules', name))) {
      out.add(name);
    }
  }
  return [...out];
}

/**
 * Runs `code-server --version` with config and XDG dirs redirected (it would otherwise write
 * ~/.config/code-server/config.yaml with a generated password).
 * @param {string} entry
 * @returns {string} the bundled VS Code version
 */
function smokeTest(entry) {
  const tmp = mkdtempSync(path.join(tmpdir(), 'cs-smoke-'));
  try {
    const r = spawnSync(process.execPath, [entry, '--config', '/dev/null', '--version'], {
      encoding: 'utf8',
      env: {
        ...process.env,
        XDG_DATA_HOME: tmp,
        XDG_CONFIG_HOME: tmp,
        XDG_CACHE_HOME: tmp,
        XDG_STATE_HOME: tmp,
      },
      timeout: 60_000,
    });
    // Output: "4.100.3 <commit> with Code 1.100.3"
    const match = /with Code (\S+)/.exec(r.stdout);
    if (r.status !== 0 || !match?.[1]) {
      throw new Error(`code-server --version failed (exit ${r.status ?? r.signal}): ${r.stdout}${r.stderr}`);
    }
    return match[1];
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const started = Date.now();
  ensureCodeServer({ force: process.argv.includes('--force') }).then(
    (host) => {
      console.log(
        `[host-install] code-server ${host.version} (VS Code ${host.vscodeVersion}) ready in ` +
          `${((Date.now() - started) / 1000).toFixed(1)} s: ${host.entry}`,
      );
    },
    (err) => {
      console.error(`[host-install] ${err instanceof Error ? err.message : String(err)}`);
      process.exit(1);
    },
  );
}
