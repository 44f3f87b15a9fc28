import assert from 'node:assert/strict';
import { FilterError, parseFilter } from '../../../src/sandbox/odataFilter';
import { evaluateFilter } from '../../../src/sandbox/odataFilterEval';
import type { FilterSchema, PropertyType } from '../../../src/sandbox/odataFilter';

const types: Record<string, PropertyType> = {
  name: 'string',
  statuscode: 'int',
  createdon: 'datetime',
  flowsessionid: 'guid',
  ismanaged: 'boolean',
};
const schema: FilterSchema = {
  typeName: 'Microsoft.Dynamics.CRM.flowsession',
  propertyType: (n) => types[n],
};
const rows = [
  {
    name: 'Invoice Run',
    statuscode: 4,
    createdon: '2025-03-10T08:00:00Z',
    flowsessionid: 'aaaaaaaa-0000-4000-8000-000000000001',
    ismanaged: false,
  },
  {
    name: "O'Brien report",
    statuscode: 8,
    createdon: '2025-03-11T08:00:00Z',
    flowsessionid: 'aaaaaaaa-0000-4000-8000-000000000002',
    ismanaged: true,
  },
  {
    name: 'Echo',
    statuscode: 2,
    createdon: '2025-03-12T08:00:00Z',
    flowsessionid: 'aaaaaaaa-0000-4000-8000-000000000003',
    ismanaged: false,
  },
];

function names(filter: string, caseSensitive = false): string[] {
  const node = parseFilter(filter, schema);
  return rows
    .filter((r) =>
      evaluateFilter(node, r, schema, { caseSensitive, now: Date.parse('2025-03-12T12:00:00Z') }),
    )
    .map((r) => r.name);
}

describe('sandbox: OData $filter', () => {
  it('compares numbers, strings (case-insensitively) and datetimes', () => {
    assert.deepEqual(names('statuscode eq 4'), ['Invoice Run']);
    assert.deepEqual(names('statuscode ge 4'), ['Invoice Run', "O'Brien report"]);
    assert.deepEqual(names("name eq 'ECHO'"), ['Echo']);
    assert.deepEqual(names("name eq 'ECHO'", true), []);
    assert.deepEqual(names('createdon gt 2025-03-10T12:00:00Z'), ["O'Brien report", 'Echo']);
    assert.deepEqual(names("name eq 'O''Brien report'"), ["O'Brien report"]);
  });

  it('honours and/or/not precedence and parentheses', () => {
    assert.deepEqual(names('statuscode eq 2 or statuscode eq 4 and ismanaged eq true'), ['Echo']);
    assert.deepEqual(names('(statuscode eq 2 or statuscode eq 4) and ismanaged eq false'), [
      'Invoice Run',
      'Echo',
    ]);
    assert.deepEqual(names('not (statuscode eq 2)'), ['Invoice Run', "O'Brien report"]);
    assert.deepEqual(names('ismanaged'), ["O'Brien report"]);
  });

  it('matches several GUID keys in one expression, bare or through Microsoft.Dynamics.CRM.In', () => {
    const a = rows[0]?.flowsessionid as string;
    const c = rows[2]?.flowsessionid as string;
    assert.deepEqual(names(`flowsessionid eq ${a} or flowsessionid eq ${c.toUpperCase()}`), [
      'Invoice Run',
      'Echo',
    ]);
    assert.deepEqual(
      names(`Microsoft.Dynamics.CRM.In(PropertyName='flowsessionid',PropertyValues=['${a}','${c}'])`),
      ['Invoice Run', 'Echo'],
    );
    assert.deepEqual(
      names(`Microsoft.Dynamics.CRM.NotIn(PropertyName='flowsessionid',PropertyValues=['${a}'])`),
      ["O'Brien report", 'Echo'],
    );
    assert.deepEqual(names("Microsoft.Dynamics.CRM.LastXDays(PropertyName='createdon',PropertyValue=1)"), [
      'Echo',
    ]);
  });

  it('supports contains, startswith and endswith', () => {
    assert.deepEqual(names("contains(name,'report')"), ["O'Brien report"]);
    assert.deepEqual(names("startswith(name,'inv')"), ['Invoice Run']);
    assert.deepEqual(names("endswith(name,'RUN')"), ['Invoice Run']);
    assert.deepEqual(names("startswith(name,'inv')", true), []);
  });

  it('treats null as a value that only eq null matches', () => {
    const node = parseFilter('startedon eq null', {
      typeName: 't',
      propertyType: (n) => (n === 'startedon' ? 'datetime' : undefined),
    });
    assert.equal(evaluateFilter(node, { startedon: null }, schema, { caseSensitive: false, now: 0 }), true);
    assert.equal(
      evaluateFilter(node, { startedon: '2025-01-01T00:00:00Z' }, schema, { caseSensitive: false, now: 0 }),
      false,
    );
  });

  it('rejects unknown properties with 0x0, bad syntax, and incompatible operand types', () => {
    assert.throws(
      () => parseFilter("nmae eq 'x'", schema),
      (e: unknown) =>
        e instanceof FilterError &&
        e.code === '0x0' &&
        /Could not find a property named 'nmae'/.test(e.message),
    );
    assert.throws(() => parseFilter('statuscode eq', schema), FilterError);
    assert.throws(() => parseFilter('(statuscode eq 4', schema), FilterError);
    assert.throws(() => parseFilter("statuscode eq 'four'", schema), /incompatible types/);
    assert.throws(
      () => parseFilter("flowsessionid eq 'aaaaaaaa-0000-4000-8000-000000000001'", schema),
      /incompatible types/,
    );
    assert.throws(() => parseFilter('tolower(name) eq 1', schema), FilterError);
  });
});
