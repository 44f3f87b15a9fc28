import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { ExtensionApi } from '../../src/extension';
import type { RunSubject } from '../../src/core/runs/runEvents';
import type { Fault } from '../../src/sandbox/faults';
import { seedIds } from '../../src/sandbox/seed';
import type { Sandbox } from '../../src/sandbox/server';
import { commandIds } from '../../src/vscode/commandIds';
import type { ValidationOutcome } from '../../src/vscode/commands/inputCommands';
import { diagnosticSource } from '../../src/vscode/inputs/inputDiagnostics';
import {
  activateExtension,
  makerAttended,
  note,
  notificationSays,
  signInToSandbox,
  signOutOfSandbox,
  waitFor,
  workbenchProbe,
  WorkspaceFiles,
  type WorkbenchProbe,
} from './helpers';
import { recordEachTest } from './runRecorder';

const runDesktopFlow = '/org/*/api/data/v9.2/workflows(*)/Microsoft.Dynamics.CRM.RunDesktopFlow';
const echoSchema = `desktopflows-schema:/${seedIds.environments.dev}/${seedIds.flows.echoText}.json`;
/** What comes before the broken byte: line 4 holds `  "inputText": "Caf`, 19 characters. */
const head = `{\n  "$schema": "${echoSchema}",\n  "inputInteger": 7,\n  "inputText": "Caf`;
const tail = ' au lait"\n}\n';
/** The byte offset of the Latin-1 "é" (0xE9), which VS Code shows as U+FFFD. */
const brokenByte = new TextEncoder().encode(head).length;
const toasts = '.notifications-toasts';

function codeOf(d: vscode.Diagnostic): string {
  return typeof d.code === 'object' ? String(d.code.value) : String(d.code);
}

function encodingDiagnostics(uri: vscode.Uri): vscode.Diagnostic[] {
  return vscode.languages
    .getDiagnostics(uri)
    .filter((d) => d.source === diagnosticSource && codeOf(d) === 'encoding');
}

/**
 * A saved input file whose bytes are not valid UTF-8 (a Latin-1 "é"): what the maker sees from Validate,
 * in the Problems panel, and from "Go to Problem" on the notifications; and that fixing the file clears the
 * problem. Each `it` writes its own file and runs alone, in any order.
 */
