import assert from 'node:assert/strict';
import { matchOutputs } from '../../../src/core/flowTests/outputMatch';
import { judgeRun } from '../../../src/core/flowTests/flowTestRunner';
import { parseFlowTest, type FlowTest } from '../../../src/core/flowTests/flowTestFile';

/** The outputs of the sandbox's "Export Table" and "Invoice Processing" flows, as the service returns them. */
const exportTable = {
  Table: [
    { Id: 1, Name: 'Alpha', Active: true },
    { Id: 2, Name: 'Beta', Active: false },
  ],
  Count: 2,
};

function test(json: unknown): FlowTest {
  const r = parseFlowTest(JSON.stringify(json), 't.flowtest.json');
  assert.ok(r.ok);
  return r.test;
}

describe('flow test output matching', () => {
  it('passes when every listed output deep-equals; other outputs and property order do not matter', () => {
    assert.deepEqual(matchOutputs({ Count: 2.0 }, exportTable), []);
    assert.deepEqual(
      matchOutputs(
        {
          Table: [
            { Name: 'Alpha', Active: true, Id: 1 },
            { Active: false, Id: 2, Name: 'Beta' },
          ],
        },
        exportTable,
      ),
      [],
    );
    assert.deepEqual(
      matchOutputs({ Approved: true, Total: 1250.5 }, { Total: 1250.5, Approved: true, X: 1 }),
      [],
    );
  });

  it('numbers, booleans and texts never equal each other', () => {
    const m = matchOutputs(
      { Count: '2', Approved: 'true', Total: 0 },
      { Count: 2, Approved: true, Total: false },
    );
    assert.deepEqual(
      m.map((x) => [x.path, x.kind, x.expected, x.actual]),
      [
        ['Count', 'different', '2', 2],
        ['Approved', 'different', 'true', true],
        ['Total', 'different', 0, false],
      ],
    );
    assert.equal(m[0]?.message, 'Count is 2 (a number); expected "2" (a string).');
  });

  it('a datatable cell, a list item, a custom object property: each difference with its path', () => {
    const m = matchOutputs(
      {
        Table: [
          { Id: 1, Name: 'Alpha', Active: true },
          { Id: 2, Name: 'Gamma', Active: false },
        ],
        Items: ['a', 'b', 'c'],
        Summary: { name: 'Fabrikam', id: 7, 'post code': '98052' },
      },
      { ...exportTable, Items: ['a', 'x'], Summary: { name: 'Fabrikam', id: 8, extra: 1 } },
    );
    assert.deepEqual(
      m.map((x) => [x.output, x.path, x.kind]),
      [
        ['Table', 'Table[1].Name', 'different'],
        ['Items', 'Items', 'length'],
        ['Items', 'Items[1]', 'different'],
        ['Summary', 'Summary.id', 'different'],
        ['Summary', 'Summary["post code"]', 'missingProperty'],
        ['Summary', 'Summary.extra', 'extraProperty'],
      ],
    );
    assert.equal(m[0]?.message, 'Table[1].Name is "Beta"; expected "Gamma".');
    assert.equal(m[1]?.message, 'Items has 2 items; expected 3.');
  });

  it('an output the run does not have is a mismatch; so is a run without outputs', () => {
    assert.deepEqual(
      matchOutputs({ Missing: null }, exportTable).map((x) => [x.kind, x.message]),
      [['missing', 'The run has no output "Missing"; expected null.']],
    );
    assert.equal(matchOutputs({ Count: 2 }, undefined).length, 1);
  });

  it('judges status, error code and duration, and only compares outputs of succeeded runs', () => {
    const expectFailure = test({
      flow: 'F',
      expect: { status: 'failed', errorCode: 'WindowsIdentityIncorrect', maxDurationSeconds: 5 },
    });
    assert.deepEqual(
      judgeRun(
        expectFailure,
        { status: 'failed', errorCode: 'windowsidentityincorrect', outputs: undefined, runTimeMs: 5000 },
        9000,
      ),
      [],
    );
    const m = judgeRun(
      expectFailure,
      { status: 'succeeded', errorCode: undefined, outputs: {}, runTimeMs: undefined },
      6500,
    );
    assert.deepEqual(
      m.map((x) => x.message),
      [
        'The run ended succeeded; expected failed.',
        "The run's error code is none; expected WindowsIdentityIncorrect.",
        'The run took 6.5 s; expected at most 5 s.',
      ],
    );
    const outputs = test({ flow: 'F', expect: { outputs: { Count: 3 } } });
    assert.deepEqual(
      judgeRun(outputs, { status: 'failed', errorCode: 'X', outputs: undefined, runTimeMs: 1 }, 1).map(
        (x) => x.kind,
      ),
      ['status'],
    );
    assert.deepEqual(
      judgeRun(
        outputs,
        { status: 'succeeded', errorCode: undefined, outputs: exportTable, runTimeMs: 1 },
        1,
      ).map((x) => [x.kind, x.expected, x.actual]),
      [['output', 3, 2]],
    );
  });
});
