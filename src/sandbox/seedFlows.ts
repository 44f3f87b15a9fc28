/**
 * The desktop flows of the realistic seed environment: every PAD variable type (text, number, boolean,
 * custom object, list, datatable, sensitive, optional), published and draft, and behaviours that echo
 * inputs, fail with an error code, run long and write action logs. Names and ids come from `seed.ts`.
 */
import type { seedFlowNames } from './seed';
import type { FlowBehaviour, SeedAction, SeedFlow, SeedVariable } from './seedTypes';

type FlowKey = keyof typeof seedFlowNames;

const created = '2025-01-06T09:00:00Z';
const modified = '2025-03-14T16:30:00Z';

function v(name: string, type: SeedVariable['type'], extra: Partial<SeedVariable> = {}): SeedVariable {
  return { name, type, ...extra };
}

function actions(...names: [string, string][]): SeedAction[] {
  return names.map(([name, systemActionName]) => ({ name, systemActionName }));
}

const standardActions = actions(
  ['Set variable', 'Variables.SetVariable'],
  ['Run subflow Process', 'Flow.RunSubflow'],
  ['Write text to file', 'File.WriteText'],
);

function flowMaker(names: typeof seedFlowNames, ids: Record<FlowKey, string>) {
  return (
    short: FlowKey,
    inputs: SeedVariable[],
    outputs: SeedVariable[],
    behaviour: FlowBehaviour,
    extra: Partial<SeedFlow> = {},
  ): SeedFlow => ({
    id: ids[short],
    name: names[short],
    state: 'published',
    inputs,
    outputs,
    behaviour,
    createdon: created,
    modifiedon: modified,
    ...extra,
  });
}

/** The reference 3.4 documentation sample, verbatim (note `type` after `properties`). */
const docSampleInputs =
  '{"schema":{"properties":{"inputText":{"default":"","description":"","format":null,"title":"inputText","type":"string","value":""},' +
  '"inputInteger":{"default":"","description":"","format":null,"title":"inputInteger","type":"number","value":"0"}},"type":"object"}}';

const allTypes = (sensitiveName: string, withOptional: boolean): SeedVariable[] => [
  v('Text', 'text', { description: 'Any text', default: '' }),
  v('Number', 'number', { description: 'A number', default: 0 }),
  v('Flag', 'boolean', { description: 'True or false', default: false }),
  v('Customer', 'object', { description: 'A custom object', default: {} }),
  v('Items', 'list', { description: 'A list of values', default: [] }),
  v('Table', 'datatable', { description: 'A data table (rows of objects)', default: [] }),
  v(sensitiveName, 'text', { description: 'Hidden in logs', sensitive: true, default: '' }),
  ...(withOptional
    ? [v('Comment', 'text', { description: 'May be left blank', optional: true, default: 'none' })]
    : []),
];

