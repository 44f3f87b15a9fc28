// @ts-check
// The operating-system prerequisites of the offline VS Code host, checked (and on Debian/Ubuntu
// installed) by one script for `npm start`, `npm test` and `.ci/run`. There is no second list.
//
//   node scripts/prerequisites.mjs [--for start|test|ci] [--dry-run]
//
// What it checks, by name on PATH:
//   chromium (or chromium-browser, or $CHROMIUM_PATH)  Debian `chromium`: the workbench of the offline host
//   rg                                                 `ripgrep`: search inside the host
//   g++ and make                                       `build-essential`: code-server's native modules
//   python3                                            `python3`: node-gyp, for those modules
//   git                                                `git`: the host's Git support
// When something is missing and we are root, or `sudo -n` works, it says in one line what it installs
// and why, runs `apt-get update` once, then `apt-get install -y <packages>`. Otherwise it prints the
// exact command and exits 1. For `--for start`, what only a secondary feature needs (ripgrep: search;
// git; Chromium: only the smoke and test browser) never stops the start: it is reported and skipped.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

/**
 * @typedef {'start' | 'test' | 'ci'} Purpose
 * @typedef {object} Prerequisite
 * @property {string} id          what we call it in messages
 * @property {string[][]} anyOf   alternatives, each a list of commands that must all be on PATH
 * @property {string} pkg         the Debian package that provides it
 * @property {string} why         what needs it, in a few words
 * @property {boolean} neededToStart  false when `npm start` can open the workbench without it
 * @property {string} [envPath]   an environment variable that may name the executable instead
 */

/** @type {readonly Prerequisite[]} */
export const prerequisites = [
  {
    id: 'Chromium',
    anyOf: [['chromium'], ['chromium-browser']],
    envPath: 'CHROMIUM_PATH',
    pkg: 'chromium',
    why: 'the browser the tests and the start smoke open the workbench in',
    neededToStart: false,
  },
  {
    id: 'ripgrep (rg)',
    anyOf: [['rg']],
    pkg: 'ripgrep',
    why: 'text and file search inside the workbench',
    neededToStart: false,
  },
  {
    id: 'a C++ compiler and make',
    anyOf: [['g++', 'make']],
    pkg: 'build-essential',
    why: "to compile code-server's native modules",
    neededToStart: true,
  },
  {
    id: 'python3',
    anyOf: [['python3']],
    pkg: 'python3',
    why: "node-gyp, to compile code-server's native modules",
    neededToStart: true,
  },
  {
    id: 'git',
    anyOf: [['git']],
    pkg: 'git',
    why: 'source control inside the workbench',
    neededToStart: false,
  },
];

/**
 * The executable `name` resolves to on `searchPath`, like `command -v`, without a shell.
 * @param {string} name
 * @param {string} searchPath
 * @returns {string | undefined}
 */
