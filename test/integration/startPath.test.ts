import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { ExtensionApi } from '../../src/extension';
import type { RunSubject } from '../../src/core/runs/runEvents';
import type { Fault } from '../../src/sandbox/faults';
import { seedFlowNames, seedIds, seedNames } from '../../src/sandbox/seed';
import type { Sandbox } from '../../src/sandbox/server';
import { commandIds } from '../../src/vscode/commandIds';
import type { ExplorerNode } from '../../src/vscode/tree/explorerNode';
import {
  activateExtension,
  child,
  children,
  note,
  signInToSandbox,
  signOutOfSandbox,
  sleep,
  trySandbox,
  waitFor,
} from './helpers';
import { QueuedPrompts } from './queuedPrompts';
import { recordEachTest } from './runRecorder';

const runDesktopFlow = '/org/*/api/data/v9.2/workflows(*)/Microsoft.Dynamics.CRM.RunDesktopFlow';

/**
 * Queued answers for quick picks, and answers by input name for the boxes of "Enter inputs…" (their order
 * follows the flow's schema); every box is recorded with its options, and its answer must pass the box's own
 * validation.
 */
class StartPrompts extends QueuedPrompts {
  readonly boxes: vscode.InputBoxOptions[] = [];

  constructor(
    private readonly typed: Readonly<Record<string, string>>,
    ...picks: ConstructorParameters<typeof QueuedPrompts>
  ) {
    super(...picks);
  }

