import assert from 'node:assert/strict';
import type { Run } from '../../../src/core/model/run';
import { flowLogEntryFromDto, type RunAction } from '../../../src/core/model/runActionLog';
import { remedyFor } from '../../../src/core/runs/remedies';
import type { RunDetails } from '../../../src/core/runs/runReview';
import { runDetailsMarkdown } from '../../../src/vscode/runs/runDetailsMarkdown';
import { escapeHtml, runDocumentHtml } from '../../../src/vscode/runs/runDocumentHtml';
import { runDocumentModel, type RunDocumentInput } from '../../../src/vscode/runs/runDocumentModel';

const run: Run = {
  id: '0a1b2c3d-0000-4000-8000-000000000001',
  name: undefined,
  status: 'failed',
  statusCode: 8,
  statusLabel: 'Failed',
  stateCode: 0,
  flowId: '11111111-0000-4000-8000-000000000001',
  runMode: 'attended',
  trigger: 'dataverseApi',
  createdOn: '2026-12-03T10:00:00Z',
  startedOn: '2026-12-03T10:00:05Z',
  completedOn: '2026-12-03T10:00:45Z',
  errorCode: 'ActionFailed',
  errorMessage: "Failed to click on web page element 'Next page'.",
  machineId: 'm1',
  machineName: 'DESKTOP-MAKER01',
  machineGroupId: undefined,
  ownerId: undefined,
  connectionId: 'shared-uiflow-1',
  runDuration: 45,
};

function action(index: number, name: string, status: string, extra: Partial<RunAction> = {}): RunAction {
  return {
    index,
    name,
    systemActionName: `Web.${name}`,
    moduleName: 'WebAutomation',
    startTime: `2026-12-03T10:00:${String(5 + index * 5).padStart(2, '0')}Z`,
    endTime: `2026-12-03T10:00:${String(9 + index * 5).padStart(2, '0')}Z`,
    status,
    insideErrorHandling: false,
    inputs: [],
    outputs: [],
    errorCode: undefined,
    errorMessage: undefined,
    ...extra,
  };
}

function details(over: Partial<RunDetails> = {}): RunDetails {
  return {
    environment: { id: 'env', orgUrl: 'https://contoso.crm.dynamics.com', displayName: 'Contoso Dev' },
    run,
    createdOn: run.createdOn,
    startedOn: run.startedOn,
    completedOn: run.completedOn,
    queueWaitMs: 5_000,
    runTimeMs: 40_000,
    inputs: { SupplierUrl: 'https://suppliers.example', Password: '********' },
    outputs: undefined,
    inputsError: undefined,
    outputsError: undefined,
    error: { code: run.errorCode, message: run.errorMessage, remedy: remedyFor(run.errorCode) },
    portal: { environmentId: 'env', flowId: run.flowId, runId: run.id },
    ...over,
  };
}

const input = (over: Partial<RunDocumentInput> = {}): RunDocumentInput => ({
  details: details(),
  flowName: 'Scrape Supplier Portal',
  portalUrl: 'https://make.powerautomate.com/manage/environments/env/uiflows/f/details',
  schemaKnown: true,
  sensitiveNames: ['Password'],
  actions: [
    action(1, 'Launch Edge', 'Succeeded', {
      inputs: [
        {
          name: 'Url',
          localizedName: 'URL',
          value: 'https://suppliers.example',
          variableName: 'SupplierUrl',
        },
        { name: 'Secret', localizedName: 'Secret', value: 'hunter2', variableName: 'Password' },
      ],
    }),
    action(2, 'Click link', 'Failed', { errorCode: 'ActionFailed', errorMessage: 'Element not found.' }),
  ],
  flowLogs: [],
  startedBy: 'Megan Bowen',
  readAt: Date.parse('2026-12-03T10:01:00Z'),
  ...over,
});

