import * as assert from 'node:assert/strict';
import { rm, writeFile } from 'node:fs/promises';
import * as vscode from 'vscode';
import type { ExtensionApi } from '../../src/extension';
import type { RunSubject } from '../../src/core/runs/runEvents';
import { seedEnvironmentNames, seedFlowNames, seedNames } from '../../src/sandbox/seed';
import { startSandbox } from '../../src/sandbox/server';
import { commandIds } from '../../src/vscode/commandIds';
import { activateExtension, makerAttended, note, waitFor } from './helpers';

type Sandbox = Awaited<ReturnType<typeof startSandbox>>;

/** Sandbox time runs this many times faster: Echo Text (20 s) takes 1 s; Long Running Report 90 s. */
const speed = 20;
/** `flowsession.statuscode` of a cancelled run. */
const cancelledStatusCode = 7;

describe('Flow tests in Test Explorer against the sandbox', function () {
  this.timeout(180_000);
  let api: ExtensionApi;
  let sandbox: Sandbox;
  let accountId: string;
  let root: vscode.Uri;
  const settings = vscode.workspace.getConfiguration('desktopFlows');

  function sandboxRuns(): { id: string; flow: string; statuscode: number }[] {
    const runs = sandbox.environments.get(seedEnvironmentNames.dev)?.runs;
    return [...(runs?.entries() ?? [])].map(([id, r]) => ({
      id,
      flow: r.flow.name,
      statuscode: Number(r.row.statuscode),
    }));
  }

  function json(content: unknown): string {
    return `${JSON.stringify(content, null, 2)}\n`;
  }

  /** Applies a workspace edit, as VS Code's Explorer, refactorings and other extensions change files. */
  async function apply(build: (edit: vscode.WorkspaceEdit) => void, what: string): Promise<void> {
    const edit = new vscode.WorkspaceEdit();
    build(edit);
    assert.ok(await vscode.workspace.applyEdit(edit), `VS Code applied the edit: ${what}`);
  }

  /** Creates test files the way the user does in VS Code (Explorer's New File, a workspace edit). */
  async function create(files: [vscode.Uri, string][]): Promise<void> {
    await apply(
      (edit) => {
        for (const [uri, text] of files) {
          edit.createFile(uri, { contents: new TextEncoder().encode(text) });
        }
      },
      `create ${files.map(([u]) => u.path).join(', ')}`,
    );
  }

  async function writeJson(uri: vscode.Uri, content: unknown): Promise<void> {
    await create([[uri, json(content)]]);
  }

  /** A folder of this test's own, so every `it` runs alone and in any order. */
  function folder(name: string): vscode.Uri {
    return vscode.Uri.joinPath(root, `${name}-${Date.now()}`);
  }

  function echoTest(text: string, integer: number, expected: Record<string, unknown>): unknown {
    return {
      flow: seedFlowNames.echoText,
      environment: 'Contoso Dev',
      inputs: { inputText: text, inputInteger: integer },
      expect: { status: 'succeeded', outputs: expected },
    };
  }

  /** The test item of a file this test created (in VS Code: its own file events report it, no watcher needed). */
  async function item(uri: vscode.Uri): Promise<vscode.TestItem> {
    await api.flowTests.discover();
    return waitFor(() => api.flowTests.itemFor(uri), `the test item of ${uri.path}`);
  }

  function runTests(items: vscode.TestItem[], token = new vscode.CancellationTokenSource().token) {
    return api.flowTests.run(new vscode.TestRunRequest(items), token);
  }

  before(async () => {
    api = await activateExtension();
    await api.restored;
    const workspaceFolder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(workspaceFolder, 'the integration host opens a workspace folder');
    root = vscode.Uri.joinPath(workspaceFolder.uri, `flowtests-it-${Date.now()}`);
    await settings.update('runs.pollIntervalMinSeconds', 1, vscode.ConfigurationTarget.Global);
    await settings.update('runs.pollIntervalMaxSeconds', 2, vscode.ConfigurationTarget.Global);
    await settings.update('runs.notifyOnCompletion', 'off', vscode.ConfigurationTarget.Workspace);
    await settings.update('runs.revealTranscript', 'never', vscode.ConfigurationTarget.Workspace);
    // Tests that name no connection use the setting (the file's run.connection would win).
    await settings.update(
      'tests.connection',
      seedNames.connections.makerMachine,
      vscode.ConfigurationTarget.Workspace,
    );
    sandbox = await startSandbox({ port: 0, speed });
    accountId =
      (await vscode.commands.executeCommand<string>(commandIds.trySandbox, { url: sandbox.url })) ?? '';
    assert.ok(accountId, 'Try the Sandbox returned the signed-in account');
    await waitFor(() => api.isSignedIn(), 'signed in');
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.workspace.fs
      .delete(root, { recursive: true, useTrash: false })
      .then(undefined, () => undefined);
    for (const key of ['runs.pollIntervalMinSeconds', 'runs.pollIntervalMaxSeconds']) {
      await settings.update(key, undefined, vscode.ConfigurationTarget.Global);
    }
    for (const key of ['runs.notifyOnCompletion', 'runs.revealTranscript', 'tests.connection']) {
      await settings.update(key, undefined, vscode.ConfigurationTarget.Workspace);
    }
    if (accountId) {
      await vscode.commands.executeCommand(commandIds.signOut, accountId);
    }
    await sandbox?.stop();
  });

  it('Flow tests: discovers *.flowtest.json grouped by folder, follows files created, edited and saved, renamed and deleted in VS Code, and shows an invalid file’s error', async () => {
    await api.flowTests.discover();
    const dir = folder('discovery');
    const a = vscode.Uri.joinPath(dir, 'echo-a.flowtest.json');
    const b = vscode.Uri.joinPath(dir, 'echo-b.flowtest.json');
    const bad = vscode.Uri.joinPath(dir, 'nested', 'broken.flowtest.json');
    // New files, as Explorer's New File (or another extension's workspace edit) creates them.
    await create([
      [a, json(echoTest('a', 1, { outputText: 'a' }))],
      [b, json({ ...(echoTest('b', 2, {}) as object), name: 'Echo B' })],
      [bad, '{\n  "flow": "Echo Text",\n  "expect": { "status": "finished" }\n}\n'],
    ]);
    const itemA = await waitFor(() => api.flowTests.itemFor(a), 'the created test a');
    const itemB = await waitFor(() => api.flowTests.itemFor(b), 'the created test b');
    const itemBad = await waitFor(() => api.flowTests.itemFor(bad), 'the created invalid test');
    const group = api.flowTests.itemFor(dir);
    assert.ok(group, 'the folder is a group');
    assert.equal(group.label, vscode.workspace.asRelativePath(dir, false));
    assert.equal(group.children.get(itemA.id), itemA, 'the folder groups its tests');
    assert.equal(group.children.get(itemB.id), itemB);
    assert.equal(itemA.label, 'echo-a', 'the file name names a test without "name"');
    assert.equal(itemB.label, 'Echo B');
    assert.equal(
      api.flowTests.itemFor(vscode.Uri.joinPath(dir, 'nested'))?.children.get(itemBad.id),
      itemBad,
      'a sub-folder is a group of its own',
    );
    const error = itemBad.error;
    assert.ok(error, 'the invalid test shows its error');
    assert.match(
      typeof error === 'string' ? error : error.value,
      /Line 3:.*"finished" is not a final run status/,
    );
    const problems = await waitFor(
      () => (api.flowTests.diagnostics(bad).length > 0 ? api.flowTests.diagnostics(bad) : undefined),
      'the problems of the invalid file',
    );
    assert.equal(problems[0]?.range.start.line, 2, 'the problem points at line 3');
    note(`problem: ${problems[0]?.message ?? ''}`);

    // A new name typed in the editor: the item follows the edit, and the saved file keeps it.
    const document = await vscode.workspace.openTextDocument(a);
    await vscode.window.showTextDocument(document);
    const renamed = json({ ...(echoTest('a', 1, {}) as object), name: 'Echo A renamed' });
    await apply(
      (edit) => edit.replace(a, document.validateRange(new vscode.Range(0, 0, 1e6, 0)), renamed),
      'the new name',
    );
    await waitFor(() => api.flowTests.itemFor(a)?.label === 'Echo A renamed', 'the edited name');
    assert.ok(await document.save(), 'the edited test file was saved');
    assert.equal(new TextDecoder().decode(await vscode.workspace.fs.readFile(a)), renamed);
    assert.equal(api.flowTests.itemFor(a)?.label, 'Echo A renamed', 'the saved name stays');
    assert.equal(api.flowTests.itemFor(a)?.description, seedFlowNames.echoText);

    // A file moved to another folder (Explorer's rename and drag-and-drop): its item moves with it.
    const moved = vscode.Uri.joinPath(dir, 'moved', 'echo-b-moved.flowtest.json');
    await apply((edit) => edit.renameFile(b, moved), 'move echo-b');
    await waitFor(() => api.flowTests.itemFor(moved)?.label === 'Echo B', 'the moved test at its new place');
    assert.equal(api.flowTests.itemFor(b), undefined, 'the moved test is gone from its old place');
    assert.equal(
      api.flowTests.itemFor(vscode.Uri.joinPath(dir, 'moved'))?.children.size,
      1,
      'the new folder groups the moved test',
    );
    assert.equal(api.flowTests.itemFor(dir)?.children.get(itemA.id)?.label, 'Echo A renamed');

    // A file deleted: its item, its empty folder group and its problems go.
    await apply((edit) => edit.deleteFile(bad), 'delete the invalid test');
    await waitFor(() => api.flowTests.itemFor(bad) === undefined, 'the deleted test gone');
    assert.equal(
      api.flowTests.itemFor(vscode.Uri.joinPath(dir, 'nested')),
      undefined,
      'the emptied folder group is gone',
    );
    assert.deepEqual(api.flowTests.diagnostics(bad), [], 'the deleted file’s problems are gone');

    // A folder renamed: its tests move with it, under the folder's new name.
    const renamedDir = vscode.Uri.joinPath(dir, '..', `${dir.path.split('/').pop() ?? ''}-renamed`);
    await apply((edit) => edit.renameFile(dir, renamedDir), 'rename the folder');
    const movedA = vscode.Uri.joinPath(renamedDir, 'echo-a.flowtest.json');
    const movedB = vscode.Uri.joinPath(renamedDir, 'moved', 'echo-b-moved.flowtest.json');
    await waitFor(
      () =>
        api.flowTests.itemFor(movedA)?.label === 'Echo A renamed' &&
        api.flowTests.itemFor(movedB)?.label === 'Echo B',
      'the tests of the renamed folder at their new place',
    );
    assert.equal(api.flowTests.itemFor(a), undefined, 'nothing is left at the old folder');
    assert.equal(api.flowTests.itemFor(moved), undefined);
    assert.equal(api.flowTests.itemFor(dir), undefined, 'the old folder group is gone');
    assert.equal(
      api.flowTests.itemFor(renamedDir)?.label,
      vscode.workspace.asRelativePath(renamedDir, false),
    );
  });

  it('Flow tests: a test file written outside VS Code (another tool, a terminal) appears, changes and goes through the file watcher', async () => {
    // In the workspace folder itself, watched since the window opened. (The recursive watcher can miss a
    // folder created inside a folder created a moment before: Test Explorer's Refresh finds those files.)
    await api.flowTests.discover();
    const workspaceFolder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(workspaceFolder);
    const file = vscode.Uri.joinPath(workspaceFolder.uri, `outside-${Date.now()}.flowtest.json`);
    const watcherMs = 30_000;
    try {
      await writeFile(file.fsPath, json(echoTest('o', 1, {})));
      await waitFor(() => api.flowTests.itemFor(file), 'the watcher to report the new file', watcherMs);
      await writeFile(file.fsPath, json({ ...(echoTest('o', 1, {}) as object), name: 'Outside renamed' }));
      await waitFor(
        () => api.flowTests.itemFor(file)?.label === 'Outside renamed',
        'the watcher to report the changed file',
        watcherMs,
      );
      await rm(file.fsPath);
      await waitFor(
        () => api.flowTests.itemFor(file) === undefined,
        'the watcher to report the deleted file',
        watcherMs,
      );
    } finally {
      await rm(file.fsPath, { force: true });
    }
  });

  it('Flow tests: runs one test through the sandbox: passed, with its run’s transcript lines and its duration', async () => {
    const dir = folder('one');
    const file = vscode.Uri.joinPath(dir, 'echo.flowtest.json');
    await writeJson(file, echoTest('hello', 5, { outputText: 'hello', outputInteger: 5 }));
    const before = sandboxRuns().length;
    const test = await item(file);
    const report = await runTests([test]);
    const result = report.get(test.id);
    assert.ok(result, 'the test reported');
    assert.equal(result.outcome, 'passed', JSON.stringify(result.messages));
    assert.ok((result.durationMs ?? 0) > 0, 'a duration is reported');
    assert.ok(result.runId, 'the run id is known');
    assert.match(result.output, /Echo Text/);
    assert.match(result.output, /succeeded/);
    assert.ok(result.output.includes('\r\n'), 'the test output uses CRLF');
    assert.ok(!/[^\r]\n/.test(result.output), 'every line ends with CRLF');
    assert.equal(sandboxRuns().length - before, 1, 'exactly one run reached the sandbox');
    note(`output:\n${result.output.trim()}`);
  });

  it('Flow tests: runs a folder, several tests at once; a failing test reports a diff per mismatched output and a wrong status', async () => {
    const dir = folder('folder');
    const pass = vscode.Uri.joinPath(dir, 'pass.flowtest.json');
    const fail = vscode.Uri.joinPath(dir, 'fail.flowtest.json');
    const status = vscode.Uri.joinPath(dir, 'status.flowtest.json');
    await writeJson(pass, echoTest('same', 1, { outputText: 'same' }));
    await writeJson(fail, echoTest('actual', 2, { outputText: 'expected', outputInteger: 3 }));
    await writeJson(status, {
      flow: seedFlowNames.scrapePortal,
      environment: 'Contoso Dev',
      run: { connection: seedNames.connections.makerMachine },
      expect: { status: 'succeeded' },
    });
    for (const f of [pass, fail, status]) {
      await item(f);
    }
    const group = api.flowTests.itemFor(dir);
    assert.ok(group);
    const before = sandboxRuns().length;
    const report = await runTests([group]);
    assert.equal(sandboxRuns().length - before, 3, 'one run per test of the folder');
    const byFile = (uri: vscode.Uri) => report.get(uri.toString());
    assert.equal(byFile(pass)?.outcome, 'passed');
    const failed = byFile(fail);
    assert.equal(failed?.outcome, 'failed');
    const diffs = failed?.messages ?? [];
    assert.equal(diffs.length, 2, `one message per mismatch: ${JSON.stringify(diffs)}`);
    const text = diffs.find((m) => /outputText/.test(m.message));
    assert.equal(text?.expected, '"expected"');
    assert.equal(text?.actual, '"actual"');
    assert.ok(text?.line !== undefined && text.line > 1, 'the message points at the expected output');
    const integer = diffs.find((m) => /outputInteger/.test(m.message));
    assert.equal(integer?.expected, '3');
    assert.equal(integer?.actual, '2');
    const wrong = byFile(status);
    assert.equal(wrong?.outcome, 'failed');
    assert.match(wrong?.messages[0]?.message ?? '', /ended failed \(ActionFailed\); expected succeeded/);
    note(`diff: ${text?.message ?? ''} | status: ${wrong?.messages[0]?.message ?? ''}`);
  });

  it('Flow tests: a test whose inputs break the flow’s input schema errors with the problem at its line, and nothing is sent', async () => {
    const dir = folder('invalid-inputs');
    const file = vscode.Uri.joinPath(dir, 'bad-inputs.flowtest.json');
    await writeJson(file, echoTest('x', 'seven' as unknown as number, {}));
    const test = await item(file);
    const before = sandboxRuns().length;
    const report = await runTests([test]);
    const result = report.get(test.id);
    assert.equal(result?.outcome, 'errored');
    assert.match(result?.messages[0]?.message ?? '', /inputInteger/);
    assert.equal(result?.messages[0]?.line, 6, 'the message points at "inputInteger" in the file');
    assert.equal(sandboxRuns().length, before, 'nothing was sent');
    const problems = api.flowTests.diagnostics(file);
    assert.ok(
      problems.some((d) => /inputInteger/.test(d.message) && d.range.start.line === 5),
      `the Problems panel has it at line 6: ${problems.map((d) => `${d.range.start.line + 1} ${d.message}`).join(' | ')}`,
    );
  });

  it('Flow tests: a test file, or the input file a test names, whose bytes are not valid UTF-8 (Latin-1 "é") errors at the broken byte, and nothing is sent', async () => {
    const dir = folder('latin1');
    const latin1 = (head: string, tail: string): Uint8Array =>
      Uint8Array.from([...new TextEncoder().encode(head), 0xe9, ...new TextEncoder().encode(tail)]);
    const inline = vscode.Uri.joinPath(dir, 'inline.flowtest.json');
    const named = vscode.Uri.joinPath(dir, 'named.flowtest.json');
    const inputs = vscode.Uri.joinPath(dir, 'inputs', 'latin1.json');
    await apply((edit) => {
      edit.createFile(inline, {
        contents: latin1(
          `{\n  "flow": "${seedFlowNames.echoText}",\n  "environment": "Contoso Dev",\n  "inputs": { "inputInteger": 7, "inputText": "Caf`,
          ' au lait" }\n}\n',
        ),
      });
      edit.createFile(named, {
        contents: new TextEncoder().encode(
          json({ flow: seedFlowNames.echoText, environment: 'Contoso Dev', inputs: 'inputs/latin1.json' }),
        ),
      });
      edit.createFile(inputs, {
        contents: latin1('{\n  "inputInteger": 7,\n  "inputText": "Caf', ' au lait"\n}\n'),
      });
    }, 'create the Latin-1 test and input files');
    const inlineTest = await item(inline);
    const namedTest = await item(named);
    const before = sandboxRuns().length;
    const report = await runTests([inlineTest, namedTest]);

    const inlineResult = report.get(inlineTest.id);
    note(inlineResult?.messages[0]?.message ?? 'no message');
    assert.equal(inlineResult?.outcome, 'errored');
    assert.match(
      inlineResult?.messages[0]?.message ?? '',
      /inline\.flowtest\.json" is not valid UTF-8: byte \d+ \(line 4, column 51\) is 0xE9\b.*Save it as UTF-8.* Nothing was sent\./,
    );
    assert.equal(inlineResult?.messages[0]?.line, 4, 'the message points at the broken byte');

    const namedResult = report.get(namedTest.id);
    note(namedResult?.messages[0]?.message ?? 'no message');
    assert.equal(namedResult?.outcome, 'errored');
    assert.match(
      namedResult?.messages[0]?.message ?? '',
      /inputs\/latin1\.json" is not valid UTF-8: byte \d+ \(line 3, column 20\) is 0xE9\b.*Save it as UTF-8/,
    );
    assert.equal(sandboxRuns().length, before, 'nothing was sent');
  });

  it('Flow tests: cancelling the test run cancels the run it started in the service and says so', async () => {
    const dir = folder('cancel');
    const file = vscode.Uri.joinPath(dir, 'long.flowtest.json');
    await writeJson(file, {
      flow: seedFlowNames.longReport,
      environment: 'Contoso Dev',
      expect: { status: 'succeeded' },
    });
    const test = await item(file);
    const known = new Set(sandboxRuns().map((r) => r.id));
    const cts = new vscode.CancellationTokenSource();
    const running = runTests([test], cts.token);
    const started = await waitFor(
      () => sandboxRuns().find((r) => !known.has(r.id) && r.flow === seedFlowNames.longReport),
      'the long run in the sandbox',
      30_000,
    );
    cts.cancel();
    const report = await running;
    const result = report.get(test.id);
    assert.equal(result?.outcome, 'skipped');
    assert.match(
      result?.output ?? '',
      /The test run was cancelled: its run [0-9a-f]{8} of "Long Running Report" was cancelled in the service \(CancelDesktopFlowRun\)\./,
    );
    await waitFor(
      () => sandboxRuns().find((r) => r.id === started.id)?.statuscode === cancelledStatusCode,
      'the sandbox run cancelled',
      30_000,
    );
    cts.dispose();
  });

  it('Flow tests: Create Test from Run writes the run’s inputs (sensitive ones as ${secret:} references) and outputs, and the test passes', async () => {
    const password = `pw-${Date.now()}`;
    const run = await vscode.commands.executeCommand<RunSubject | undefined>(commandIds.runFlow, {
      environment: 'Contoso Dev',
      flowName: seedFlowNames.credentials,
      inputs: { Username: 'maker@contoso.example', Password: password },
      ...makerAttended,
    });
    assert.ok(run, 'the run started');
    await waitFor(
      () => api.runs.store.find(run.environment.orgUrl, run.runId)?.phase === 'finished',
      'the run finished',
      60_000,
    );
    const file = vscode.Uri.joinPath(folder('from-run'), 'credentials.flowtest.json');
    const written = await vscode.commands.executeCommand<string>(commandIds.createTestFromRun, run, {
      file: file.fsPath,
    });
    assert.equal(vscode.Uri.parse(written).fsPath, file.fsPath);
    assert.equal(vscode.window.activeTextEditor?.document.uri.fsPath, file.fsPath, 'the new test is opened');
    const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(file));
    note(`written:\n${text.trim()}`);
    assert.ok(!text.includes(password), 'the sensitive input is not in the file');
    assert.ok(!text.includes('tok-7d1e0c'), 'the sensitive output is not in the file');
    assert.match(text, /"Password": "\$\{secret:SensitiveCredentials_Password\}"/);
    assert.match(text, /"LoggedIn": true/);

    await api.inputFiles.secrets.set('SensitiveCredentials_Password', password);
    const test = await item(file);
    const report = await runTests([test]);
    const result = report.get(test.id);
    assert.equal(result?.outcome, 'passed', JSON.stringify(result?.messages));
    assert.ok(!(result?.output ?? '').includes(password), 'the secret is masked in the test output');
  });
});
