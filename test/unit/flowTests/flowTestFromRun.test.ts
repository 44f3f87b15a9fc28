import assert from 'node:assert/strict';
import { parseFlowTest } from '../../../src/core/flowTests/flowTestFile';
import { flowTestFromRun, secretNameFor } from '../../../src/core/flowTests/flowTestFromRun';
import { judgeRun } from '../../../src/core/flowTests/flowTestRunner';
import { seededSchema } from '../inputs/fixtures';

describe('Create Test from Run (flowTestFromRun)', () => {
  it('writes sensitive inputs as ${secret:NAME} references, never their values, and leaves sensitive outputs out', () => {
    const file = flowTestFromRun({
      flowName: 'Portal Login',
      environmentName: 'Contoso Dev',
      status: 'succeeded',
      inputs: { Username: 'maker@contoso.example', Password: 'hunter2-very-secret' },
      outputs: { SessionToken: 'tok-7d1e0c', LoggedIn: true },
      inputSchema: seededSchema('credentials', 'inputs'),
      outputSchema: seededSchema('credentials', 'outputs'),
      connection: { kind: 'connection', name: 'shared-uiflow-1' },
      mode: 'unattended',
    });
    assert.ok(!file.content.includes('hunter2-very-secret'), 'the password is not in the file');
    assert.ok(!file.content.includes('tok-7d1e0c'), 'the sensitive output is not in the file');
    assert.deepEqual(file.secrets, { Password: 'PortalLogin_Password' });
    assert.deepEqual(file.skippedOutputs, ['SessionToken']);
    const parsed = parseFlowTest(file.content, 'tests/portal-login.flowtest.json');
    assert.ok(parsed.ok, 'the file written is a valid flow test');
    assert.equal(parsed.test.flow, 'Portal Login');
    assert.equal(parsed.test.environment, 'Contoso Dev');
    assert.deepEqual(parsed.test.run.connection, { kind: 'connection', name: 'shared-uiflow-1' });
    assert.equal(parsed.test.run.mode, 'unattended');
    assert.equal(parsed.test.inputs.kind, 'values');
    assert.deepEqual(parsed.test.inputs.kind === 'values' ? parsed.test.inputs.values : undefined, {
      Username: 'maker@contoso.example',
      Password: '${secret:PortalLogin_Password}',
    });
    assert.deepEqual(parsed.test.expect, {
      status: 'succeeded',
      outputs: { LoggedIn: true },
      errorCode: undefined,
      maxDurationSeconds: undefined,
    });
  });

  it('expects the same run to pass: its outputs, datatables and custom objects included', () => {
    const outputs = {
      Total: 1250.5,
      Summary: { name: 'Fabrikam', id: 7 },
      Report: [{ Line: 1, Account: '4000', Amount: 100 }],
    };
    const file = flowTestFromRun({ flowName: 'Invoice', status: 'succeeded', inputs: undefined, outputs });
    const parsed = parseFlowTest(file.content, 'invoice.flowtest.json');
    assert.ok(parsed.ok);
    assert.equal(parsed.test.inputs.kind, 'none');
    assert.deepEqual(
      judgeRun(parsed.test, { status: 'succeeded', errorCode: undefined, outputs, runTimeMs: 1000 }, 1000),
      [],
    );
  });

  it('turns a failed run into an expected failure with its error code, and no outputs', () => {
    const file = flowTestFromRun({
      flowName: 'Scrape Portal',
      status: 'failed',
      errorCode: 'ActionFailed',
      inputs: { SupplierUrl: 'https://suppliers.example' },
      outputs: undefined,
      inputSchema: seededSchema('scrapePortal', 'inputs'),
    });
    const parsed = parseFlowTest(file.content, 'scrape.flowtest.json');
    assert.ok(parsed.ok, parsed.ok ? '' : parsed.problems.map((p) => p.message).join(' '));
    assert.equal(parsed.test.expect.status, 'failed');
    assert.equal(parsed.test.expect.errorCode, 'ActionFailed');
    assert.equal(parsed.test.expect.outputs, undefined);
  });

  it('makes secret names that ${secret:…} accepts', () => {
    assert.equal(secretNameFor('Invoice Processing', 'ApiKey'), 'InvoiceProcessing_ApiKey');
    assert.equal(secretNameFor('3D print', 'pin code'), '_3DPrint_PinCode');
    assert.match(secretNameFor('Ünïcode flow!', 'x'), /^[A-Za-z_][A-Za-z0-9_]*$/);
  });
});
