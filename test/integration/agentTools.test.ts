import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { ExtensionApi } from '../../src/extension';
import { seedEnvironmentNames, seedIds, seedNames } from '../../src/sandbox/seed';
import type { Sandbox } from '../../src/sandbox/server';
import { recordEachTest } from './runRecorder';
import {
  activateExtension,
  note,
  signInToSandbox,
  signOutOfSandbox,
  waitFor,
  WorkspaceFiles,
} from './helpers';

/** Sandbox time runs this many times faster: Sensitive Credentials (8 s) takes 0.4 s. */
const speed = 20;
const maker = seedNames.connections.makerMachine;
const literalPassword = 'pw-literal-5b9e71';

interface ToolAnswer {
  readonly text: string;
  readonly data: Record<string, unknown>;
}

/** Invokes a Desktop Flows tool the way chat does, outside a chat request (no toolInvocationToken). */
async function invoke(name: string, input: object): Promise<ToolAnswer> {
  const result = await vscode.lm.invokeTool(name, { input, toolInvocationToken: undefined });
  const texts = result.content.map((p) => (p instanceof vscode.LanguageModelTextPart ? p.value : ''));
  const [text = '', json] = texts;
  return { text, data: json === undefined ? {} : (JSON.parse(json) as Record<string, unknown>) };
}

