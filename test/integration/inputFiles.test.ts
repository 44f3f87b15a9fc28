import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { ExtensionApi } from '../../src/extension';
import type { RunSubject } from '../../src/core/runs/runEvents';
import { buildSchemaText } from '../../src/sandbox/flowSchema';
import { seedEnvironmentNames, seedFlowNames, seedIds } from '../../src/sandbox/seed';
import type { Sandbox } from '../../src/sandbox/server';
import { commandIds } from '../../src/vscode/commandIds';
import type { ValidationOutcome } from '../../src/vscode/commands/inputCommands';
import { diagnosticSource } from '../../src/vscode/inputs/inputDiagnostics';
import type { InputFileNode } from '../../src/vscode/inputs/inputFileNodes';
import type { FlowNode } from '../../src/vscode/tree/flowNodes';
import {
  activateExtension,
  child,
  expectNoDoubleRegistration,
  hostLogProblems,
  label,
  makerAttended,
  note,
  signInToSandbox,
  signOutOfSandbox,
  waitFor,
  workbenchProbe,
  WorkspaceFiles,
} from './helpers';
import { LogChannel } from '../../src/vscode/logChannel';
import { QueuedPrompts } from './queuedPrompts';
import { RunRecorder } from './runRecorder';

const devEnvironmentId = seedIds.environments.dev;
const schemaOf = (flowId: string): string => `desktopflows-schema:/${flowId}.json`;

async function flowNode(api: ExtensionApi, flowName: string): Promise<FlowNode> {
  const env = await child(api, undefined, 'Contoso Dev');
  const flows = await child(api, env, 'Desktop flows');
  return (await child(api, flows, flowName)) as FlowNode;
}

/** Ours (source "Desktop Flows") and the JSON language service's diagnostics of a document. */
function diagnosticsOf(uri: vscode.Uri): { ours: vscode.Diagnostic[]; json: vscode.Diagnostic[] } {
  const all = vscode.languages.getDiagnostics(uri);
  return {
    ours: all.filter((d) => d.source === diagnosticSource),
    json: all.filter((d) => d.source !== diagnosticSource),
  };
}

function codeOf(d: vscode.Diagnostic): string {
  return typeof d.code === 'object' ? String(d.code.value) : String(d.code);
}

function textAt(document: vscode.TextDocument, d: vscode.Diagnostic): string {
  return document.getText(d.range);
}

function describeDiagnostics(list: readonly vscode.Diagnostic[]): string {
  return (
    list
      .map((d) => `[${d.source ?? '?'}:${codeOf(d)}] L${d.range.start.line + 1} ${d.message}`)
      .join(' | ') || 'none'
  );
}

