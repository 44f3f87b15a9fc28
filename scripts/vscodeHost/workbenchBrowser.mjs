// @ts-check
// Opens the code-server workbench in headless Debian Chromium through playwright-core, with a
// fresh profile, and wires the hooks the workbench calls in extension-test mode:
// window.codeAutomationExit(code) when the test runner settles, window.codeAutomationLog(type, args)
// for the extension host's console output.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { which } from '../prerequisites.mjs';

/** Flags proven on this kind of machine (root, no GPU, no network but 127.0.0.1). */
export const chromiumArgs = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
  '--disable-default-apps',
  '--disable-extensions',
];

/**
 * The Chromium to drive: $CHROMIUM_PATH, else Debian's /usr/bin/chromium. Throws a message that
 * says how to get it (playwright's own browser download is not available offline).
 * @returns {string}
 */
export function findChromium() {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv) {
    if (existsSync(fromEnv)) {
      return fromEnv;
    }
    throw new Error(`CHROMIUM_PATH=${fromEnv} does not exist.`);
  }
  const onPath =
    which('chromium', process.env.PATH ?? '') ?? which('chromium-browser', process.env.PATH ?? '');
  for (const c of [onPath, '/usr/bin/chromium', '/usr/bin/chromium-browser']) {
    if (c !== undefined && existsSync(c)) {
      return c;
    }
  }
  throw new Error(
    'Chromium is not installed (looked for chromium and chromium-browser on PATH and in /usr/bin). The ' +
      "offline VS Code host shows its workbench in Debian's chromium: run `node scripts/prerequisites.mjs` " +
      '(it installs it as root or with passwordless sudo) or `sudo apt-get install chromium`, or set CHROMIUM_PATH.',
  );
}

/**
 * @typedef {object} Workbench
 * @property {import('playwright-core').BrowserContext} context
 * @property {import('playwright-core').Page} page
 * @property {number | undefined} browserPid
 * @property {Promise<number>} automationExit  exit code reported by the workbench's test runner
 * @property {() => Promise<void>} close
 */

/**
 * @param {{ profileDir: string, env: NodeJS.ProcessEnv, onLog?: (type: string, args: unknown[]) => void, onPageError?: (message: string) => void, viewport?: { width: number, height: number } }} options
 * @returns {Promise<Workbench>}
 */
export async function launchWorkbenchBrowser(options) {
  const executablePath = findChromium();
  const context = await chromium.launchPersistentContext(options.profileDir, {
    executablePath,
    headless: true,
    viewport: options.viewport ?? { width: 1400, height: 900 },
    env: /** @type {Record<string, string>} */ (options.env),
    args: chromiumArgs,
    // Playwright's own handlers close the browser and then exit(130) on Ctrl+C, before our
    // cleanup could stop code-server; the harness handles these signals itself.
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
  });
  const browserPid = findBrowserPid(options.profileDir);
  const page = context.pages()[0] ?? (await context.newPage());
  /** @type {(code: number) => void} */
  let resolveExit = () => undefined;
  const automationExit = new Promise((resolve) => {
    resolveExit = resolve;
  });
  await page.exposeFunction('codeAutomationExit', (/** @type {unknown} */ code) => {
    resolveExit(typeof code === 'number' ? code : Number(code) || 1);
  });
  await page.exposeFunction(
    'codeAutomationLog',
    (/** @type {string} */ type, /** @type {unknown} */ args) => {
      options.onLog?.(type, Array.isArray(args) ? args : [args]);
    },
  );
  page.on('pageerror', (e) => options.onPageError?.(e.message));
  return {
    context,
    page,
    browserPid,
    automationExit,
    async close() {
      await context.close().catch(() => undefined);
    },
  };
}

/**
 * Chromium's top process: our child whose command line names the profile dir (for memory figures
 * and for making sure it is gone at the end).
 * @param {string} profileDir
 * @returns {number | undefined}
 */
function findBrowserPid(profileDir) {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) {
      continue;
    }
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === process.pid && readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(profileDir)) {
        return Number(entry);
      }
    } catch {
      // gone
    }
  }
  return undefined;
}
