import assert from 'node:assert/strict';
import { compareSchemas } from '../../../src/core/inputs/compareSchemas';
import { parseDesktopFlowSchema } from '../../../src/core/inputs/desktopFlowSchema';
import type { DesktopFlowSchema } from '../../../src/core/inputs/desktopFlowSchema';
import { seededSchema } from './fixtures';

const schema = (
  properties: Record<string, Record<string, unknown>>,
  required?: string[],
): DesktopFlowSchema =>
  parseDesktopFlowSchema(
    {
      schema: { type: 'object', properties, ...(required === undefined ? {} : { required }) },
    },
    'inputs',
  ).schema;

describe('inputs: schema change detection', () => {
  it('finds nothing between a schema and itself', () => {
    const comparison = compareSchemas(seededSchema('invoice'), seededSchema('invoice'));
    assert.equal(comparison.changed, false);
  });

  it('finds added, removed, renamed and changed inputs', () => {
    const before = schema(
      {
        CustomerName: { type: 'string', description: 'Name of the customer' },
        Amount: { type: 'number' },
        Urgent: { type: 'boolean' },
        Legacy: { type: 'object' },
        Token: { type: 'string' },
      },
      ['CustomerName', 'Amount'],
    );
    const after = schema(
      {
        Customer: { type: 'string', description: 'Name of the customer' },
        Amount: { type: 'string' },
        Urgent: { type: 'boolean' },
        DueDate: { type: 'string' },
        Token: { type: 'string', 'x-ms-sensitive': true },
      },
      ['Customer', 'Amount', 'Urgent'],
    );
    const c = compareSchemas(before, after);
    assert.equal(c.changed, true);
    assert.deepEqual(
      c.renamed.map((r) => [r.from.name, r.to.name, r.confidence]),
      [['CustomerName', 'Customer', 'likely']],
    );
    assert.deepEqual(
      c.added.map((v) => v.name),
      ['DueDate'],
    );
    assert.deepEqual(
      c.removed.map((v) => v.name),
      ['Legacy'],
    );
    assert.deepEqual(
      c.typeChanged.map((x) => [x.name, x.previous.kind, x.current.kind]),
      [['Amount', 'number', 'text']],
    );
    assert.deepEqual(
      c.requirementChanged.map((x) => [x.name, x.previous.requirement, x.current.requirement]),
      [['Urgent', 'optional', 'required']],
    );
    assert.deepEqual(
      c.sensitivityChanged.map((x) => x.name),
      ['Token'],
    );
  });

  it('guesses a rename when exactly one input of a type left and one arrived, however named', () => {
    const c = compareSchemas(schema({ Alpha: { type: 'number' } }), schema({ Zulu: { type: 'number' } }));
    assert.deepEqual(
      c.renamed.map((r) => [r.from.name, r.to.name, r.confidence]),
      [['Alpha', 'Zulu', 'possible']],
    );
    assert.deepEqual(c.added, []);
    assert.deepEqual(c.removed, []);
  });

  it('does not pair inputs of different types', () => {
    const c = compareSchemas(schema({ Count: { type: 'number' } }), schema({ Counts: { type: 'array' } }));
    assert.deepEqual(c.renamed, []);
    assert.deepEqual([c.added.map((v) => v.name), c.removed.map((v) => v.name)], [['Counts'], ['Count']]);
  });

  it('pairs renames by name similarity when several inputs changed at once', () => {
    const c = compareSchemas(
      schema({ invoice_id: { type: 'string' }, vendor: { type: 'string' } }),
      schema({ InvoiceId: { type: 'string' }, Supplier: { type: 'string' } }),
    );
    assert.deepEqual(
      c.renamed.map((r) => [r.from.name, r.to.name, r.confidence]),
      [
        ['invoice_id', 'InvoiceId', 'likely'],
        ['vendor', 'Supplier', 'possible'],
      ],
    );
  });
});