describe('Input files against the sandbox', function () {
  this.timeout(120_000);
  let api: ExtensionApi;
  let sandbox: Sandbox | undefined;
  let accountId = '';
  const files = new WorkspaceFiles();

  async function open(uri: vscode.Uri): Promise<vscode.TextEditor> {
    const document = await vscode.workspace.openTextDocument(uri);
    return vscode.window.showTextDocument(document);
  }

  before(async () => {
    api = await activateExtension();
    await api.restored;
    ({ sandbox, accountId } = await signInToSandbox(api));
    await vscode.workspace
      .getConfiguration('desktopFlows')
      .update('defaultEnvironment', devEnvironmentId, vscode.ConfigurationTarget.Workspace);
    await waitFor(
      async () =>
        (await api.environmentStatus.resolveDefault(AbortSignal.timeout(30_000)))?.environment.id ===
        devEnvironmentId,
      'Contoso Dev as the default environment',
    );
  });

  afterEach(async () => {
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  after(async () => {
    await files.deleteAll();
    await vscode.workspace
      .getConfiguration('desktopFlows')
      .update('defaultEnvironment', undefined, vscode.ConfigurationTarget.Workspace);
    // Only what `before` got to: signing out without an id would ask which account.
    await signOutOfSandbox(accountId, sandbox);
  });

  it("lists a flow's input files even when the group is refreshed while it loads (the index finishing)", async () => {
    const uri = await files.write('.desktopflows/echo-text/hello.json', {
      $schema: schemaOf(seedIds.flows.echoText),
      Text: 'hello',
    });
    await api.inputFiles.index.add(uri);
    const flow = await flowNode(api, seedFlowNames.echoText);
    const group = await child(api, flow, 'Input files');
    // What a new window does: the view asks for the group's files, and the index finishing its first scan
    // refreshes the group before that load has answered.
    const asked = api.explorer.provider.getChildren(group);
    api.explorer.refresh(group);
    const rows = await asked;
    note(`rows the view was given: ${rows.map(label).join(', ') || 'none'}`);
    assert.ok(
      rows.some((r) => label(r) === 'hello.json'),
      'the load the refresh aborted answers with the fresh list, not with nothing',
    );
    const probe = workbenchProbe();
    if (probe) {
      api.explorer.refresh(flow);
      await api.explorer.treeView.reveal(group, { expand: true, select: false, focus: false });
      api.explorer.refresh(group);
      assert.ok(
        await probe.waitForText('hello.json', { timeoutMs: 15_000 }),
        'the view shows the file under "Input files"',
      );
    }
  });

  it("names the environment an input file's $schema pins by its id with the environment's display name in the file's row", async () => {
    const uri = await files.write('.desktopflows/echo-text/pinned-by-id.json', {
      $schema: `desktopflows-schema:/${devEnvironmentId}/${seedIds.flows.echoText}.json`,
      Text: 'pinned',
    });
    await api.inputFiles.index.add(uri);
    const flow = await flowNode(api, seedFlowNames.echoText);
    const row = await waitFor(async () => {
      api.explorer.refresh(flow);
      const group = await child(api, flow, 'Input files');
      const rows = (await api.explorer.provider.getChildren(group)) as InputFileNode[];
      return rows.find((r) => r.uri?.toString() === uri.toString());
    }, 'the pinned file under the flow');
    const item = row.getTreeItem();
    note(`row: ${label(row)} — ${String(item.description)}`);
    assert.match(String(item.description), /env: Contoso Dev$/, 'the row says which environment by its name');
    assert.ok(
      !String(item.description).includes(devEnvironmentId),
      "the row does not show the environment's id",
    );
    const tooltip = item.tooltip instanceof vscode.MarkdownString ? item.tooltip.value : String(item.tooltip);
    assert.ok(
      !tooltip.includes(devEnvironmentId),
      `the tooltip names the environment by its name: ${tooltip}`,
    );
  });

  it("shows a flow's groups in the view when they change while the view is still loading their rows", async () => {
    // The README screenshot's symptom: "Input files" and "Recent runs" expanded and empty. VS Code replaced
    // a group that changed while it was fetching the group's rows; the rows landed on the replaced node and
    // the fetch that followed failed ("Element with id … is already registered").
    const uri = await files.write('.desktopflows/echo-text/while-loading.json', {
      $schema: schemaOf(seedIds.flows.echoText),
      inputText: 'while loading',
    });
    await api.inputFiles.index.add(uri);
    await vscode.commands.executeCommand('desktopFlows.explorer.focus');
    const flow = await flowNode(api, seedFlowNames.echoText);
    const { orgUrl } = flow.environment;
    const before = api.runs.recentRuns.groupFor(orgUrl, flow.flow.id);
    // The flow's history answers slowly, so the view is still loading "Recent runs" when the group changes.
    const slow = sandbox?.faults.add({
      method: 'GET',
      path: '/org/*/api/data/v9.2/flowsessions',
      kind: 'delay',
      delayMs: 2_500,
      count: 2,
    });
    try {
      // The tree view rejects while it is still rendering: tried again.
      for (let i = 0; ; i++) {
        try {
          await api.explorer.treeView.reveal(flow, { select: true, focus: false, expand: false });
          break;
        } catch (e) {
          if (i > 40) {
            throw e;
          }
          await new Promise((r) => setTimeout(r, 250));
        }
      }
      // The flow read again (the node the view holds: an earlier test may have expanded it) and expanded two
      // levels: the view loads its groups, then each group's rows.
      const held = api.explorer.treeView.selection[0] ?? flow;
      api.explorer.refresh(held);
      const expanding = api.explorer.treeView.reveal(held, { expand: 2, select: true, focus: false });
      const group = await waitFor(() => {
        const g = api.runs.recentRuns.groupFor(orgUrl, flow.flow.id);
        return g !== undefined && g !== before ? g : undefined;
      }, 'the view to load the groups of the flow');
      // The view asks for the rows of each group it expands; "Recent runs" waits on the slow service.
      await new Promise((r) => setTimeout(r, 500));
      api.explorer.refresh(group);
      await expanding;
      const rows = await api.explorer.provider.getChildren(group);
      note(`Recent runs: ${rows.map(label).slice(0, 3).join(' | ')}`);
      const firstRun = rows.find((r) => / ago/.test(label(r)));
      assert.ok(firstRun, 'the flow has runs (the seeded history)');
      // The view can reveal a row of the group: VS Code holds the group with its rows, without a duplicate.
      await api.explorer.treeView.reveal(firstRun, { select: true, focus: false });
      const probe = workbenchProbe();
      if (probe === undefined) {
        note('desktop VS Code: the rows were revealed; the window itself cannot be looked at');
        return;
      }
      const row = (level: number): string => `.part.sidebar .monaco-list-row[aria-level="${level}"]`;
      await expectNoDoubleRegistration(probe, [
        {
          text: label(firstRun),
          selector: row(5),
          what: `the view shows the run "${label(firstRun)}" under "Recent runs"`,
        },
        {
          text: 'while-loading.json',
          selector: row(5),
          what: 'the view shows the input file under "Input files"',
        },
      ]);
    } finally {
      if (slow !== undefined) {
        sandbox?.faults.remove(slow.id);
      }
    }
  });

  it('leaves the extension host log free of warnings about settings (resource scopes) while validating', async () => {
    const uri = await files.write('.desktopflows/echo-text/log-check.json', {
      $schema: schemaOf(seedIds.flows.echoText),
      Nope: 1,
    });
    await open(uri);
    await waitFor(
      () => diagnosticsOf(uri).ours.some((d) => codeOf(d) === 'unknownInput'),
      'the file validated',
      30_000,
    );
    // New Input File and Save Outputs read desktopFlows.inputs.folder (resource scope) for a folder.
    const folderUri = await vscode.commands.executeCommand<vscode.Uri>(
      commandIds.newInputFile,
      { environment: devEnvironmentId, flowId: seedIds.flows.echoText },
      { fileName: 'log-check-new' },
    );
    files.created.push(folderUri);
    const problems = await hostLogProblems(api);
    note(`host log lines about the extension: ${problems.length}`);
    assert.deepEqual(problems, [], 'no warnings or errors about Desktop Flows in the extension host log');
  });

  it('drops log lines written after the log channel closed, instead of throwing "Channel has been closed"', () => {
    const log = new LogChannel('Desktop Flows (closing)');
    log.dispose();
    // What the command error path does when the window closes under an open prompt.
    assert.doesNotThrow(() => {
      log.warn('[desktopFlows.test] late warning');
      log.error('[desktopFlows.test] late error');
      log.error(new Error('late error object'));
      log.info('late info');
    });
    assert.equal(log.isDisposed, true);
  });

  it("serves a flow's inputs as JSON Schema under desktopflows-schema:", async () => {
    const document = await vscode.workspace.openTextDocument(
      vscode.Uri.parse(schemaOf(seedIds.flows.invoice)),
    );
    const schema = JSON.parse(document.getText()) as {
      title: string;
      properties: Record<string, { markdownDescription?: string }>;
      required?: string[];
      additionalProperties: boolean;
    };
    assert.equal(schema.title, seedFlowNames.invoice);
    const inputs = Object.keys(schema.properties).filter((k) => k !== '$schema');
    note(`inputs served: ${inputs.join(', ')}`);
    assert.deepEqual(inputs, [
      'InvoiceId',
      'Amount',
      'IsUrgent',
      'Customer',
      'LineItems',
      'Ledger',
      'ApiKey',
      'Notes',
    ]);
    assert.match(schema.properties.Amount?.markdownDescription ?? '', /Invoice total/);
    assert.match(schema.properties.ApiKey?.markdownDescription ?? '', /secret/);
    // A guide for completion and hover only: the input diagnostics report the problems, once.
    assert.equal(schema.additionalProperties, undefined);
    assert.equal(schema.required, undefined);
    assert.ok(
      Object.values(schema.properties).every((p) => !('type' in p) && !('anyOf' in p)),
      'no property constrains its value',
    );
  });

  it('reports each problem of an input file once, and what blocks a run as an error', async () => {
    // The comment is the JSON language service's to report (comments are not JSON): its diagnostic shows
    // that the service has checked this file against the served schema.
    const uri = await files.write(
      '.desktopflows/invoice-processing/bad.json',
      [
        '{',
        `  "$schema": "${schemaOf(seedIds.flows.invoice)}",`,
        '  // a note',
        '  "InvoiceId": "INV-1",',
        '  "Amount": "twelve",',
        '  "ApiKey": "literal-api-key-1234",',
        '  "Unknwn": 1',
        '}',
        '',
      ].join('\n'),
    );
    const { document } = await open(uri);
    const found = await waitFor(
      () => {
        const d = diagnosticsOf(uri);
        const comment = d.json.find((x) => document.getText(x.range).startsWith('// a note'));
        const type = d.ours.find((x) => codeOf(x) === 'type' && textAt(document, x) === '"twelve"');
        const unknown = d.ours.find((x) => codeOf(x) === 'unknownInput');
        const literal = d.ours.find((x) => codeOf(x) === 'sensitiveLiteral');
        return comment && type && unknown && literal ? { d, comment, type, unknown, literal } : undefined;
      },
      'the JSON language service and Desktop Flows diagnostics',
      30_000,
    );
    const all = vscode.languages.getDiagnostics(uri);
    note(`diagnostics: ${describeDiagnostics(all)}`);
    assert.equal(found.type.severity, vscode.DiagnosticSeverity.Error, 'a wrong type blocks the run');
    assert.equal(
      found.unknown.severity,
      vscode.DiagnosticSeverity.Error,
      'an unknown input name blocks the run',
    );
    assert.equal(textAt(document, found.literal), '"literal-api-key-1234"');
    assert.equal(
      found.literal.severity,
      vscode.DiagnosticSeverity.Warning,
      'a literal secret does not block',
    );
    assert.match(found.literal.message, /\$\{secret:/);
    assert.deepEqual(
      found.d.json.map((x) => x.message),
      [found.comment.message],
      'the JSON language service reports only what is not JSON, not the schema problems again',
    );
    const ranges = all.map((x) => `${x.range.start.line}:${x.range.start.character}`);
    assert.deepEqual(
      ranges.filter((r, i) => ranges.indexOf(r) !== i),
      [],
      'one diagnostic per place: each problem shown once (Problems view, hovers)',
    );
    assert.deepEqual(
      found.d.ours.filter((x) => codeOf(x) === 'syntax' || codeOf(x) === 'comment').map(codeOf),
      [],
      'what the JSON language service reports is not repeated either',
    );
  });

  it('reports a flow that does not exist in the default environment on the $schema line', async () => {
    const missing = '0b1c2d3e-0000-4000-8000-00000000dead';
    const uri = await files.write('.desktopflows/missing.json', {
      $schema: schemaOf(missing),
      Anything: 1,
    });
    const { document } = await open(uri);
    const diagnostic = await waitFor(
      () => diagnosticsOf(uri).ours.find((d) => codeOf(d) === 'flow:flowNotFound'),
      'a "flow not found" diagnostic',
      30_000,
    );
    note(diagnostic.message);
    assert.equal(diagnostic.range.start.line, 1, 'on the $schema line');
    assert.equal(textAt(document, diagnostic), JSON.stringify(schemaOf(missing)));
    assert.equal(diagnostic.severity, vscode.DiagnosticSeverity.Error);
    assert.match(diagnostic.message, /does not exist in environment "Contoso Dev"/);
  });

  it("offers the flow's input names in completion, and Run/Validate CodeLenses", async () => {
    const uri = await files.write(
      '.desktopflows/invoice-processing/completion.json',
      `{\n  "$schema": "${schemaOf(seedIds.flows.invoice)}",\n  \n}\n`,
    );
    await open(uri);
    await waitFor(() => api.inputFiles.inputFileActive, 'desktopFlows.inputFileActive for the input file');
    const wanted = ['InvoiceId', 'Amount', 'ApiKey', 'Notes'];
    const labels = await waitFor(
      async () => {
        const list = await vscode.commands.executeCommand<vscode.CompletionList>(
          'vscode.executeCompletionItemProvider',
          uri,
          new vscode.Position(2, 2),
        );
        const names = list.items.map((i) =>
          (typeof i.label === 'string' ? i.label : i.label.label).replace(/"/g, ''),
        );
        return wanted.every((w) => names.includes(w)) ? names : undefined;
      },
      "completion with the flow's inputs",
      30_000,
    );
    note(`completion: ${labels.join(', ')}`);

    const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>(
      'vscode.executeCodeLensProvider',
      uri,
    );
    const commands = lenses.map((l) => l.command?.command);
    assert.ok(commands.includes(commandIds.runInputFile), `lenses: ${commands.join(', ')}`);
    assert.ok(commands.includes(commandIds.validateInputFile));
    const run = lenses.find((l) => l.command?.command === commandIds.runInputFile);
    assert.equal(String(run?.command?.arguments?.[0]), uri.toString());

    const plain = await files.write('.desktopflows/not-an-input.json', { name: 'just json' });
    await open(plain);
    await waitFor(() => !api.inputFiles.inputFileActive, 'desktopFlows.inputFileActive off for other JSON');
  });

  it('New Input File creates a file under the inputs folder that validates, listed under its flow', async () => {
    const uri = await vscode.commands.executeCommand<vscode.Uri>(
      commandIds.newInputFile,
      { environment: devEnvironmentId, flowId: seedIds.flows.longReport },
      { fileName: 'monthly' },
    );
    assert.ok(uri, 'the command returns the new file');
    files.created.push(uri);
    assert.equal(
      vscode.workspace.asRelativePath(uri, false),
      '.desktopflows/long-running-report/monthly.json',
    );
    const content = JSON.parse(new TextDecoder().decode(await vscode.workspace.fs.readFile(uri))) as Record<
      string,
      unknown
    >;
    assert.deepEqual(
      content,
      { $schema: schemaOf(seedIds.flows.longReport), Month: '2025-01' },
      'no environment: the default one',
    );
    assert.equal(
      vscode.window.activeTextEditor?.document.uri.toString(),
      uri.toString(),
      'the new file is opened',
    );

    const outcome = await vscode.commands.executeCommand<ValidationOutcome>(
      commandIds.validateInputFile,
      uri,
    );
    assert.equal(outcome.resolved, true);
    assert.equal(outcome.ok, true);
    assert.deepEqual(outcome.problems, []);

    const flow = await flowNode(api, seedFlowNames.longReport);
    const rows = await waitFor(async () => {
      api.explorer.refresh(flow);
      const group = await child(api, flow, 'Input files');
      const files = (await api.explorer.provider.getChildren(group)) as InputFileNode[];
      return files.some((f) => f.uri?.toString() === uri.toString()) ? files : undefined;
    }, 'the new file under the flow');
    assert.ok(rows.every((r) => /\binputFile\b/.test(r.getTreeItem().contextValue ?? '')));
  });

  it('runs an input file with a ${secret:} reference from its CodeLens: refused until stored, then the sandbox gets the value, unsaved edits and no $schema; transcript masked; nothing written back', async () => {
    const uri = await vscode.commands.executeCommand<vscode.Uri>(
      commandIds.newInputFile,
      { environment: devEnvironmentId, flowId: seedIds.flows.invoice },
      { fileName: 'invoice-run' },
    );
    files.created.push(uri);
    const first = await vscode.commands.executeCommand<ValidationOutcome>(commandIds.validateInputFile, uri);
    assert.equal(first.ok, false, 'placeholders block a run');
    assert.deepEqual(
      first.problems.filter((p) => p.severity === 'error').map((p) => `${p.code}:${p.input ?? ''}`),
      ['placeholder:InvoiceId', 'placeholder:ApiKey'],
    );

    // A web host (code-server) saves edits after a second by default; this maker saves by hand.
    const autoSave = vscode.workspace.getConfiguration('files');
    await autoSave.update('autoSave', 'off', vscode.ConfigurationTarget.Workspace);
    const recorder = new RunRecorder(api.runs);
    const secret = 'erp-secret-value-0042';
    let started: RunSubject | undefined;
    try {
      // The maker fills the placeholders in the editor and does not save.
      const editor = await open(uri);
      const text = editor.document.getText();
      const filled = JSON.parse(text) as Record<string, unknown>;
      filled.InvoiceId = 'INV-2042';
      filled.ApiKey = '${secret:ERP_KEY}';
      await editor.edit((b) =>
        b.replace(
          new vscode.Range(editor.document.positionAt(0), editor.document.positionAt(text.length)),
          JSON.stringify(filled, null, 2),
        ),
      );
      const second = await vscode.commands.executeCommand<ValidationOutcome>(
        commandIds.validateInputFile,
        uri,
      );
      assert.equal(second.ok, true, `problems: ${second.problems.map((p) => p.message).join(' | ')}`);
      const notSet = await waitFor(
        () => diagnosticsOf(uri).ours.find((d) => codeOf(d) === 'secretNotSet'),
        'a warning that ERP_KEY is not stored',
      );
      assert.match(notSet.message, /ERP_KEY/);

      // "Run" on the file's CodeLens, with the run options given so that nothing is asked.
      const lenses = await waitFor(async () => {
        const list = await vscode.commands.executeCommand<vscode.CodeLens[]>(
          'vscode.executeCodeLensProvider',
          uri,
        );
        return list.some((l) => l.command?.command === commandIds.runInputFile) ? list : undefined;
      }, 'the Run CodeLens of the file');
      const lens = lenses.find((l) => l.command?.command === commandIds.runInputFile)?.command;
      assert.ok(lens);
      const runFromLens = (): Thenable<RunSubject | undefined> =>
        vscode.commands.executeCommand<RunSubject | undefined>(
          lens.command,
          ...((lens.arguments ?? []) as unknown[]),
          makerAttended,
        );
      const dev = sandbox?.environments.get(seedEnvironmentNames.dev);
      assert.ok(dev, 'Contoso Dev in the sandbox');
      const runsBefore = new Set(dev.runs.keys());
      await vscode.commands.executeCommand('notifications.clearAll');
      assert.equal(await runFromLens(), undefined, 'no run started while ERP_KEY is not stored');
      const refusal = await waitFor(
        () => recorder.transcript.find((l) => /was not started; nothing was sent\./.test(l)),
        'the refusal in the transcript',
        30_000,
      );
      note(refusal);
      assert.match(
        refusal,
        /"Invoice Processing" was not started; nothing was sent\. .*invoice-run\.json: at line \d+, column \d+: \$\{secret:ERP_KEY\} for "ApiKey" has no value\. Store a secret named "ERP_KEY"/,
      );
      assert.deepEqual(
        [...dev.runs.keys()].filter((id) => !runsBefore.has(id)),
        [],
        'the sandbox created no run',
      );
      const probe = workbenchProbe();
      if (probe) {
        assert.ok(
          await probe.waitForText('${secret:ERP_KEY} for "ApiKey" has no value', {
            selector: '.notifications-toasts',
            timeoutMs: 15_000,
          }),
          'the error notification says which secret is missing',
        );
      }

      await api.inputFiles.secrets.set('ERP_KEY', secret);
      started = await runFromLens();
      assert.ok(started?.runId, 'the run started once ERP_KEY is stored');
      const runId = started.runId.toLowerCase();
      const created = [...dev.runs.values()].filter((r) => !runsBefore.has(String(r.row.flowsessionid)));
      assert.deepEqual(
        created.map((r) => String(r.row.flowsessionid).toLowerCase()),
        [runId],
        'the sandbox created this one run',
      );
      const received = created[0]?.inputs ?? {};
      assert.equal(received.$schema, undefined, '$schema is not sent');
      assert.equal(received.InvoiceId, 'INV-2042', 'the unsaved edit is what runs');
      assert.equal(received.ApiKey, secret, 'the reference is resolved for the run');

      const inputsLine = await waitFor(
        () => recorder.transcript.find((l) => /^\s+Inputs: /.test(l)),
        'the inputs of the run in the transcript',
        30_000,
      );
      note(inputsLine.trim());
      assert.match(inputsLine, /"InvoiceId":"INV-2042"/);
      assert.match(inputsLine, /"ApiKey":"\*{8}"/, 'the transcript masks the sensitive input');
      assert.equal(
        api.runs.store
          .find(started.environment.orgUrl, started.runId)
          ?.display?.maskedInputs?.includes('"ApiKey":"********"'),
        true,
        'the run as the Runs view and Run Again keep it: masked',
      );
      assert.ok(!recorder.transcript.join('\n').includes(secret), 'the transcript never shows the value');
      assert.ok(!editor.document.getText().includes(secret), 'the editor never sees the value');
      assert.ok(editor.document.isDirty, 'the edits that ran are still unsaved');
      const onDisk = new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
      assert.ok(!onDisk.includes(secret), 'the file on disk never gets the value');
      assert.ok(onDisk.includes('<required:'), `the file on disk keeps its placeholders: ${onDisk}`);
      await waitFor(
        () => !diagnosticsOf(uri).ours.some((d) => codeOf(d) === 'secretNotSet'),
        'the warning gone once stored',
      );
    } finally {
      recorder.dispose();
      await api.inputFiles.secrets.delete('ERP_KEY');
      // The edits are dropped before saving after a delay applies again.
      await vscode.window.showTextDocument(uri);
      await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
      await autoSave.update('autoSave', undefined, vscode.ConfigurationTarget.Workspace);
      if (started !== undefined) {
        // Leave nothing running for other tests.
        const run = started;
        await api.runs.cancel(run, AbortSignal.timeout(30_000)).catch(() => undefined);
        await waitFor(
          () => api.runs.store.find(run.environment.orgUrl, run.runId)?.phase === 'finished',
          'the run ended',
          60_000,
        );
      }
    }
  });

  it('moves a literal sensitive value into secret storage with the quick fix', async () => {
    const literal = 'literal-erp-key-7781';
    const uri = await files.write('.desktopflows/invoice-processing/literal.json', {
      $schema: schemaOf(seedIds.flows.invoice),
      InvoiceId: 'INV-7',
      ApiKey: literal,
    });
    const { document } = await open(uri);
    const warning = await waitFor(
      () => diagnosticsOf(uri).ours.find((d) => codeOf(d) === 'sensitiveLiteral'),
      'the literal flagged',
      30_000,
    );
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>(
      'vscode.executeCodeActionProvider',
      uri,
      warning.range,
    );
    const move = actions.find((a) => a.title === 'Move the Value to a Secret…');
    assert.ok(move?.command, `quick fixes: ${actions.map((a) => a.title).join(', ')}`);
    // The name prompt comes prefilled with the input's name: accept it as a user pressing Enter.
    const prompts = new QueuedPrompts({ text: (prefilled) => prefilled ?? '' });
    const answering = api.prompts.answerWith(prompts);
    try {
      const moved = await vscode.commands.executeCommand<string>(
        move.command.command,
        ...((move.command.arguments ?? []) as unknown[]),
      );
      assert.equal(prompts.remaining, 0, 'the secret name was asked');
      assert.equal(moved, 'ApiKey');
      assert.equal(await api.inputFiles.secrets.get('ApiKey'), literal, 'the value is in secret storage');
      assert.ok(document.getText().includes('"ApiKey": "${secret:ApiKey}"'), document.getText());
      assert.ok(!document.getText().includes(literal), 'the value left the file');
      await waitFor(
        () => !diagnosticsOf(uri).ours.some((d) => ['sensitiveLiteral', 'secretNotSet'].includes(codeOf(d))),
        'no warning left about ApiKey',
      );
    } finally {
      answering.dispose();
      await api.inputFiles.secrets.delete('ApiKey');
    }
  });

  it('Delete Secret asks in a modal warning; Escape keeps the secret, Delete removes it', async () => {
    await api.inputFiles.secrets.set('DELETE_ME', 'kept-until-confirmed');
    const prompts = new QueuedPrompts('escape', { confirm: 'Delete' });
    const answering = api.prompts.answerWith(prompts);
    try {
      const escaped = await vscode.commands.executeCommand<string>(commandIds.deleteSecret, 'DELETE_ME');
      assert.equal(escaped, undefined, 'Escape is a silent cancel');
      assert.equal(await api.inputFiles.secrets.get('DELETE_ME'), 'kept-until-confirmed');
      assert.equal(prompts.asked[0]?.title, 'Delete the secret "DELETE_ME"?');
      const deleted = await vscode.commands.executeCommand<string>(commandIds.deleteSecret, 'DELETE_ME');
      assert.equal(deleted, 'DELETE_ME');
      assert.equal(await api.inputFiles.secrets.get('DELETE_ME'), undefined);
      assert.equal(prompts.remaining, 0);
    } finally {
      answering.dispose();
      await api.inputFiles.secrets.delete('DELETE_ME');
    }
  });

  it("flags an open file's renamed input when the flow's schema changes", async () => {
    const uri = await files.write('.desktopflows/sensitive-credentials/login.json', {
      $schema: schemaOf(seedIds.flows.credentials),
      Username: 'maker',
      Password: '${env:DESKTOPFLOWS_TEST_PASSWORD}',
    });
    const { document } = await open(uri);
    const flow = await flowNode(api, seedFlowNames.credentials);
    await api.explorer.provider.getChildren(flow);
    await waitFor(
      () => diagnosticsOf(uri).ours.some((d) => codeOf(d) === 'envNotSet'),
      'the file checked against the current schema',
    );
    assert.deepEqual(diagnosticsOf(uri).json, [], 'valid against the current schema');

    const row = sandbox?.environments
      .get(seedEnvironmentNames.dev)
      ?.row('workflows', seedIds.flows.credentials);
    assert.ok(row, 'the sandbox has the flow row');
    const original = row.inputs;
    row.inputs = buildSchemaText(
      [
        { name: 'LoginName', type: 'text' },
        { name: 'Password', type: 'text', sensitive: true },
      ],
      true,
    );
    try {
      // The user refreshes the flow in the tree: it fetches the schema again.
      api.explorer.refresh(flow);
      await api.explorer.provider.getChildren(flow);
      const removed = await waitFor(
        () => diagnosticsOf(uri).ours.find((d) => codeOf(d) === 'removedInput'),
        'the renamed input flagged',
        30_000,
      );
      note(removed.message);
      assert.equal(textAt(document, removed), '"Username"');
      assert.match(removed.message, /LoginName/, 'the likely new name is suggested');
      assert.deepEqual(
        vscode.languages.getDiagnostics(uri).filter((d) => textAt(document, d) === '"Username"').length,
        1,
        'reported once',
      );
      // Completion follows the new schema too.
      await waitFor(
        async () => {
          const list = await vscode.commands.executeCommand<vscode.CompletionList>(
            'vscode.executeCompletionItemProvider',
            uri,
            new vscode.Position(1, 0),
          );
          return list.items.some((i) =>
            (typeof i.label === 'string' ? i.label : i.label.label).includes('LoginName'),
          );
        },
        'completion offering the new input name',
        30_000,
      );
    } finally {
      row.inputs = original;
    }
  });
});
