// @ts-check
// A small HTTP endpoint (127.0.0.1, random port, secret path) through which code running in the
// extension host asks the harness about what the workbench really renders — e.g. "is the welcome
// text of our view visible?" — and asks for screenshots. The extension host cannot see the
// workbench DOM (viewsWelcome, status bar), but the harness drives that page with playwright.
// Actions: waitForText, screenshot (whole window, an element or a rectangle), hover, viewport, click.
// Tests find it through the DESKTOPFLOWS_TEST_UI_URL environment variable.
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import path from 'node:path';

/**
 * @typedef {object} UiProbe
 * @property {string} url   base URL including the secret path segment
 * @property {() => Promise<void>} close
 */

/**
 * @param {{ page: () => import('playwright-core').Page | undefined, screenshotDir: string, onScreenshot?: (file: string) => void }} options
 * @returns {Promise<UiProbe>}
 */
export async function startUiProbe(options) {
  const secret = randomBytes(12).toString('hex');
  const server = http.createServer((req, res) => {
    void handle(req, res).catch((err) => {
      send(res, 500, { error: err instanceof Error ? err.message : String(err) });
    });
  });

  /**
   * @param {http.IncomingMessage} req
   * @param {http.ServerResponse} res
   */
  async function handle(req, res) {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const [, token, action] = url.pathname.split('/');
    if (token !== secret || req.method !== 'POST') {
      send(res, 404, { error: 'not found' });
      return;
    }
    const body = /** @type {Record<string, unknown>} */ (await readJson(req));
    const page = options.page();
    if (!page) {
      send(res, 503, { error: 'the workbench page is not open yet' });
      return;
    }
    switch (action) {
      case 'waitForText': {
        // Visible text anywhere in the workbench (optionally within a CSS selector).
        const text = String(body.text ?? '');
        const timeout = Math.min(Number(body.timeoutMs ?? 10_000), 60_000);
        const scope = typeof body.selector === 'string' ? page.locator(body.selector) : page.locator('body');
        try {
          await scope.getByText(text, { exact: false }).first().waitFor({ state: 'visible', timeout });
          send(res, 200, { found: true });
        } catch {
          send(res, 200, { found: false });
        }
        return;
      }
      case 'screenshot': {
        const name = path.basename(String(body.name ?? 'screenshot.png'));
        const file =
          typeof body.file === 'string' ? path.resolve(body.file) : path.join(options.screenshotDir, name);
        // Optionally only part of the window: an element (CSS selector) or a rectangle in pixels.
        const clip = /** @type {{ x: number, y: number, width: number, height: number } | undefined} */ (
          body.clip && typeof body.clip === 'object' ? body.clip : undefined
        );
        if (typeof body.selector === 'string') {
          await page.locator(body.selector).first().screenshot({ path: file });
        } else {
          await page.screenshot({ path: file, clip });
        }
        options.onScreenshot?.(file);
        send(res, 200, { file });
        return;
      }
      case 'viewport': {
        // Resizes the window (the workbench relayouts), e.g. for a tall tree in a screenshot.
        const width = Math.round(Number(body.width));
        const height = Math.round(Number(body.height));
        if (!(width >= 400 && width <= 4000 && height >= 300 && height <= 4000)) {
          send(res, 400, { error: `viewport ${body.width}x${body.height} is out of range` });
          return;
        }
        await page.setViewportSize({ width, height });
        send(res, 200, { width, height });
        return;
      }
      case 'hover': {
        // Moves the mouse over an element, e.g. to show a status bar item's tooltip in a screenshot.
        const selector = String(body.selector ?? '');
        const timeout = Math.min(Number(body.timeoutMs ?? 10_000), 60_000);
        try {
          await page.locator(selector).first().hover({ timeout });
          send(res, 200, { hovered: true });
        } catch {
          send(res, 200, { hovered: false });
        }
        return;
      }
      case 'click': {
        // Clicks a button by its visible name (optionally within a CSS selector), e.g. a notification's
        // action, as a user would.
        const name = String(body.text ?? '');
        const timeout = Math.min(Number(body.timeoutMs ?? 10_000), 60_000);
        const scope = typeof body.selector === 'string' ? page.locator(body.selector) : page.locator('body');
        try {
          await scope.getByRole('button', { name, exact: true }).first().click({ timeout });
          send(res, 200, { clicked: true });
        } catch {
          send(res, 200, { clicked: false });
        }
        return;
      }
      default:
        send(res, 404, { error: `unknown action ${action}` });
    }
  }

  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/${secret}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * @param {http.ServerResponse} res
 * @param {number} status
 * @param {unknown} body
 */
function send(res, status, body) {
  if (res.headersSent) {
    return;
  }
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/**
 * @param {http.IncomingMessage} req
 * @returns {Promise<unknown>}
 */
async function readJson(req) {
  const chunks = [];
  for await (const chunk of req) {
    chunks.push(/** @type {Buffer} */ (chunk));
  }
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? JSON.parse(text) : {};
}