export function which(name, searchPath) {
  for (const dir of searchPath.split(path.delimiter)) {
    if (dir === '') {
      continue;
    }
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) {
        return candidate;
      }
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * @typedef {object} Missing
 * @property {string} id
 * @property {string} pkg
 * @property {string} why
 * @property {boolean} required  false when the purpose can go on without it
 *
 * @typedef {object} Plan
 * @property {Missing[]} missing
 * @property {'nothing' | 'install' | 'instruct'} action
 *   nothing: all present; install: apt-get runs (as root or through sudo); instruct: print `command`
 * @property {string[]} packages       the Debian packages to install
 * @property {string[][]} commands     what install runs, in order (apt-get update once, then install)
 * @property {string | undefined} command  the one line a user runs by hand
 * @property {boolean} blocking        true when the purpose cannot go on if nothing is installed
 */

/**
 * What to do about the prerequisites. Pure apart from file-system lookups on `options.path`.
 * `hostInstalled`: the offline host is already built, so `npm start` needs no compiler any more.
 * @param {{ purpose: Purpose, path: string, uid: number, sudoWorks: () => boolean, env?: Record<string, string | undefined>, hostInstalled?: boolean }} options
 * @returns {Plan}
 */
export function planPrerequisites(options) {
  const env = options.env ?? {};
  /** @type {Missing[]} */
  const missing = [];
  for (const p of prerequisites) {
    const fromEnv = p.envPath ? env[p.envPath] : undefined;
    const found =
      (fromEnv !== undefined && fromEnv !== '' && exists(fromEnv)) ||
      p.anyOf.some((all) => all.every((cmd) => which(cmd, options.path) !== undefined));
    if (!found) {
      missing.push({
        id: p.id,
        pkg: p.pkg,
        why: p.why,
        required: options.purpose !== 'start' || (p.neededToStart && options.hostInstalled !== true),
      });
    }
  }
  const packages = missing.map((m) => m.pkg);
  const blocking = missing.some((m) => m.required);
  if (packages.length === 0) {
    return { missing, action: 'nothing', packages, commands: [], command: undefined, blocking };
  }
  const hasApt = which('apt-get', options.path) !== undefined;
  const install = ['apt-get', 'install', '-y', '-qq', ...packages];
  if (hasApt && options.uid === 0) {
    return {
      missing,
      action: 'install',
      packages,
      commands: [['apt-get', 'update', '-qq'], install],
      command: undefined,
      blocking,
    };
  }
  if (hasApt && options.sudoWorks()) {
    return {
      missing,
      action: 'install',
      packages,
      commands: [
        ['sudo', '-n', 'apt-get', 'update', '-qq'],
        ['sudo', '-n', ...install],
      ],
      command: undefined,
      blocking,
    };
  }
  const command = hasApt
    ? `sudo apt-get update && sudo apt-get install -y ${packages.join(' ')}`
    : `install these with your system's package manager: ${missing.map((m) => `${m.id} (Debian: ${m.pkg})`).join(', ')}`;
  return { missing, action: 'instruct', packages, commands: [], command, blocking };
}

/** @param {string} p */
function exists(p) {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** True when `sudo` runs without asking for a password. */
export function passwordlessSudo() {
  const r = spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore', timeout: 10_000 });
  return r.status === 0;
}

/**
 * Checks, installs when it can, and says what it did. Resolves to true when the purpose can go on.
 * @param {{ purpose: Purpose, log?: (line: string) => void, dryRun?: boolean, hostInstalled?: boolean }} options
 * @returns {boolean} true when the purpose can go on
 */
export function ensurePrerequisites(options) {
  const log = options.log ?? ((line) => console.log(`[prerequisites] ${line}`));
  const uid = typeof process.getuid === 'function' ? process.getuid() : -1;
  const plan = planPrerequisites({
    purpose: options.purpose,
    path: process.env.PATH ?? '',
    uid,
    sudoWorks: passwordlessSudo,
    env: process.env,
    hostInstalled: options.hostInstalled,
  });
  if (plan.action === 'nothing') {
    return true;
  }
  const list = plan.missing.map((m) => `${m.pkg} (${m.why})`).join(', ');
  if (plan.action === 'install') {
    log(`installing Debian packages with apt-get${uid === 0 ? '' : ' through sudo'}: ${list}`);
    if (options.dryRun) {
      plan.commands.forEach((c) => log(`would run: ${c.join(' ')}`));
      return true;
    }
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    for (const c of plan.commands) {
      const r = spawnSync(/** @type {string} */ (c[0]), c.slice(1), {
        stdio: ['ignore', 'inherit', 'inherit'],
        env,
      });
      if (r.status !== 0) {
        log(`${c.join(' ')} failed (exit ${r.status ?? r.signal}).`);
        return !plan.blocking;
      }
    }
    const after = planPrerequisites({
      purpose: options.purpose,
      path: process.env.PATH ?? '',
      uid,
      sudoWorks: () => false,
      env: process.env,
      hostInstalled: options.hostInstalled,
    });
    if (after.missing.length > 0) {
      log(`still missing after apt-get: ${after.missing.map((m) => m.id).join(', ')}.`);
      return !after.blocking;
    }
    log(`installed ${plan.packages.join(' ')}.`);
    return true;
  }
  if (!plan.blocking) {
    for (const m of plan.missing) {
      log(`${m.id} is not installed, so ${m.why} is unavailable; going on without it.`);
    }
    log(`To add it: ${plan.command}`);
    return true;
  }
  log(`missing: ${list}.`);
  log(`Run: ${plan.command}`);
  return false;
}

const isMain = process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href;
if (isMain) {
  const { values } = parseArgs({
    options: { for: { type: 'string', default: 'test' }, 'dry-run': { type: 'boolean', default: false } },
    strict: true,
  });
  const purpose = /** @type {Purpose} */ (values.for);
  if (!['start', 'test', 'ci'].includes(purpose)) {
    console.error(`--for must be start, test or ci (got ${values.for})`);
    process.exit(2);
  }
  const ok = ensurePrerequisites({ purpose, dryRun: values['dry-run'] });
  if (ok) {
    const present = prerequisites.filter((p) =>
      p.anyOf.some((all) => all.every((c) => which(c, process.env.PATH ?? ''))),
    );
    console.log(`[prerequisites] present: ${present.map((p) => p.id).join(', ') || 'none'}`);
  }
  process.exit(ok ? 0 : 1);
}
