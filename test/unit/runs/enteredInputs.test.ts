/**
 * "Enter inputs…": which inputs are asked, each typed value checked as the box validates it, and the input
 * file the values are saved as (sensitive values as `${secret:NAME}` references, never in the file).
 */
import assert from 'node:assert/strict';
import type { FlowVariable } from '../../../src/core/inputs/desktopFlowSchema';
import {
  enteredInputFile,
  hasRequiredWithoutDefault,
  inputsToAsk,
  parseEnteredValue,
  secretNameFor,
} from '../../../src/core/runs/enteredInputs';

function variable(name: string, kind: FlowVariable['kind'], more: Partial<FlowVariable> = {}): FlowVariable {
  return {
    name,
    kind,
    declaredType: kind,
    title: undefined,
    description: undefined,
    hasDefault: false,
    default: undefined,
    sensitive: false,
    requirement: 'required',
    ...more,
  };
}

const invoiceId = variable('InvoiceId', 'text');
const amount = variable('Amount', 'number', { hasDefault: true, default: 0 });
const urgent = variable('IsUrgent', 'boolean', { hasDefault: true, default: false });
const customer = variable('Customer', 'customObject', { requirement: 'optional' });
const apiKey = variable('ApiKey', 'text', { sensitive: true });

describe('Enter inputs: what is asked and how each typed value is checked', () => {
  it('asks the inputs without a default, or all of them', () => {
    const all = [invoiceId, amount, urgent, customer, apiKey];
    assert.deepEqual(
      inputsToAsk(all, false).map((v) => v.name),
      ['InvoiceId', 'Customer', 'ApiKey'],
    );
    assert.equal(inputsToAsk(all, true).length, 5);
    assert.equal(hasRequiredWithoutDefault(all), true);
    assert.equal(hasRequiredWithoutDefault([amount, customer]), false);
  });

  it('refuses an empty required value and a value of the wrong type, saying what to type', () => {
    assert.deepEqual(parseEnteredValue(invoiceId, ''), {
      ok: false,
      message: '"InvoiceId" is required: enter its text.',
    });
    const wrong = parseEnteredValue(amount, 'twelve');
    assert.equal(wrong.ok, false);
    assert.match(wrong.ok ? '' : wrong.message, /"Amount" is a number: enter something like 42\./);
    const notObject = parseEnteredValue(customer, '[1]');
    assert.match(notObject.ok ? '' : notObject.message, /custom object \(JSON\)/);
  });

  it('converts typed text to the input type, and leaves empty optional or defaulted inputs unsent', () => {
    assert.deepEqual(parseEnteredValue(amount, '12.5'), { ok: true, value: 12.5 });
    assert.deepEqual(parseEnteredValue(urgent, 'TRUE'), { ok: true, value: true });
    assert.deepEqual(parseEnteredValue(customer, '{"name":"Contoso"}'), {
      ok: true,
      value: { name: 'Contoso' },
    });
    assert.deepEqual(parseEnteredValue(amount, ''), { ok: true, omitted: true });
    assert.deepEqual(parseEnteredValue(customer, ''), { ok: true, omitted: true });
  });
});

describe('Enter inputs: saving the values as an input file', () => {
  it('writes $schema and the values, and a sensitive value only as a ${secret:} reference', () => {
    const file = enteredInputFile(
      { environmentId: 'env-1', flowId: 'flow-1', flowName: 'Invoice Processing' },
      [invoiceId, amount, apiKey],
      { InvoiceId: 'INV-1', ApiKey: 'k-123' },
    );
    assert.deepEqual(JSON.parse(file.content), {
      $schema: 'desktopflows-schema:/env-1/flow-1.json',
      InvoiceId: 'INV-1',
      ApiKey: '${secret:INVOICE_PROCESSING_APIKEY}',
    });
    assert.doesNotMatch(file.content, /k-123/);
    assert.deepEqual(file.secrets, [{ name: 'INVOICE_PROCESSING_APIKEY', value: 'k-123' }]);
  });

  it('makes secret names a ${secret:} reference accepts', () => {
    assert.equal(secretNameFor('3D print: Müller', 'api-key'), '_3D_PRINT_MULLER_API_KEY');
  });
});
