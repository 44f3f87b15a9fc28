// Loaded by the extension host as `extensionTestsPath` in screenshot mode (no tests): runs the
// requested commands inside the host, optionally waits for some text to appear in the workbench,
// then asks the harness (through the workbench probe) to take the screenshot.
//   DESKTOPFLOWS_SCREENSHOT_COMMANDS  JSON array of [commandId, ...args]
//   DESKTOPFLOWS_SCREENSHOT_FILE      absolute path of the PNG to write
//   DESKTOPFLOWS_SCREENSHOT_WAIT_TEXT text that must be visible before the shot (optional)
'use strict';
const vscode = require('vscode');

async function probe(action, body) {
  const base = process.env.DESKTOPFLOWS_TEST_UI_URL;
  if (!base) {
    throw new Error('screenshot mode needs the workbench probe (offline code-server host)');
  }
  const res = await fetch(`${base}/${action}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(70_000),
  });
  const json = await res.json();
  if (!res.ok) {
    throw new Error(`${action} failed: ${json.error}`);
  }
  return json;
}

exports.run = async function run() {
  const commands = JSON.parse(process.env.DESKTOPFLOWS_SCREENSHOT_COMMANDS || '[]');
  for (const [id, ...args] of commands) {
    await vscode.commands.executeCommand(id, ...args);
  }
  const waitText = process.env.DESKTOPFLOWS_SCREENSHOT_WAIT_TEXT;
  if (waitText) {
    const { found } = await probe('waitForText', { text: waitText, timeoutMs: 60_000 });
    if (!found) {
      throw new Error(`"${waitText}" did not appear in the workbench within 60 s`);
    }
  }
  // Let animations, progress bars and notifications settle before the shot.
  await new Promise((resolve) => setTimeout(resolve, 1500));
  await probe('screenshot', { file: process.env.DESKTOPFLOWS_SCREENSHOT_FILE });
};
