// @ts-check
// Process-tree bookkeeping for the test and launch harnesses. Every long-lived child we start
// (code-server, the sandbox, desktop VS Code) runs in its own process group (spawn `detached`),
// and stopping it means stopping the whole tree: code-server's extension host, pty host and file
// watcher are grandchildren that a plain `child.kill()` would orphan.
import { readdirSync, readFileSync } from 'node:fs';

/** @param {number} ms */
const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Reads `/proc/<pid>/stat` fields we need. The command name may contain spaces and parentheses,
 * hence parsing from the last `)`.
 * @param {string} pid
 * @returns {{ pid: number, ppid: number, pgid: number } | undefined}
 */
function readStat(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] = state, [1] = ppid, [2] = pgrp
    const state = fields[0];
    if (state === 'Z') {
      return undefined; // zombies hold no resources; their parent reaps them
    }
    return { pid: Number(pid), ppid: Number(fields[1]), pgid: Number(fields[2]) };
  } catch {
    return undefined; // the process ended while we looked
  }
}

/** @returns {{ pid: number, ppid: number, pgid: number }[]} */
export function listProcesses() {
  const out = [];
  for (const entry of readdirSync('/proc')) {
    if (/^\d+$/.test(entry)) {
      const stat = readStat(entry);
      if (stat) {
        out.push(stat);
      }
    }
  }
  return out;
}

/**
 * Pids of every live descendant of `rootPid` (not including the root).
 * @param {number} rootPid
 * @returns {number[]}
 */
export function descendants(rootPid) {
  const byParent = new Map();
  for (const p of listProcesses()) {
    const list = byParent.get(p.ppid) ?? [];
    list.push(p.pid);
    byParent.set(p.ppid, list);
  }
  const out = [];
  const stack = [...(byParent.get(rootPid) ?? [])];
  while (stack.length > 0) {
    const pid = stack.pop();
    out.push(pid);
    stack.push(...(byParent.get(pid) ?? []));
  }
  return out;
}

/**
 * @param {number} pid
 * @param {NodeJS.Signals} signal
 */
function signal(pid, signal) {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone (ESRCH) — exactly what we want
  }
}

/**
 * Live processes (other than this one) whose command line contains `text` — e.g. a run folder:
 * catches helpers that left our trees, like Chromium's crashpad handler, which double-forks to
 * init but names the profile's folder in its arguments.
 * @param {string} text
 * @returns {number[]}
 */
export function processesMentioning(text) {
  return listProcesses()
    .map((p) => p.pid)
    .filter((pid) => {
      if (pid === process.pid) {
        return false;
      }
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(text);
      } catch {
        return false;
      }
    });
}

/**
 * The command line of a live process, arguments joined by spaces ('' when it is gone).
 * @param {number} pid
 * @returns {string}
 */
export function commandLine(pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return '';
  }
}

/**
 * When a process started, in clock ticks since boot (field 22 of /proc/<pid>/stat); with the pid
 * it identifies one process, so a recycled pid is not mistaken for the one seen earlier.
 * @param {number} pid
 * @returns {number | undefined}
 */
export function startTime(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[0] === 'Z' ? undefined : Number(fields[19]);
  } catch {
    return undefined;
  }
}

/**
 * Live processes whose environment holds `name=value`. Children inherit their parent's
 * environment, so a variable set on a launched command finds everything it started, even
 * processes that double-forked to init or moved to their own process group or session. Only
 * processes of our own user are readable, which are the only ones we can have started.
 * @param {string} name
 * @param {string} value
 * @returns {number[]}
 */
export function processesWithEnv(name, value) {
  const entry = `${name}=${value}`;
  return listProcesses()
    .map((p) => p.pid)
    .filter((pid) => {
      if (pid === process.pid) {
        return false;
      }
      try {
        return readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(entry);
      } catch {
        return false;
      }
    });
}

/**
 * @param {number[]} pids
 * @returns {number[]} those still alive (zombies count as gone)
 */
export function alive(pids) {
  return pids.filter((pid) => readStat(String(pid)) !== undefined);
}

/**
 * Stops process trees: snapshots each root and all its descendants (including ones that moved
 * to their own session, e.g. terminals), sends SIGTERM to their process groups and to each pid,
 * waits up to `graceMs` for all of them to exit, then SIGKILLs the survivors. Our own process
 * group is never signalled. Resolves with the pids still alive at the end (should be none),
 * so callers can report orphans honestly.
 * @param {number[]} rootPids
 * @param {{ graceMs?: number, onHardKill?: (pids: number[]) => void }} [options]
 * @returns {Promise<number[]>}
 */
export async function stopProcessTrees(rootPids, options = {}) {
  const graceMs = options.graceMs ?? 3000;
  const roots = rootPids.filter((p) => Number.isInteger(p) && p > 1 && p !== process.pid);
  const all = new Set();
  for (const root of roots) {
    all.add(root);
    for (const d of descendants(root)) {
      all.add(d);
    }
  }
  const own = readStat(String(process.pid))?.pgid;
  const pgids = new Set();
  for (const p of listProcesses()) {
    if (all.has(p.pid) && p.pgid !== own && p.pgid > 1) {
      pgids.add(p.pgid);
    }
  }
  const pids = [...all];
  for (const pgid of pgids) {
    signal(-pgid, 'SIGTERM');
  }
  for (const pid of pids) {
    signal(pid, 'SIGTERM');
  }
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && alive(pids).length > 0) {
    await delay(100);
  }
  const stubborn = alive(pids);
  if (stubborn.length > 0) {
    options.onHardKill?.(stubborn);
    for (const pgid of pgids) {
      signal(-pgid, 'SIGKILL');
    }
    for (const pid of stubborn) {
      signal(pid, 'SIGKILL');
    }
    const hardDeadline = Date.now() + 2000;
    while (Date.now() < hardDeadline && alive(stubborn).length > 0) {
      await delay(50);
    }
  }
  return alive(pids);
}

/**
 * Sum of proportional set size (KiB) over a process and its descendants; used to report the
 * memory the host needs. PSS does not double-count shared pages.
 * @param {number} rootPid
 * @returns {number}
 */
export function treePssKiB(rootPid) {
  let total = 0;
  for (const pid of [rootPid, ...descendants(rootPid)]) {
    try {
      const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
      const match = /^Pss:\s+(\d+)/m.exec(rollup);
      if (match) {
        total += Number(match[1]);
      }
    } catch {
      // gone or not readable
    }
  }
  return total;
}