describe('Copilot tools (vscode.lm) against the sandbox', function () {
  this.timeout(120_000);
  let api: ExtensionApi;
  let sandbox: Sandbox;
  let accountId: string;
  const files = new WorkspaceFiles();
  const recorded = recordEachTest(() => api.runs);

  /** Runs the sandbox holds for Contoso Dev (a RunDesktopFlow that got through adds one). */
  function sandboxRunCount(): number {
    return sandbox.environments.get(seedEnvironmentNames.dev)?.runs.size ?? 0;
  }

  /**
   * What a tool that changes something asks before it runs: its `prepareInvocation` confirmation. (Outside
   * chat VS Code shows it as a modal dialog; the extension test host answers dialogs itself, so the test
   * reads the confirmation from the tool and then invokes it through vscode.lm.)
   */
  async function confirmation(name: string, input: object): Promise<string> {
    const tool = api.languageModelTools.get(name);
    const prepared = await tool?.prepareInvocation?.({ input }, new vscode.CancellationTokenSource().token);
    const messages = prepared?.confirmationMessages;
    assert.ok(messages, `${name} returns confirmation messages`);
    const message = typeof messages.message === 'string' ? messages.message : messages.message.value;
    return `${messages.title}\n${message}`;
  }

  before(async () => {
    api = await activateExtension();
    await api.restored;
    ({ sandbox, accountId } = await signInToSandbox(api, { speed }));
  });

  after(async () => {
    await files.deleteAll();
    await signOutOfSandbox(accountId, sandbox);
  });

  it('registers the eight desktopFlows tools, and lists environments, flows, schemas and runs through invokeTool', async () => {
    const ours = vscode.lm.tools.filter((t) => t.name.startsWith('desktopFlows_')).map((t) => t.name);
    assert.deepEqual(ours.sort(), [
      'desktopFlows_cancelRun',
      'desktopFlows_getFlowSchema',
      'desktopFlows_getRun',
      'desktopFlows_listEnvironments',
      'desktopFlows_listFlows',
      'desktopFlows_listRuns',
      'desktopFlows_runFlow',
      'desktopFlows_validateInputs',
    ]);
    const envs = await invoke('desktopFlows_listEnvironments', {});
    assert.match(envs.text, /Contoso Dev/);

    const flows = await invoke('desktopFlows_listFlows', { environment: 'Contoso Dev', filter: 'Sensitive' });
    assert.deepEqual(
      (flows.data.flows as { name: string }[]).map((f) => f.name),
      ['Sensitive Credentials'],
    );
    const schema = await invoke('desktopFlows_getFlowSchema', {
      environment: 'Contoso Dev',
      flow: 'Sensitive Credentials',
    });
    assert.match(schema.text, /Password: text, required, sensitive/);

    const runs = await invoke('desktopFlows_listRuns', {
      environment: 'Contoso Dev',
      flow: 'Echo Text',
      top: 3,
    });
    assert.ok(Array.isArray(runs.data.runs), runs.text);

    const unknown = await invoke('desktopFlows_getRun', { environment: 'Contoso Dev', runId: 'nope' });
    assert.match(unknown.text, /^Error: "nope" is not a run id/);
  });

  it('validateInputs reports the problems the editor shows for the same input file', async () => {
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder);
    const uri = vscode.Uri.joinPath(folder.uri, 'agent-invoice.json');
    files.created.push(uri);
    const text = `{\n  "$schema": "desktopflows-schema:/${seedIds.environments.dev}/${seedIds.flows.invoice}.json",\n  "InvoiceId": "INV-7",\n  "Amount": "twelve"\n}\n`;
    await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(text));
    const answer = await invoke('desktopFlows_validateInputs', {
      environment: 'Contoso Dev',
      inputFile: 'agent-invoice.json',
    });
    assert.equal(answer.data.valid, false, answer.text);
    const problems = answer.data.problems as { code: string; input: string; line: number; column: number }[];
    const amount = problems.find((p) => p.input === 'Amount' && p.code === 'type');
    assert.ok(amount, answer.text);
    assert.match(answer.text, /agent-invoice\.json:4:13: error: /);

    // The editor: the same file open, its diagnostics at the same place.
    await vscode.window.showTextDocument(uri);
    const atAmount = await waitFor(
      () =>
        vscode.languages
          .getDiagnostics(uri)
          .find(
            (d) => d.range.start.line === amount.line - 1 && d.range.start.character === amount.column - 1,
          ),
      'a diagnostic where the tool found the Amount problem',
      30_000,
    ).catch((e: unknown) => {
      const seen = vscode.languages
        .getDiagnostics(uri)
        .map((d) => `${d.range.start.line + 1}:${d.range.start.character + 1} ${d.message}`);
      throw new Error(`${e instanceof Error ? e.message : String(e)}; the editor shows: ${seen.join(' | ')}`);
    });
    note(`editor: ${atAmount.message}`);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('runFlow refuses invalid inputs: the problems come back as its result and nothing is sent', async () => {
    const before = sandboxRunCount();
    const answer = await invoke('desktopFlows_runFlow', {
      environment: 'Contoso Dev',
      flow: 'Invoice Processing',
      inputs: { InvoiceId: 'INV-8', Amount: 'lots' },
      connection: maker,
      mode: 'attended',
    });
    assert.match(answer.text, /^Error: The run has \d+ problems? .*nothing was sent/);
    assert.match(answer.text, /Amount/);
    assert.equal(answer.data.sent, false);
    assert.equal(sandboxRunCount(), before, 'no RunDesktopFlow reached the sandbox');
  });

  it('runFlow confirms flow, environment, connection, mode and masked inputs; the run shows in the status bar and transcript', async () => {
    const runs = api.runs;
    const input = {
      environment: 'Contoso Dev',
      flow: 'Sensitive Credentials',
      inputs: { Username: 'maker', Password: literalPassword },
      connection: maker,
      mode: 'attended',
      wait: true,
    };
    const shown = await confirmation('desktopFlows_runFlow', input);
    note(`confirmation: ${shown.replace(/\n/g, ' | ')}`);
    assert.match(shown, /Run "Sensitive Credentials"\?/);
    assert.match(shown, /Environment: Contoso Dev/);
    assert.match(shown, new RegExp(`Connection: connection ${maker}`));
    assert.match(shown, /Mode: attended/);
    assert.match(shown, /"Password":"\*{8}"/);
    assert.ok(!shown.includes(literalPassword), 'the sensitive input is masked in the confirmation');

    const answer = await invoke('desktopFlows_runFlow', input);
    assert.equal(answer.data.status, 'succeeded', answer.text);
    const runId = String(answer.data.runId);
    assert.deepEqual(answer.data.outputs, { SessionToken: '********', LoggedIn: true });
    assert.ok(!JSON.stringify(answer).includes(literalPassword), 'never in the result');

    // Like any other run: status bar, transcript (inputs masked), Recent runs.
    const texts = recorded().statusTexts;
    assert.ok(
      texts.some((t) => /Sensitive Credentials/.test(t)),
      texts.join('\n'),
    );
    await runs.idle();
    const transcript = recorded().transcript.join('\n');
    assert.match(transcript, new RegExp(runId.slice(0, 8)));
    assert.ok(!transcript.includes(literalPassword), 'the transcript masks the sensitive input');
    const got = await invoke('desktopFlows_getRun', { environment: 'Contoso Dev', runId });
    assert.equal(got.data.status, 'succeeded');
    assert.equal((got.data.inputs as Record<string, unknown>).Password, '********');
  });

  it('cancelRun confirms, then cancels a run a tool started', async () => {
    const started = await invoke('desktopFlows_runFlow', {
      environment: 'Contoso Dev',
      flow: 'Long Running Report',
      connection: maker,
      mode: 'attended',
    });
    const runId = String(started.data.runId);
    assert.match(runId, /^[0-9a-f-]{36}$/, started.text);
    await waitFor(
      () => recorded().statusTexts.some((t) => /Long Running Report/.test(t)),
      'the started run in the status bar',
    );
    const shown = await confirmation('desktopFlows_cancelRun', { environment: 'Contoso Dev', runId });
    assert.match(shown, /Cancel the run of "Long Running Report"\?/);
    assert.match(shown, new RegExp(runId));
    const answer = await invoke('desktopFlows_cancelRun', { environment: 'Contoso Dev', runId });
    assert.equal(answer.data.cancelRequested, true, answer.text);
  });
});