/** The desktop flows of `contoso-dev`, with the names and stable ids `seed.ts` gives them. */
export function devFlows(names: typeof seedFlowNames, ids: Record<FlowKey, string>): SeedFlow[] {
  const flow = flowMaker(names, ids);
  return [
    flow(
      'echoText',
      [v('inputText', 'text'), v('inputInteger', 'number', { default: '' })],
      [v('outputText', 'text'), v('outputInteger', 'number')],
      {
        durationSeconds: 20,
        outcome: 'succeed',
        outputs: { outputText: { $input: 'inputText' }, outputInteger: { $input: 'inputInteger' } },
        actions: actions(
          ['Set variable', 'Variables.SetVariable'],
          ['Display message', 'Display.ShowMessageDialog'],
        ),
      },
      { rawInputsSchema: docSampleInputs, description: 'Copies inputText and inputInteger to the outputs.' },
    ),
    flow(
      'invoice',
      [
        v('InvoiceId', 'text', { description: 'Invoice number' }),
        v('Amount', 'number', { description: 'Invoice total', default: 0 }),
        v('IsUrgent', 'boolean', { default: false }),
        v('Customer', 'object', { description: 'Customer record { name, id }', default: {} }),
        v('LineItems', 'list', { default: [] }),
        v('Ledger', 'datatable', { default: [] }),
        v('ApiKey', 'text', { sensitive: true, description: 'ERP API key' }),
        v('Notes', 'text', { optional: true, default: '' }),
      ],
      [
        v('Status', 'text'),
        v('Total', 'number'),
        v('Approved', 'boolean'),
        v('Summary', 'object'),
        v('ProcessedItems', 'list'),
        v('Report', 'datatable'),
        v('Receipt', 'text', { sensitive: true }),
      ],
      {
        durationSeconds: 60,
        outcome: 'succeed',
        outputs: {
          Status: 'Processed',
          Total: { $input: 'Amount' },
          Approved: true,
          Summary: { $input: 'Customer' },
          ProcessedItems: { $input: 'LineItems' },
          Report: [{ Line: 1, Account: '4000', Amount: 100 }],
          Receipt: 'RCPT-0001',
        },
        actions: actions(
          ['Launch ERP', 'UIAutomation.Windows.LaunchApp'],
          ['Log in', 'UIAutomation.Windows.FillTextField'],
          ['Enter invoice', 'UIAutomation.Windows.FillTextField'],
          ['Read ledger', 'Excel.ReadFromExcel'],
          ['Close ERP', 'UIAutomation.Windows.CloseWindow'],
        ),
      },
      { description: 'Enters an invoice into the ERP and returns a receipt.' },
    ),
    flow('echoAllTypes', allTypes('Secret', true), allTypes('Secret', false), {
      durationSeconds: 10,
      outcome: 'succeed',
      outputs: 'echo',
      actions: standardActions,
    }),
    flow('legacySchema', [], [], {
      durationSeconds: 3,
      outcome: 'fail',
      errorcode: 'UnsupportedRpaScriptSchemaVersion',
      errormessage:
        'The desktop flow schema version is not supported by the version of Power Automate for desktop installed on the machine.',
      failAfterActions: 0,
      actions: actions(['Start', 'Flow.Start']),
    }),
    flow(
      'scrapePortal',
      [v('SupplierUrl', 'text', { default: 'https://suppliers.example' })],
      [v('Rows', 'datatable')],
      {
        durationSeconds: 40,
        outcome: 'fail',
        // The reference gives no errorcode for failures inside the script [Inferred]: a PAD-style name.
        errorcode: 'ActionFailed',
        errormessage: "Failed to click on web page element 'Next page' (subflow Main, action 4).",
        failAfterActions: 3,
        actions: actions(
          ['Launch new Microsoft Edge', 'WebAutomation.LaunchEdge'],
          ['Go to web page', 'WebAutomation.GoToWebPage'],
          ['Extract data from web page', 'WebAutomation.ExtractData'],
          ['Click link on web page', 'WebAutomation.Click'],
          ['Close web browser', 'WebAutomation.CloseWebBrowser'],
        ),
      },
    ),
    flow('longReport', [v('Month', 'text', { default: '2025-01' })], [v('ReportPath', 'text')], {
      durationSeconds: 30 * 60,
      outcome: 'succeed',
      outputs: { ReportPath: 'C:\\Reports\\monthly.xlsx' },
      actions: actions(
        ['Launch Excel', 'Excel.LaunchExcel'],
        ['Read sales', 'Excel.ReadFromExcel'],
        ['Loop rows', 'Loops.ForEach'],
        ['Build pivot', 'Excel.RunMacro'],
        ['Save workbook', 'Excel.SaveExcel'],
        ['Close Excel', 'Excel.CloseExcel'],
      ),
    }),
    flow('nightlyBatch', [], [v('Processed', 'number')], {
      durationSeconds: 2 * 3600,
      outcome: 'succeed',
      outputs: { Processed: 1250 },
      actions: standardActions,
    }),
    flow('quickPing', [], [], {
      durationSeconds: 2,
      outcome: 'succeed',
      outputs: {},
      actions: actions(['Ping', 'Network.Ping']),
    }),
    flow(
      'credentials',
      [v('Username', 'text'), v('Password', 'text', { sensitive: true })],
      [v('SessionToken', 'text', { sensitive: true }), v('LoggedIn', 'boolean')],
      {
        durationSeconds: 8,
        outcome: 'succeed',
        outputs: { SessionToken: 'tok-7d1e0c', LoggedIn: true },
        actions: actions(
          ['Log in to portal', 'WebAutomation.FillTextField'],
          ['Read token', 'WebAutomation.GetDetails'],
        ),
      },
    ),
    flow(
      'optionalInputs',
      [
        v('Required', 'text'),
        v('OptionalText', 'text', { optional: true, default: 'fallback' }),
        v('OptionalNumber', 'number', { optional: true, default: 5 }),
        v('OptionalList', 'list', { optional: true, default: ['a'] }),
      ],
      [
        v('Required', 'text'),
        v('OptionalText', 'text'),
        v('OptionalNumber', 'number'),
        v('OptionalList', 'list'),
      ],
      { durationSeconds: 5, outcome: 'succeed', outputs: 'echo', actions: standardActions },
    ),
    flow(
      'exportTable',
      [v('Ids', 'list', { default: [] })],
      [v('Table', 'datatable'), v('Count', 'number')],
      {
        durationSeconds: 15,
        outcome: 'succeed',
        outputs: {
          Table: [
            { Id: 1, Name: 'Alpha', Active: true },
            { Id: 2, Name: 'Beta', Active: false },
          ],
          Count: 2,
        },
        actions: actions(
          ['Read from database', 'Database.ExecuteSqlStatement'],
          ['Convert table', 'Variables.ConvertDataTable'],
        ),
      },
    ),
    flow(
      'draftOnboarding',
      [v('EmployeeName', 'text')],
      [],
      { durationSeconds: 5, outcome: 'succeed', outputs: {} },
      { state: 'draft', description: 'Never published.' },
    ),
    flow(
      'draftExpense',
      [v('ReportId', 'text')],
      [v('Flagged', 'boolean')],
      { durationSeconds: 5, outcome: 'succeed', outputs: { Flagged: false } },
      { state: 'draft' },
    ),
    flow('cloudFlow', [], [], { durationSeconds: 1, outcome: 'succeed' }, { category: 5 }),
  ];
}
