// @ts-check
// What `npm start` promises, checked in the workbench the way a user sees it: the Desktop Flows
// view container opens and its side bar lists the sandbox environments (which only happens once
// the extension has activated and signed in to the sandbox). Shared by `start.mjs --smoke` and
// scripts/startSmoke.mjs.
import { readFileSync } from 'node:fs';
import { findExtensionHostLogs } from './codeServer.mjs';

/**
 * The environments of the sandbox's built-in seed (friendlyName in src/sandbox/seed.ts) that have
 * Dataverse, i.e. the ones the Desktop Flows view lists after signing in to a fresh sandbox.
 */
export const sandboxEnvironmentNames = Object.freeze([
  'Contoso Dev',
  'Contoso Bulk (China)',
  'Contoso (default)',
]);

/** @param {number} ms */
const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Clicks the activity-bar entry of a view container, as a user opening it would.
 * @param {import('playwright-core').Page} page
 * @param {string} title  the container's title (package.json contributes.viewsContainers)
 * @param {number} timeoutMs
 */
export async function openViewContainer(page, title, timeoutMs) {
  await page.getByRole('tab', { name: title }).first().click({ timeout: timeoutMs });
}

/**
 * @typedef {object} SideBarCheck
 * @property {boolean} ok        every text was visible before the deadline
 * @property {string[]} found    in the order they appeared
 * @property {string[]} missing
 * @property {string} sideBarText  what the side bar showed when the wait ended (for failure reports)
 * @property {string | undefined} failure  why the wait stopped early (from `failFast`)
 */

/**
 * Waits until each of `texts` is visible as a whole label in the side bar, or `timeoutMs` passes.
 * `failFast` is polled alongside and ends the wait with its message (e.g. the extension failed to
 * activate, so the tree will never fill). Never throws for a missing text: the caller reports.
 * @param {import('playwright-core').Page} page
 * @param {readonly string[]} texts
 * @param {{ timeoutMs: number, failFast?: () => string | undefined, signal?: AbortSignal }} options
 * @returns {Promise<SideBarCheck>}
 */
export async function waitForSideBarTexts(page, texts, options) {
  const deadline = Date.now() + options.timeoutMs;
  const sideBar = page.locator('.part.sidebar');
  /** @type {string[]} */
  const found = [];
  /** @type {string | undefined} */
  let failure;
  for (;;) {
    for (const text of texts) {
      if (!found.includes(text)) {
        // exact: "Contoso Dev" must be a label of its own, not part of a longer text.
        const visible = await sideBar
          .getByText(text, { exact: true })
          .first()
          .isVisible()
          .catch(() => false);
        if (visible) {
          found.push(text);
        }
      }
    }
    if (found.length === texts.length) {
      break;
    }
    failure = options.failFast?.() ?? (options.signal?.aborted ? 'interrupted' : undefined);
    if (failure || Date.now() > deadline) {
      break;
    }
    await delay(250);
  }
  const sideBarText = await sideBar
    .innerText({ timeout: 2000 })
    .then((t) => t.replace(/\s*\n\s*/g, ' | ').trim())
    .catch(
      (/** @type {unknown} */ e) =>
        `(could not read the side bar: ${e instanceof Error ? e.message : String(e)})`,
    );
  return {
    ok: found.length === texts.length,
    found,
    missing: texts.filter((t) => !found.includes(t)),
    sideBarText,
    failure,
  };
}

/**
 * Reads the extension host logs of a code-server user-data folder: "ExtensionService#_doActivateExtension
 * <id>" is logged when activation starts; "Activating extension <id> failed" when activate() throws.
 * @param {string} userData
 * @param {string} extensionId  publisher.name
 * @returns {'pending' | 'activating' | 'failed'}
 */
export function activationState(userData, extensionId) {
  let state = /** @type {'pending' | 'activating' | 'failed'} */ ('pending');
  for (const file of findExtensionHostLogs(userData)) {
    const text = readFileSync(file, 'utf8');
    if (
      text.includes(`Activating extension '${extensionId}' failed`) ||
      text.includes(`Activating extension ${extensionId} failed`)
    ) {
      return 'failed';
    }
    if (text.includes(`_doActivateExtension ${extensionId},`)) {
      state = 'activating';
    }
  }
  return state;
}