describe('run document (model, Markdown, HTML)', () => {
  it('shows status, machine, queue and run times, who started it, the error with its remedy and the failing action', () => {
    const md = runDetailsMarkdown(input().details, input());
    assert.match(md, /^# Scrape Supplier Portal — run 0a1b2c3d\n/);
    assert.match(md, /\| Status \| failed \(Failed\) \|/);
    assert.match(md, /\| Machine \| DESKTOP-MAKER01 \|/);
    assert.match(md, /\| Started by \| Megan Bowen \|/);
    assert.match(md, /\| Time in queue \| 5\.0 s \|/);
    assert.match(md, /\| Run time \| 40 s \|/);
    assert.match(md, /## Error\n\n\*\*ActionFailed\*\*: Failed to click/);
    const remedy = remedyFor('ActionFailed');
    if (remedy !== undefined) {
      assert.ok(md.includes(`**${remedy.title}.**`), 'the remedy follows the error');
    }
    assert.match(
      md,
      /## Failing action\n\nAction 2: \*\*Click link\*\* \(WebAutomation\) — ActionFailed: Element not found\./,
    );
    assert.match(md, /\[Open the flow in Power Automate\]\(https:\/\/make\.powerautomate\.com/);
  });

  it("names the run's connection by its display name, the connection id only as a secondary detail", () => {
    const named = runDocumentModel(input({ connectionDisplayName: 'CONTOSO\\maker (DESKTOP-MAKER01)' }));
    const keys = named.facts.map(([k]) => k);
    assert.deepEqual(
      named.facts.filter(([k]) => k.startsWith('Connection')),
      [
        ['Connection', 'CONTOSO\\maker (DESKTOP-MAKER01)'],
        ['Connection id', 'shared-uiflow-1'],
      ],
    );
    assert.ok(keys.indexOf('Connection') < keys.indexOf('Started by'), 'the name is with the run facts');
    assert.ok(keys.indexOf('Connection id') > keys.indexOf('Run id'), 'the id is with the other ids');
    const md = runDetailsMarkdown(input().details, {
      ...input(),
      connectionDisplayName: 'CONTOSO\\maker (DESKTOP-MAKER01)',
    });
    assert.match(md, /\| Connection \| CONTOSO\\\\maker \(DESKTOP-MAKER01\) \|/);
    // Not found (deleted, or not readable): the id is all there is, shown once.
    const unnamed = runDocumentModel(input());
    assert.deepEqual(
      unnamed.facts.filter(([k]) => k.startsWith('Connection')),
      [['Connection', 'shared-uiflow-1']],
    );
  });

  it('masks sensitive inputs and action parameters bound to sensitive variables', () => {
    const md = runDetailsMarkdown(input().details, input());
    assert.ok(!md.includes('hunter2'), 'the sensitive action parameter is masked');
    assert.match(md, /Secret = (\\\*){8}/);
    assert.match(md, /URL = https:\/\/suppliers\.example/);
    assert.match(md, /"Password": "\*\*\*\*\*\*\*\*"/);
  });

  it('lists the whole action log, V1 and V2 action rows, and V2 queue events as flow logs', () => {
    const v2 = [
      flowLogEntryFromDto({
        flowlogid: 'l1',
        type: 100000001,
        logindex: 3,
        duration: 1500,
        data: JSON.stringify({
          name: 'Close browser',
          status: 'Succeeded',
          localizedModuleName: 'WebAutomation',
        }),
      }),
      flowLogEntryFromDto({
        flowlogid: 'l2',
        type: 100000003,
        name: 'Queued',
        level: 100000002,
        'level@OData.Community.Display.V1.FormattedValue': 'Info',
        createdon: '2026-12-03T10:00:00Z',
        data: '{"position":2}',
      }),
    ];
    const model = runDocumentModel(input({ flowLogs: v2 }));
    assert.deepEqual(
      model.actions.map((a) => [a.index, a.name, a.status, a.duration]),
      [
        ['1', 'Launch Edge', 'Succeeded', '4.0 s'],
        ['2', 'Click link', 'Failed', '4.0 s'],
        ['3', 'Close browser', 'Succeeded', '1.5 s'],
      ],
    );
    assert.deepEqual(model.logs, [
      { when: '2026-12-03T10:00:00Z', level: 'Info', name: 'Queued', text: '{"position":2}' },
    ]);
    const md = runDetailsMarkdown(input({ flowLogs: v2 }).details, input({ flowLogs: v2 }));
    assert.match(md, /## Flow logs\n\n\| When \| Level \| Log \| Data \|/);
  });

  it('says why there is no action log, and that a live run is followed', () => {
    const live = runDocumentModel(
      input({
        details: details({
          run: {
            ...run,
            status: 'waiting',
            startedOn: undefined,
            completedOn: undefined,
            errorCode: undefined,
            errorMessage: undefined,
          },
          error: undefined,
          startedOn: undefined,
          completedOn: undefined,
          runTimeMs: undefined,
        }),
        actions: [],
      }),
    );
    assert.equal(live.live, true);
    assert.equal(live.status, 'queued');
    assert.equal(live.actionsNote, 'No action has run yet.');
    assert.ok(live.facts.some(([k, v]) => k === 'Time in queue' && v === '5.0 s so far'));
    const unreadable = runDocumentModel(
      input({ actions: undefined, actionsError: new Error('Service unavailable.') }),
    );
    assert.equal(unreadable.actionsNote, 'The action log could not be read: Service unavailable.');
  });

  it('renders HTML with a strict CSP, no script, escaped text and command buttons', () => {
    const model = runDocumentModel(input({ flowName: 'Scrape <b>Portal</b>', startedBy: '"Megan" & co' }));
    const html = runDocumentHtml(model, {
      cspSource: 'vscode-webview://x',
      nonce: 'abc123',
      buttons: [{ title: 'Copy as Markdown', href: 'command:desktopFlows.run.copyAsMarkdown?%5B%5D' }],
    });
    assert.match(
      html,
      /<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'nonce-abc123';/,
    );
    assert.ok(!/<script/i.test(html), 'no script');
    assert.ok(!/\ssrc=|<link|<iframe|@import|url\(/i.test(html), 'nothing is loaded, remote or local');
    assert.ok(html.includes('Scrape &#60;b&#62;Portal&#60;/b&#62;'), 'the flow name is escaped');
    assert.ok(html.includes('&#34;Megan&#34; &#38; co'));
    assert.match(
      html,
      /<a href="command:desktopFlows\.run\.copyAsMarkdown\?%5B%5D" role="button">Copy as Markdown<\/a>/,
    );
    assert.match(html, /<tr class="failed">/);
    assert.match(html, /<code>ActionFailed<\/code>/);
    assert.ok(!html.includes('hunter2'));
    assert.equal(escapeHtml(`<a href='x'>&</a>`), '&#60;a href=&#39;x&#39;&#62;&#38;&#60;/a&#62;');
  });
});
