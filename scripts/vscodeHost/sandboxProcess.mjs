// @ts-check
// Runs the local fake Power Platform (src/sandbox/main.ts) as a child process in its own process
// group and reads its URL from the first stdout line: "Sandbox listening on <url>".
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { stopProcessTrees } from './processTree.mjs';

/**
 * @typedef {object} SandboxProcess
 * @property {string} url
 * @property {number} pid
 * @property {Promise<string>} exited
 * @property {() => Promise<number[]>} stop   resolves with pids that survived (should be none)
 */

/**
 * @param {{ repoRoot: string, port?: number, args?: string[], env?: NodeJS.ProcessEnv, onLine?: (line: string) => void, startTimeoutMs?: number }} options
 *   `args`: more sandbox options (e.g. `--speed 10`)
 * @returns {Promise<SandboxProcess>}
 */
export async function startSandboxProcess(options) {
  const main = path.join(options.repoRoot, 'src', 'sandbox', 'main.ts');
  if (!existsSync(main)) {
    throw new Error(`the sandbox entry point ${path.relative(options.repoRoot, main)} does not exist yet`);
  }
  // `node --import tsx` instead of `npx tsx`: one process instead of three (npx, tsx CLI, node),
  // so there is nothing in between to orphan, and no npx prompt (~/.npmrc may say yes=false).
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', main, '--port', String(options.port ?? 0), ...(options.args ?? [])],
    {
      cwd: options.repoRoot,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: options.env ?? process.env,
    },
  );
  const exited = new Promise((resolve) => {
    child.on('error', (err) => resolve(`sandbox could not start: ${err.message}`));
    child.on('exit', (code, sig) => resolve(`sandbox exited (${code ?? sig})`));
  });
  /** @type {string[]} */
  const stderr = [];
  const lines = createInterface({ input: /** @type {import('node:stream').Readable} */ (child.stdout) });
  const errLines = createInterface({ input: /** @type {import('node:stream').Readable} */ (child.stderr) });
  errLines.on('line', (l) => {
    stderr.push(l);
    options.onLine?.(l);
  });
  const stop = () => stopProcessTrees([/** @type {number} */ (child.pid)]);
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  try {
    const url = await Promise.race([
      new Promise((resolve, reject) => {
        let first = true;
        lines.on('line', (line) => {
          if (first) {
            first = false;
            const match = /^Sandbox listening on (\S+)/.exec(line);
            if (match?.[1]) {
              resolve(match[1]);
            } else {
              reject(new Error(`unexpected first line from the sandbox: ${line}`));
            }
          } else {
            options.onLine?.(line);
          }
        });
      }),
      exited.then((d) => {
        throw new Error(`${d} before it was listening:\n${stderr.slice(-20).join('\n')}`);
      }),
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error('the sandbox did not print "Sandbox listening on <url>" within 30 s')),
          options.startTimeoutMs ?? 30_000,
        );
      }),
    ]);
    return { url: String(url), pid: /** @type {number} */ (child.pid), exited, stop };
  } catch (err) {
    await stop();
    throw err;
  } finally {
    clearTimeout(timer);
  }
}