describe('Input files whose bytes are not valid UTF-8', function () {
  this.timeout(120_000);
  let api: ExtensionApi;
  let sandbox: Sandbox;
  let accountId: string;
  /** Counts RunDesktopFlow requests (a zero-delay fault changes nothing else). */
  let sent: Fault;
  const files = new WorkspaceFiles();
  const recorded = recordEachTest(() => api.runs);

  /**
   * Writes a saved input file of Echo Text with a Latin-1 "é" at line 4, column 20, in the workspace folder
   * itself (watched since the window opened: the recursive watcher can miss a folder created a moment ago).
   */
  async function writeLatin1(name: string): Promise<vscode.Uri> {
    const uri = vscode.Uri.joinPath(files.folder, name);
    const encoder = new TextEncoder();
    await vscode.workspace.fs.writeFile(
      uri,
      Uint8Array.from([...encoder.encode(head), 0xe9, ...encoder.encode(tail)]),
    );
    files.created.push(uri);
    return uri;
  }

  function probeOrFail(): WorkbenchProbe {
    const probe = workbenchProbe();
    assert.ok(
      probe,
      'the integration harness shows the workbench (code-server), where notifications are read',
    );
    return probe;
  }

  async function goToProblem(probe: WorkbenchProbe, uri: vscode.Uri): Promise<vscode.TextEditor> {
    // Nothing open: the button must open the file itself.
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    assert.ok(
      await probe.click('Go to Problem', { selector: toasts, timeoutMs: 15_000 }),
      'Go to Problem is offered',
    );
    return waitFor(
      () => {
        const editor = vscode.window.activeTextEditor;
        return editor?.document.uri.toString() === uri.toString() ? editor : undefined;
      },
      'the file in the active editor',
      15_000,
    );
  }

  function assertAtBrokenCharacter(editor: vscode.TextEditor): void {
    const at = editor.selection.active;
    assert.deepEqual([at.line, at.character], [3, 19], 'the cursor is on line 4, column 20');
    assert.equal(
      editor.document.getText(new vscode.Range(at, at.translate(0, 1))),
      '\uFFFD',
      'right before the replacement character',
    );
  }

  before(async () => {
    api = await activateExtension();
    await api.restored;
    ({ sandbox, accountId } = await signInToSandbox(api, { speed: 10 }));
    sent = sandbox.faults.add({ method: 'POST', path: runDesktopFlow, kind: 'delay', delayMs: 0 });
  });

  beforeEach(async () => {
    // Earlier notifications would hide this test's one (and their buttons would be clicked).
    await vscode.commands.executeCommand('notifications.clearAll');
  });

  afterEach(async () => {
    await vscode.commands.executeCommand('notifications.clearAll');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  after(async () => {
    await files.deleteAll();
    await signOutOfSandbox(accountId, sandbox);
  });

  it('Validate says the file cannot be used for a run, naming it, the byte, line and column and how to fix it; nothing is sent', async () => {
    const probe = probeOrFail();
    const hits = sent.hits;
    const uri = await writeLatin1('encoding-validate-latin1.json');
    const outcome = await vscode.commands.executeCommand<ValidationOutcome>(
      commandIds.validateInputFile,
      uri,
    );
    assert.equal(outcome.ok, false, 'Validate says the file is not ok');
    for (const words of [
      '"encoding-validate-latin1.json" cannot be used for a run: it is not valid UTF-8',
      `byte ${brokenByte} (line 4, column 20) is 0xE9`,
      'Save it as UTF-8',
      'A file saved as Latin-1 or Windows-1252 is the usual cause.',
    ]) {
      assert.ok(await notificationSays(probe, words), `the notification says ${words}`);
    }
    assert.equal(sent.hits, hits, 'no RunDesktopFlow request reached the sandbox');
  });

  it('"Go to Problem" on the Validate notification opens the file at the broken character', async () => {
    const probe = probeOrFail();
    const uri = await writeLatin1('encoding-validate-goto-latin1.json');
    const outcome = await vscode.commands.executeCommand<ValidationOutcome>(
      commandIds.validateInputFile,
      uri,
    );
    assert.equal(outcome.ok, false);
    assert.ok(
      await probe.waitForText('"encoding-validate-goto-latin1.json" cannot be used for a run', {
        selector: toasts,
        timeoutMs: 15_000,
      }),
      'the notification is shown',
    );
    assertAtBrokenCharacter(await goToProblem(probe, uri));
  });

  it('"Go to Problem" on the notification of a refused run opens the file at the broken character', async () => {
    const probe = probeOrFail();
    const hits = sent.hits;
    const uri = await writeLatin1('encoding-run-goto-latin1.json');
    const run = await vscode.commands.executeCommand<RunSubject | undefined>(
      commandIds.runInputFile,
      uri,
      makerAttended,
    );
    if (run !== undefined) {
      await api.runs.cancel(run, AbortSignal.timeout(30_000)).catch(() => undefined);
    }
    assert.equal(run, undefined, 'no run started');
    note(
      await waitFor(
        () =>
          recorded().transcript.find((l) => /"encoding-run-goto-latin1\.json" is not valid UTF-8/.test(l)),
        'the refusal in the transcript',
        30_000,
      ),
    );
    assert.ok(
      await probe.waitForText('"encoding-run-goto-latin1.json" is not valid UTF-8', {
        selector: toasts,
        timeoutMs: 15_000,
      }),
      'the refusal notification is shown',
    );
    assertAtBrokenCharacter(await goToProblem(probe, uri));
    assert.equal(sent.hits, hits, 'no RunDesktopFlow request reached the sandbox');
  });

  it('the Problems panel shows an error with code "encoding" at the broken character, in full sentences; valid UTF-8 bytes written to disk clear it', async () => {
    const uri = await writeLatin1('encoding-problems-latin1.json');
    const document = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(document);
    const [diagnostic, ...more] = await waitFor(
      () => {
        const list = encodingDiagnostics(uri);
        return list.length > 0 ? list : undefined;
      },
      'the encoding problem in the Problems panel',
      30_000,
    );
    assert.ok(diagnostic);
    note(diagnostic.message);
    assert.equal(more.length, 0, 'one encoding problem');
    assert.equal(diagnostic.severity, vscode.DiagnosticSeverity.Error);
    assert.deepEqual(
      [
        diagnostic.range.start.line,
        diagnostic.range.start.character,
        diagnostic.range.end.line,
        diagnostic.range.end.character,
      ],
      [3, 19, 3, 20],
      'the range is the replacement character on line 4',
    );
    assert.equal(document.getText(diagnostic.range), '\uFFFD');
    assert.match(
      diagnostic.message,
      new RegExp(
        `^This file is not valid UTF-8: byte ${brokenByte} \\(line 4, column 20\\) is 0xE9, which UTF-8 does not allow there\\. ` +
          `Input files must be UTF-8, so nothing is guessed or replaced\\. Save it as UTF-8 .*\\. ` +
          `A file saved as Latin-1 or Windows-1252 is the usual cause\\. A run from it is refused\\.$`,
      ),
    );

    // The maker saves the file as UTF-8 elsewhere: the editor reloads it and the problem goes.
    await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(`${head}\u00e9${tail}`));
    await waitFor(
      () => document.getText().includes('Caf\u00e9 au lait'),
      'the editor shows the file again',
      30_000,
    );
    await waitFor(() => encodingDiagnostics(uri).length === 0, 'the encoding problem to go', 30_000);
    const outcome = await vscode.commands.executeCommand<ValidationOutcome>(
      commandIds.validateInputFile,
      uri,
    );
    assert.equal(outcome.ok, true, `Validate says ok: ${outcome.problems.map((p) => p.message).join(' | ')}`);
    assert.deepEqual(encodingDiagnostics(uri), [], 'and Validate reports no encoding problem');
  });

  it('re-saving the file from the editor with the character fixed clears the problem, and the bytes on disk are UTF-8', async () => {
    const autoSave = vscode.workspace.getConfiguration('files');
    await autoSave.update('autoSave', 'off', vscode.ConfigurationTarget.Workspace);
    try {
      const uri = await writeLatin1('encoding-resave-latin1.json');
      const document = await vscode.workspace.openTextDocument(uri);
      const editor = await vscode.window.showTextDocument(document);
      const outcome = await vscode.commands.executeCommand<ValidationOutcome>(
        commandIds.validateInputFile,
        uri,
      );
      assert.equal(outcome.ok, false);
      assert.equal(encodingDiagnostics(uri).length, 1, 'Validate shows the encoding problem');
      const at = new vscode.Position(3, 19);
      assert.ok(await editor.edit((b) => b.replace(new vscode.Range(at, at.translate(0, 1)), '\u00e9')));
      assert.ok(await document.save(), 'the file is saved');
      const bytes = await vscode.workspace.fs.readFile(uri);
      assert.equal(
        new TextDecoder('utf-8', { fatal: true }).decode(bytes),
        `${head}\u00e9${tail}`,
        'the file is valid UTF-8 with "é"',
      );
      await waitFor(() => encodingDiagnostics(uri).length === 0, 'the encoding problem to go', 30_000);
      const again = await vscode.commands.executeCommand<ValidationOutcome>(
        commandIds.validateInputFile,
        uri,
      );
      assert.equal(again.ok, true, `Validate says ok: ${again.problems.map((p) => p.message).join(' | ')}`);
      assert.deepEqual(encodingDiagnostics(uri), []);
    } finally {
      await autoSave.update('autoSave', undefined, vscode.ConfigurationTarget.Workspace);
    }
  });
});