  override async showInputBox(options: vscode.InputBoxOptions): Promise<string | undefined> {
    const name = /: input \d+ of \d+: (\S+) \(/.exec(options.title ?? '')?.[1];
    if (name === undefined) {
      return super.showInputBox(options);
    }
    this.boxes.push(options);
    const value = this.typed[name] ?? '';
    const verdict = await options.validateInput?.(value);
    assert.ok(
      verdict === undefined || verdict === null,
      `"${name}" refused "${value}": ${JSON.stringify(verdict)}`,
    );
    return value;
  }

  /** Quick picks answered (each one a choice the maker made). */
  get picks(): number {
    return this.asked.filter((a) => a.kind === 'pick').length;
  }
}

/**
 * The start path of "Run Desktop Flow…" (issue 14, "Starting a run: fewer questions, no trap") and what a
 * watched run says after Sign Out (defect 3). Every question is answered from a queue through the prompt
 * helper, so the test counts them. Each `it` sets up what it needs and runs alone, in any order.
 */
describe('Start path: fewer questions, no trap', function () {
  this.timeout(180_000);
  let api: ExtensionApi;
  const recorded = recordEachTest(() => api.runs);
  let sandbox: Sandbox;
  let accountId: string;
  /** Counts RunDesktopFlow requests (a zero-delay fault changes nothing else). */
  let sent: Fault;

  async function cleanUp(run: RunSubject | undefined): Promise<void> {
    if (run === undefined) {
      return;
    }
    await api.runs.cancel(run, AbortSignal.timeout(30_000)).catch(() => undefined);
    await waitFor(
      () => api.runs.store.find(run.environment.orgUrl, run.runId)?.phase === 'finished',
      'the run ended',
      60_000,
    ).catch(() => undefined);
  }

  /** The extension's own log ("Desktop Flows"), as written to its log folder. */
  async function extensionLog(): Promise<string> {
    const entries = await vscode.workspace.fs.readDirectory(api.logUri);
    const texts = await Promise.all(
      entries
        .filter(([name]) => name.endsWith('.log'))
        .map(async ([name]) =>
          new TextDecoder().decode(await vscode.workspace.fs.readFile(vscode.Uri.joinPath(api.logUri, name))),
        ),
    );
    return texts.join('\n');
  }

  before(async () => {
    api = await activateExtension();
    await api.restored;
    ({ sandbox, accountId } = await signInToSandbox(api, { speed: 10 }));
    sent = sandbox.faults.add({ method: 'POST', path: runDesktopFlow, kind: 'delay', delayMs: 0 });
  });

  afterEach(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  after(async () => {
    await signOutOfSandbox(accountId, sandbox);
  });

  it('from the palette, a flow with required inputs starts after at most 4 choices with a default environment', async () => {
    const settings = vscode.workspace.getConfiguration('desktopFlows');
    const before = settings.inspect<string>('defaultEnvironment')?.workspaceValue;
    await settings.update(
      'defaultEnvironment',
      seedIds.environments.dev,
      vscode.ConfigurationTarget.Workspace,
    );
    const prompts = new StartPrompts(
      { InvoiceId: 'INV-4242', ApiKey: 'erp-key-7731' },
      { pick: seedFlowNames.invoice },
      { pick: '$(edit) Enter inputs…' },
      { pick: (items) => items.find((i) => i.label.startsWith('$(play) Run with defaults')) },
    );
    const answering = api.prompts.answerWith(prompts);
    let run: RunSubject | undefined;
    try {
      const hits = sent.hits;
      run = await vscode.commands.executeCommand<RunSubject | undefined>(commandIds.runFlow);
      assert.ok(run?.runId, `the run started; asked: ${JSON.stringify(prompts.asked)}`);
      assert.equal(sent.hits, hits + 1, 'one RunDesktopFlow request');

      note(`choices: ${prompts.picks}; values typed: ${prompts.boxes.length}`);
      for (const a of prompts.asked) {
        note(`${a.kind}: ${a.title ?? ''}`);
      }
      assert.ok(prompts.picks <= 4, `at most 4 choices, not ${prompts.picks}`);
      assert.equal(prompts.remaining, 0, 'every queued answer was used');
      assert.ok(
        !prompts.asked.some((a) => /environment$/i.test(a.title ?? '')),
        'no environment prompt with a default environment',
      );
      const [flowPick, inputsPick, optionsPick] = prompts.asked;
      assert.ok(
        flowPick?.items?.includes('$(arrow-swap) Change environment…'),
        'the flow pick offers a change',
      );
      assert.ok(!inputsPick?.items?.some((l) => l.includes('No inputs')), '"No inputs" is not offered');
      assert.ok(optionsPick?.items?.some((l) => l.startsWith('$(settings) Customize…')));
      assert.ok(
        !prompts.asked.some((a) => /run mode|priority|timeout/.test(a.title ?? '')),
        'no separate run mode, priority or timeout prompts',
      );

      // One box per input without a default: type, requirement and description shown; the key masked.
      const byName = new Map(prompts.boxes.map((b) => [/: (\S+) \(/.exec(b.title ?? '')?.[1], b]));
      const invoiceBox = byName.get('InvoiceId');
      assert.match(invoiceBox?.title ?? '', /InvoiceId \(text, required\)/);
      assert.match(invoiceBox?.prompt ?? '', /Invoice number/);
      assert.equal(await invoiceBox?.validateInput?.(''), '"InvoiceId" is required: enter its text.');
      assert.equal(byName.get('ApiKey')?.password, true, 'the sensitive input has a password box');
      assert.notEqual(invoiceBox?.password, true);

      await api.runs.idle();
      const transcript = recorded().transcript.join('\n');
      assert.match(transcript, new RegExp(`Inputs: \\{"InvoiceId":"INV-4242"`));
      assert.doesNotMatch(transcript, /erp-key-7731/, 'the sensitive value is masked');
      assert.doesNotMatch(transcript, /connection shared-uiflow-/, 'connections by display name');
    } finally {
      answering.dispose();
      await settings.update('defaultEnvironment', before, vscode.ConfigurationTarget.Workspace);
      await cleanUp(run);
    }
  });

  /** "Invoice Processing" in the tree, its schemas read afresh (whatever an earlier test left in the cache). */
  async function invoiceInTree(): Promise<ExplorerNode> {
    const env = await child(api, undefined, 'Contoso Dev');
    const flow = await child(api, await child(api, env, 'Desktop flows'), seedFlowNames.invoice);
    api.explorer.provider.refresh(flow);
    return flow;
  }

  it('a flow expanded in the tree and run from there reads its input schema once for both (one schema cache)', async () => {
    const reads = sandbox.faults.add({
      method: 'GET',
      path: `/org/*/workflows(${seedIds.flows.invoice})/inputs/$value`,
      kind: 'delay',
      delayMs: 0,
    });
    const readsWhenAsked: number[] = [];
    const prompts = new (class extends StartPrompts {
      override showInputBox(options: vscode.InputBoxOptions): Promise<string | undefined> {
        readsWhenAsked.push(reads.hits);
        return super.showInputBox(options);
      }
    })({ InvoiceId: 'INV-1', ApiKey: 'erp-key-1' }, { pick: '$(edit) Enter inputs…' }, 'escape');
    const answering = api.prompts.answerWith(prompts);
    try {
      const flow = await invoiceInTree();
      assert.ok((await children(api, flow)).length > 0, 'the flow expanded');
      assert.equal(reads.hits, 1, 'expanding the flow read its input schema once');
      const hits = sent.hits;
      const run = await vscode.commands.executeCommand<RunSubject | undefined>(commandIds.runFlow, flow);
      assert.equal(run, undefined, 'escaped at the options: nothing started');
      assert.equal(sent.hits, hits, 'no RunDesktopFlow request reached the sandbox');
      assert.ok(
        readsWhenAsked.length > 0,
        `the inputs were asked for; asked: ${JSON.stringify(prompts.asked)}`,
      );
      assert.deepEqual(
        [...new Set(readsWhenAsked)],
        [1],
        'the start path listed the inputs from the load the tree made, without reading the schema again',
      );
    } finally {
      answering.dispose();
      sandbox.faults.remove(reads.id);
    }
  });

  it('escaping after typing inputs sends nothing and loses nothing: the boxes open with what was typed', async () => {
    const flow = await invoiceInTree();
    const hits = sent.hits;
    const first = new StartPrompts(
      { InvoiceId: 'INV-7781', ApiKey: 'erp-key-7781' },
      { pick: '$(edit) Enter inputs…' },
      'escape',
    );
    let answering = api.prompts.answerWith(first);
    try {
      const run = await vscode.commands.executeCommand<RunSubject | undefined>(commandIds.runFlow, flow);
      assert.equal(run, undefined, 'escaped at the options: nothing started');
    } finally {
      answering.dispose();
    }
    assert.ok(first.boxes.length >= 2, `both inputs were typed; asked: ${JSON.stringify(first.asked)}`);

    const prefilled = new Map<string, vscode.InputBoxOptions>();
    const second = new (class extends QueuedPrompts {
      override async showInputBox(options: vscode.InputBoxOptions): Promise<string | undefined> {
        const name = /: input \d+ of \d+: (\S+) \(/.exec(options.title ?? '')?.[1];
        if (name === undefined) {
          return super.showInputBox(options);
        }
        prefilled.set(name, options);
        return options.value ?? '';
      }
    })({ pick: '$(edit) Enter inputs…' }, 'escape');
    answering = api.prompts.answerWith(second);
    try {
      const run = await vscode.commands.executeCommand<RunSubject | undefined>(commandIds.runFlow, flow);
      assert.equal(run, undefined, 'escaped again: nothing started');
    } finally {
      answering.dispose();
    }
    assert.equal(prefilled.get('InvoiceId')?.value, 'INV-7781', 'the typed value is offered again');
    assert.equal(prefilled.get('ApiKey')?.value, 'erp-key-7781', 'the sensitive value too…');
    assert.equal(prefilled.get('ApiKey')?.password, true, '…in a password box');
    assert.equal(sent.hits, hits, 'no RunDesktopFlow request reached the sandbox');
  });

  it('ranks connections healthy first, says what each will do, and a pick that will surely fail asks first', async () => {
    const prompts = new QueuedPrompts(
      { pick: (items) => items.find((i) => i.label.includes('(Empty Pool)')) },
      'escape',
    );
    const answering = api.prompts.answerWith(prompts);
    try {
      const hits = sent.hits;
      const run = await vscode.commands.executeCommand<RunSubject | undefined>(commandIds.runFlow, {
        environment: 'Contoso Dev',
        flowName: seedFlowNames.quickPing,
        noInputs: true,
        chooseOptions: true,
      });
      assert.equal(run, undefined, 'nothing started');
      assert.equal(sent.hits, hits, 'no RunDesktopFlow request reached the sandbox');
      const [connections, confirm] = prompts.asked;
      const rows = (connections?.items ?? []).filter(
        (l) => l !== 'Connections' && l !== 'Connection references',
      );
      note(rows.slice(0, 9).join(' | '));
      assert.match(rows[0] ?? '', /^\$\(pass\) /, 'a healthy connection comes first');
      const emptyAt = rows.findIndex((l) => l.includes('(Empty Pool)'));
      const makerAt = rows.findIndex((l) => l.includes('(DESKTOP-MAKER01)'));
      assert.ok(makerAt >= 0 && makerAt < emptyAt, 'the empty pool ranks below the maker machine');
      assert.match(rows[emptyAt] ?? '', /^\$\(error\) /);
      assert.ok(!rows.some((l) => /shared-uiflow-/.test(l)), 'display names, never shared-uiflow-<guid>');
      assert.match(
        confirm?.title ?? '',
        /This run will fail: .*Empty Pool, which has no machines.*GroupIsEmpty/,
      );
      assert.deepEqual(confirm?.items, ['$(arrow-left) Choose another connection…', '$(warning) Run anyway']);
    } finally {
      answering.dispose();
    }
  });

  it('checks readiness before sending: a run that will wait says why and goes on with one choice', async () => {
    const prompts = new QueuedPrompts(
      { pick: (items) => items.find((i) => i.label.includes('(LAPTOP-OLD)')) },
      { pick: 'Unattended' },
      { pick: (items) => items[0] },
      { pick: (items) => items[0] },
      { pick: '$(play) Send: it will wait' },
    );
    const answering = api.prompts.answerWith(prompts);
    let run: RunSubject | undefined;
    try {
      const since = recorded().transcript.length;
      run = await vscode.commands.executeCommand<RunSubject | undefined>(commandIds.runFlow, {
        environment: 'Contoso Dev',
        flowName: seedFlowNames.quickPing,
        noInputs: true,
        chooseOptions: true,
      });
      assert.ok(run?.runId, `the run was sent; asked: ${JSON.stringify(prompts.asked)}`);
      const check = prompts.asked[prompts.asked.length - 1];
      note(check?.title ?? '');
      assert.match(check?.title ?? '', /^This run will wait: LAPTOP-OLD is offline\./);
      assert.match(prompts.asked[0]?.items?.find((l) => l.includes('(LAPTOP-OLD)')) ?? '', /^\$\(watch\) /);
      await api.runs.idle();
      assert.ok(
        recorded()
          .transcript.slice(since)
          .some((l) =>
            /Check before sending "Quick Ping": This run will wait: LAPTOP-OLD is offline/.test(l),
          ),
        'the warning is in the transcript',
      );
    } finally {
      answering.dispose();
      await cleanUp(run);
    }
  });

  it('after Sign Out, a watched run says watching stopped, offers Sign In, counts no time, and Cancel Run… does not fail', async () => {
    const run = await vscode.commands.executeCommand<RunSubject>(commandIds.runFlow, {
      environment: 'Contoso Dev',
      flowId: seedIds.flows.quickPing,
      noInputs: true,
      connectionName: seedNames.connections.offlineMachine,
      connectionType: 1,
      runMode: 'unattended',
      priority: 'normal',
      timeoutSeconds: 3_600,
    });
    assert.ok(run?.runId, 'the run started (it stays queued: its machine is offline)');
    try {
      await waitFor(
        () => /Quick Ping: Queued/.test(api.runs.statusBar.text),
        () => `the run queued in the status bar (it shows "${api.runs.statusBar.text}")`,
      );
      const logBefore = (await extensionLog()).length;

      await vscode.commands.executeCommand(commandIds.signOut, accountId);
      const text = await waitFor(
        () => (/signed out/.test(api.runs.statusBar.text) ? api.runs.statusBar.text : undefined),
        'the status bar to say watching stopped',
      );
      note(text);
      // Runs other suites left unwatched may be counted too ("2 desktop flow runs not watched, …").
      assert.match(text, /(Quick Ping: |\d+ desktop flow runs )not watched, account signed out/);
      assert.match(api.runs.statusBar.tooltipMarkdown, /"Quick Ping"/);
      assert.doesNotMatch(text, /Queued/);
      assert.match(api.runs.statusBar.tooltipMarkdown, /Watching stopped.*because its account signed out/);
      assert.match(api.runs.statusBar.tooltipMarkdown, /\[Sign In\]\(command:desktopFlows\.auth\.signIn/);
      await sleep(2_500);
      assert.equal(api.runs.statusBar.text, text, 'no timer keeps counting');

      // Cancel Run… neither offers the run nor fails: with the run as argument it explains, without an error.
      const prompts = new QueuedPrompts('escape');
      const answering = api.prompts.answerWith(prompts);
      try {
        assert.equal(await vscode.commands.executeCommand(commandIds.cancelRun, run), undefined);
        assert.equal(await vscode.commands.executeCommand(commandIds.cancelRun), undefined);
      } finally {
        answering.dispose();
      }
      assert.ok(
        !prompts.asked.some((a) => a.items?.some((l) => l.includes('Quick Ping'))),
        'Cancel Run… does not offer the unwatched run',
      );
      const log = await waitFor(
        async () => {
          const all = (await extensionLog()).slice(logBefore);
          return /no longer watched because its account signed out/.test(all) ? all : undefined;
        },
        'the cancel refusal in the log',
        20_000,
      );
      const errors = log.split('\n').filter((l) => /\[error\]/.test(l));
      assert.deepEqual(errors, [], 'no [error] in the log after sign-out');
    } finally {
      accountId = await trySandbox(api, sandbox);
      await waitFor(
        () => api.runs.store.find(run.environment.orgUrl, run.runId)?.watchStopped === undefined,
        'watching again after signing in',
        30_000,
      ).catch(() => undefined);
      await cleanUp(run);
    }
  });
});
