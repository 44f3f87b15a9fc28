import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';
import {
  flowTestJsonSchema,
  parseFlowTest,
  type FlowTestProblem,
} from '../../../src/core/flowTests/flowTestFile';

function problemsOf(text: string): FlowTestProblem[] {
  const r = parseFlowTest(text, 'tests/case.flowtest.json');
  assert.equal(r.ok, false, 'the file is refused');
  return r.ok ? [] : [...r.problems];
}

describe('flow test files', () => {
  it('reads a full test with comments and trailing commas, and defaults the name and status', () => {
    const text = `{
  // the invoice case
  "flow": "Invoice Processing",
  "environment": "Contoso Dev",
  "inputs": "../invoices/inv-1001.json",
  "run": { "connectionReference": "cr_finance_bots", "mode": "unattended", "timeout": 900 },
  "expect": {
    "outputs": { "Total": 1250.5, "Approved": true },
    "maxDurationSeconds": 300,
  },
}`;
    const r = parseFlowTest(text, 'tests/inv-1001.flowtest.json');
    assert.ok(r.ok);
    assert.deepEqual(r.warnings, []);
    const t = r.test;
    assert.equal(t.name, 'inv-1001');
    assert.equal(t.flow, 'Invoice Processing');
    assert.equal(t.environment, 'Contoso Dev');
    assert.deepEqual(t.inputs.kind === 'file' ? t.inputs.path : undefined, '../invoices/inv-1001.json');
    assert.deepEqual(t.run, {
      connection: { kind: 'connectionReference', logicalName: 'cr_finance_bots' },
      mode: 'unattended',
      timeoutSeconds: 900,
      priority: undefined,
    });
    assert.deepEqual(t.expect, {
      status: 'succeeded',
      outputs: { Total: 1250.5, Approved: true },
      errorCode: undefined,
      maxDurationSeconds: 300,
    });
  });

  it('keeps inline inputs at their place in the file, so input problems point into it', () => {
    const text = '{\n  "flow": "Echo Text",\n  "inputs": { "inputText": "${secret:GREETING}" }\n}';
    const r = parseFlowTest(text, 'echo.flowtest.json');
    assert.ok(r.ok && r.test.inputs.kind === 'values');
    if (r.ok && r.test.inputs.kind === 'values') {
      assert.deepEqual(r.test.inputs.values, { inputText: '${secret:GREETING}' });
      const inputs = r.test.inputs.text;
      assert.equal(inputs.length, text.indexOf(' }\n') + 2);
      assert.equal(inputs.split('\n').length, 3, 'line breaks are kept');
      assert.equal(inputs.indexOf('{'), text.indexOf('{ "inputText"'));
      assert.deepEqual(JSON.parse(inputs), { inputText: '${secret:GREETING}' });
    }
  });

  // Each bad file: the problem's path, its line and column, and words of its message and fix.
  const catalogue: {
    name: string;
    text: string;
    path: string;
    line: number;
    column: number;
    words: RegExp;
  }[] = [
    {
      name: 'syntax error',
      text: '{\n  "flow": "Echo Text"\n  "expect": {}\n}',
      path: '$',
      line: 3,
      column: 3,
      words: /not valid JSON.*Correct/,
    },
    { name: 'empty file', text: '', path: '$', line: 1, column: 1, words: /empty.*Write a test/ },
    { name: 'not an object', text: '[1]', path: '$', line: 1, column: 1, words: /JSON object, not a list/ },
    {
      name: 'no flow',
      text: '{\n  "expect": {}\n}',
      path: '$.flow',
      line: 1,
      column: 1,
      words: /names no flow.*flows` lists/,
    },
    {
      name: 'empty flow',
      text: '{ "flow": "  " }',
      path: '$.flow',
      line: 1,
      column: 11,
      words: /non-empty text/,
    },
    {
      name: 'flow not a text',
      text: '{ "flow": 12 }',
      path: '$.flow',
      line: 1,
      column: 11,
      words: /not a number/,
    },
    {
      name: 'unknown property',
      text: '{ "flow": "A",\n  "expects": {} }',
      path: '$.expects',
      line: 2,
      column: 3,
      words: /"expects" is not a property of a flow test.*expect/,
    },
    {
      name: 'inputs a number',
      text: '{ "flow": "A", "inputs": 3 }',
      path: '$.inputs',
      line: 1,
      column: 26,
      words: /input file's path or an object/,
    },
    {
      name: 'run not an object',
      text: '{ "flow": "A", "run": "fast" }',
      path: '$.run',
      line: 1,
      column: 23,
      words: /must be an object/,
    },
    {
      name: 'unknown run property',
      text: '{ "flow": "A", "run": { "machine": "x" } }',
      path: '$.run.machine',
      line: 1,
      column: 25,
      words: /not a property of "run"/,
    },
    {
      name: 'both connections',
      text: '{ "flow": "A", "run": { "connection": "c", "connectionReference": "r" } }',
      path: '$.run.connectionReference',
      line: 1,
      column: 67,
      words: /both.*Keep only one/,
    },
    {
      name: 'bad mode',
      text: '{ "flow": "A", "run": { "mode": "headless" } }',
      path: '$.run.mode',
      line: 1,
      column: 33,
      words: /"attended" or "unattended", not "headless"/,
    },
    {
      name: 'bad timeout',
      text: '{ "flow": "A", "run": { "timeout": 1.5 } }',
      path: '$.run.timeout',
      line: 1,
      column: 36,
      words: /whole number of seconds/,
    },
    {
      name: 'bad status',
      text: '{ "flow": "A",\n "expect": { "status": "done" } }',
      path: '$.expect.status',
      line: 2,
      column: 24,
      words: /"done" is not a final run status.*succeeded, failed/,
    },
    {
      name: 'outputs not an object',
      text: '{ "flow": "A", "expect": { "outputs": [] } }',
      path: '$.expect.outputs',
      line: 1,
      column: 39,
      words: /must be an object, not a list/,
    },
    {
      name: 'bad max duration',
      text: '{ "flow": "A", "expect": { "maxDurationSeconds": 0 } }',
      path: '$.expect.maxDurationSeconds',
      line: 1,
      column: 50,
      words: /greater than 0/,
    },
    {
      name: 'error code of a success',
      text: '{ "flow": "A", "expect": { "errorCode": "X" } }',
      path: '$.expect.errorCode',
      line: 1,
      column: 41,
      words: /succeeds.*"status": "failed"/,
    },
    {
      name: 'outputs of a failure',
      text: '{ "flow": "A", "expect": { "status": "failed", "outputs": {} } }',
      path: '$.expect.outputs',
      line: 1,
      column: 59,
      words: /only succeeded runs have outputs/,
    },
  ];
  for (const c of catalogue) {
    it(`refuses: ${c.name}, at ${c.path} ${c.line}:${c.column}`, () => {
      const problems = problemsOf(c.text);
      const p = problems.find((x) => x.path === c.path);
      assert.ok(p !== undefined, `a problem at ${c.path}: ${JSON.stringify(problems)}`);
      assert.deepEqual([p.line, p.column], [c.line, c.column]);
      assert.match(`${p.message} ${p.fix}`, c.words);
      assert.ok(p.fix.length > 0);
    });
  }

  it('reports every problem of a file at once', () => {
    const problems = problemsOf('{ "flow": "", "run": { "mode": "x" }, "expect": { "status": "y" } }');
    assert.deepEqual(
      problems.map((p) => p.path),
      ['$.flow', '$.run.mode', '$.expect.status'],
    );
  });
});

describe('flow test JSON Schema (served to VS Code)', () => {
  const served = JSON.parse(
    readFileSync(path.join(__dirname, '../../../media/schemas/flowtest.schema.json'), 'utf8'),
  ) as unknown;
  const manifest = JSON.parse(readFileSync(path.join(__dirname, '../../../package.json'), 'utf8')) as {
    contributes: { jsonValidation: { fileMatch: string; url: string }[] };
  };

  it('is the schema of the parser, and package.json serves it for *.flowtest.json', () => {
    assert.deepEqual(served, JSON.parse(JSON.stringify(flowTestJsonSchema)));
    assert.ok(
      manifest.contributes.jsonValidation.some(
        (v) => v.fileMatch === '*.flowtest.json' && v.url === './media/schemas/flowtest.schema.json',
      ),
    );
  });

  it('accepts what the parser accepts and rejects what it refuses (a sample of each)', () => {
    const validate = new Ajv({ strict: false }).compile(served as object);
    const good = {
      flow: 'Invoice Processing',
      inputs: { Amount: 1 },
      run: { connection: 'shared-uiflow-1', mode: 'attended', timeout: 60 },
      expect: { status: 'failed', errorCode: 'X', maxDurationSeconds: 5 },
    };
    assert.equal(validate(good), true, JSON.stringify(validate.errors));
    assert.ok(parseFlowTest(JSON.stringify(good), 'g.flowtest.json').ok);
    for (const bad of [
      {},
      { flow: 'A', expects: {} },
      { flow: 'A', run: { mode: 'headless' } },
      { flow: 'A', expect: { status: 'done' } },
      { flow: 'A', inputs: 3 },
    ]) {
      assert.equal(validate(bad), false, JSON.stringify(bad));
      assert.equal(parseFlowTest(JSON.stringify(bad), 'b.flowtest.json').ok, false, JSON.stringify(bad));
    }
  });
});
