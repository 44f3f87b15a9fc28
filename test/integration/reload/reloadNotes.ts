// What a reload-session suite learnt before the reload and checks after it: a JSON file next to the
// session's state file (DESKTOPFLOWS_TEST_RELOAD_STATE), since nothing in memory survives the reload.
import * as fs from 'node:fs';

function notesFile(): string {
  const state = process.env.DESKTOPFLOWS_TEST_RELOAD_STATE;
  if (!state) {
    throw new Error(
      'DESKTOPFLOWS_TEST_RELOAD_STATE is not set: run the reload session through scripts/integration.mjs',
    );
  }
  return `${state}.notes.json`;
}

export function writeNotes<T>(name: string, value: T): void {
  const file = notesFile();
  const all = fs.existsSync(file)
    ? (JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>)
    : {};
  all[name] = value;
  fs.writeFileSync(file, JSON.stringify(all, null, 2));
}

export function readNotes<T>(name: string): T {
  const file = notesFile();
  const all = fs.existsSync(file)
    ? (JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>)
    : {};
  if (!(name in all)) {
    throw new Error(`nothing was noted as "${name}" before the reload (did its before-reload suite run?)`);
  }
  return all[name] as T;
}

/** The reload session's sandbox: a process the harness started, which outlives the extension host. */
export function reloadSandboxUrl(): string {
  const url = process.env.DESKTOPFLOWS_TEST_SANDBOX_URL;
  if (!url) {
    throw new Error(
      'DESKTOPFLOWS_TEST_SANDBOX_URL is not set: run the reload session through scripts/integration.mjs',
    );
  }
  return url;
}
