/**
 * The catalogue of bad input files: each one is validated against a seeded flow's schema and must give
 * exactly the listed problems, each at the listed line and column and highlighting the listed text.
 */
import assert from 'node:assert/strict';
import { clouds } from '../../../src/core/clouds';
import { compareSchemas } from '../../../src/core/inputs/compareSchemas';
import type { DesktopFlowSchema } from '../../../src/core/inputs/desktopFlowSchema';
import type { ValidateInputOptions } from '../../../src/core/inputs/inputFileAnalysis';
import type { InputProblemCode, ProblemSeverity } from '../../../src/core/inputs/inputProblem';
import { validateInputFile } from '../../../src/core/inputs/validateInputFile';
import { parseDesktopFlowSchema } from '../../../src/core/inputs/desktopFlowSchema';
import { seedEnvironmentNames, seedIds } from '../../../src/sandbox/seed';
import { oneMegabyte, seededSchema, twoMegabytes } from './fixtures';

const invoiceId = seedIds.flows.invoice;
const invoice = seededSchema('invoice');
const allTypes = seededSchema('echoAllTypes');
const options: ValidateInputOptions = {
  limitBytes: twoMegabytes,
  flowId: invoiceId,
  environment: [seedEnvironmentNames.dev, seedIds.environments.dev],
};

/** What one problem must look like. `token` is the exact highlighted text; `column` overrides the search. */
interface Expected {
  readonly code: InputProblemCode;
  readonly severity?: ProblemSeverity;
  readonly line: number;
  readonly token: string;
  readonly column?: number;
  readonly path?: string;
  readonly message?: RegExp;
}

interface Case {
  readonly name: string;
  readonly text: string;
  readonly schema?: DesktopFlowSchema;
  readonly options?: Partial<ValidateInputOptions>;
  readonly problems: readonly Expected[];
}

const lines = (...parts: string[]): string => parts.join('\n');
const schemaLine = `  "$schema": "desktopflows-schema:/${seedEnvironmentNames.dev}/${invoiceId}.json",`;

/** A valid invoice file with line 4 (Amount) replaced, and optionally more lines after it. */
const invoiceWith = (amountLine: string, ...extra: string[]): string =>
  lines(
    '{',
    schemaLine,
    '  "InvoiceId": "INV-1",',
    amountLine,
    ...extra,
    '  "ApiKey": "${secret:ErpKey}"',
    '}',
  );

const cases: Case[] = [
  {
    name: 'a missing comma between two inputs',
    text: lines('{', '  "InvoiceId": "INV-1"', '  "ApiKey": "${secret:ErpKey}"', '}'),
    problems: [{ code: 'syntax', line: 3, token: '"ApiKey"', message: /Expected a comma/ }],
  },
  {
    name: 'text that runs past the end of the line',
    text: lines('{', '  "InvoiceId": "INV-1,', '  "ApiKey": "${secret:ErpKey}"', '}'),
    problems: [{ code: 'syntax', line: 2, token: '"INV-1,', message: /closing double quote/ }],
  },
  {
    name: 'single-quoted property names',
    text: lines('{', "  'InvoiceId': 'INV-1'", '}'),
    problems: [{ code: 'syntax', line: 2, token: "'InvoiceId'", message: /Unexpected character/ }],
  },
  {
    name: 'an empty file',
    text: '   \n',
    problems: [{ code: 'syntax', line: 2, token: '', column: 1, message: /empty/ }],
  },
  {
    name: 'two objects one after the other',
    text: lines('{ "InvoiceId": "A", "ApiKey": "${env:K}" }', '{}'),
    problems: [{ code: 'syntax', line: 2, token: '{', message: /after the end/ }],
  },
  {
    name: 'a Windows path with single backslashes',
    text: lines('{', '  "InvoiceId": "C:\\Temp\\inv.pdf",', '  "ApiKey": "${env:K}"', '}'),
    problems: [{ code: 'syntax', line: 2, token: '"C:\\Temp\\inv.pdf"', message: /escape/ }],
  },
  {
    name: 'a missing closing brace',
    text: lines('{', '  "InvoiceId": "INV-1",', '  "ApiKey": "${env:K}"', ''),
    problems: [{ code: 'syntax', line: 4, token: '', column: 1, message: /Expected "}"/ }],
  },
  {
    name: 'comments and trailing commas (flagged, still runnable)',
    text: lines('{', '  // the invoice', '  "InvoiceId": "INV-1",', '  "ApiKey": "${env:K}",', '}'),
    problems: [
      { code: 'comment', severity: 'warning', line: 2, token: '// the invoice' },
      { code: 'trailingComma', severity: 'warning', line: 4, token: ',', column: 23 },
    ],
  },
  {
    name: 'a number written as text',
    text: invoiceWith('  "Amount": "10",'),
    problems: [
      { code: 'type', line: 4, token: '"10"', path: '$.Amount', message: /must be a number.*but it is text/ },
    ],
  },
  {
    name: 'a boolean written as text',
    text: invoiceWith('  "Amount": 10,', '  "IsUrgent": "true",'),
    problems: [{ code: 'type', line: 5, token: '"true"', message: /must be a boolean/ }],
  },
  {
    name: 'an object where a list is expected',
    text: invoiceWith('  "Amount": 10,', '  "LineItems": { "sku": "A-1" },'),
    problems: [
      { code: 'type', line: 5, token: '{ "sku": "A-1" }', message: /must be a list.*custom object/ },
    ],
  },
  {
    name: 'a list where a custom object is expected',
    text: invoiceWith('  "Amount": 10,', '  "Customer": ["Contoso"],'),
    problems: [{ code: 'type', line: 5, token: '["Contoso"]', message: /must be a custom object.*a list/ }],
  },
  {
    name: 'a null input',
    text: invoiceWith('  "Amount": null,'),
    problems: [{ code: 'null', line: 4, token: 'null', message: /is null/ }],
  },
  {
    name: 'a required input left out',
    text: lines('{', '  "Amount": 10,', '  "ApiKey": "${secret:ErpKey}"', '}'),
    problems: [{ code: 'required', line: 1, token: '{', path: '$', message: /"InvoiceId" is missing/ }],
  },
  {
    name: 'a misspelt input name',
    text: invoiceWith('  "Amout": 10,'),
    problems: [{ code: 'unknownInput', line: 4, token: '"Amout"', path: '$.Amout', message: /not an input/ }],
  },
  {
    name: 'an input name in the wrong case (so the real one is missing)',
    text: lines('{', '  "invoiceid": "INV-1",', '  "ApiKey": "${secret:ErpKey}"', '}'),
    problems: [
      { code: 'required', line: 1, token: '{' },
      { code: 'unknownInput', line: 2, token: '"invoiceid"' },
    ],
  },
  {
    name: 'an integer beyond Number.MAX_SAFE_INTEGER',
    text: invoiceWith('  "Amount": 12345678901234567890,'),
    problems: [
      { code: 'hugeNumber', line: 4, token: '12345678901234567890', message: /12345678901234567000/ },
    ],
  },
  {
    name: 'a number beyond the double range',
    text: invoiceWith('  "Amount": 1e400,'),
    problems: [{ code: 'hugeNumber', line: 4, token: '1e400', message: /would become null/ }],
  },
  {
    name: 'a decimal with more digits than a double keeps (warning only)',
    text: invoiceWith('  "Amount": 0.12345678901234567891,'),
    problems: [{ code: 'numberPrecision', severity: 'warning', line: 4, token: '0.12345678901234567891' }],
  },
  {
    name: 'a custom object nested 70 levels deep',
    text: invoiceWith(`  "Amount": 1, "Customer": ${'{"a":'.repeat(69)}1${'}'.repeat(69)},`),
    problems: [{ code: 'tooDeep', line: 4, token: '{', column: 28 + 5 * 63, message: /more than 64 levels/ }],
  },
  {
    name: 'a list nested 100,000 levels deep (no stack overflow)',
    text: `{"Items": ${'['.repeat(100_000)}${']'.repeat(100_000)}}`,
    schema: allTypes,
    options: { flowId: undefined },
    problems: [{ code: 'tooDeep', line: 1, token: '[', column: 11 + 63 }],
  },
  {
    name: 'a $schema for another flow',
    text: lines(
      '{',
      `  "$schema": "desktopflows-schema:/${seedIds.flows.echoText}.json",`,
      '  "InvoiceId": "A",',
      '  "ApiKey": "${env:K}"',
      '}',
    ),
    problems: [
      {
        code: 'schemaMismatch',
        line: 2,
        token: `"desktopflows-schema:/${seedIds.flows.echoText}.json"`,
        message: /not for the flow being run/,
      },
    ],
  },
  {
    name: 'a $schema for another environment (warning)',
    text: lines(
      '{',
      `  "$schema": "desktopflows-schema:/contoso-prod/${invoiceId}.json",`,
      '  "InvoiceId": "A",',
      '  "ApiKey": "${env:K}"',
      '}',
    ),
    problems: [
      {
        code: 'schemaMismatch',
        severity: 'warning',
        line: 2,
        token: `"desktopflows-schema:/contoso-prod/${invoiceId}.json"`,
      },
    ],
  },
  {
    name: 'a $schema that is not a desktop flow (warning)',
    text: lines(
      '{',
      '  "$schema": "http://json-schema.org/draft-07/schema#",',
      '  "InvoiceId": "A",',
      '  "ApiKey": "${env:K}"',
      '}',
    ),
    problems: [
      { code: 'schemaUri', severity: 'warning', line: 2, token: '"http://json-schema.org/draft-07/schema#"' },
    ],
  },
  {
    name: 'a malformed desktopflows-schema URI (warning)',
    text: lines(
      '{',
      '  "$schema": "desktopflows-schema:invoice",',
      '  "InvoiceId": "A",',
      '  "ApiKey": "${env:K}"',
      '}',
    ),
    problems: [
      {
        code: 'schemaUri',
        severity: 'warning',
        line: 2,
        token: '"desktopflows-schema:invoice"',
        message: /well-formed/,
      },
    ],
  },
  {
    name: 'a $schema that is not text',
    text: lines('{', '  "$schema": 42,', '  "InvoiceId": "A",', '  "ApiKey": "${env:K}"', '}'),
    problems: [{ code: 'schemaUri', line: 2, token: '42' }],
  },
  {
    name: 'a list instead of an object',
    text: '[\n  { "InvoiceId": "A" }\n]',
    problems: [{ code: 'notObject', line: 1, token: '[\n  { "InvoiceId": "A" }\n]', path: '$' }],
  },
  {
    name: 'a bare string instead of an object',
    text: '"INV-1"',
    problems: [{ code: 'notObject', line: 1, token: '"INV-1"' }],
  },
  {
    name: 'a placeholder left in a text input',
    text: lines('{', '  "InvoiceId": "<required: text>",', '  "ApiKey": "${env:K}"', '}'),
    problems: [{ code: 'placeholder', line: 2, token: '"<required: text>"', message: /placeholder/ }],
  },
  {
    name: 'a placeholder left in a sensitive input',
    text: lines(
      '{',
      '  "InvoiceId": "A",',
      '  "ApiKey": "<required: sensitive text, use ${secret:NAME}>"',
      '}',
    ),
    problems: [{ code: 'placeholder', line: 3, token: '"<required: sensitive text, use ${secret:NAME}>"' }],
  },
  {
    name: 'a literal value in a sensitive input (warning)',
    text: lines('{', '  "InvoiceId": "A",', '  "ApiKey": "sk-live-123"', '}'),
    problems: [{ code: 'sensitiveLiteral', severity: 'warning', line: 3, token: '"sk-live-123"' }],
  },
  {
    name: 'a malformed reference in a sensitive input',
    text: lines('{', '  "InvoiceId": "A",', '  "ApiKey": "${vault:ErpKey}"', '}'),
    problems: [{ code: 'badReference', line: 3, token: '"${vault:ErpKey}"' }],
  },
  {
    name: 'a reference in an input that is not sensitive (resolved like any other: no problem)',
    text: lines('{', '  "InvoiceId": "${env:INVOICE}",', '  "ApiKey": "${env:K}"', '}'),
    problems: [],
  },
  {
    name: 'a malformed ${env:…} in an input that is not sensitive',
    text: lines('{', '  "InvoiceId": "${env:BUILD ID}",', '  "ApiKey": "${env:K}"', '}'),
    problems: [{ code: 'badReference', line: 2, token: '"${env:BUILD ID}"' }],
  },
  {
    name: 'the same input twice',
    text: lines('{', '  "InvoiceId": "A",', '  "ApiKey": "${env:K}",', '  "InvoiceId": "B"', '}'),
    problems: [{ code: 'duplicateKey', line: 4, token: '"InvoiceId"' }],
  },
  {
    name: 'CRLF line endings and a byte-order mark (positions still exact)',
    text: '\uFEFF{\r\n  "InvoiceId": 7,\r\n  "ApiKey": "${env:K}"\r\n}',
    problems: [{ code: 'type', line: 2, token: '7' }],
  },
];

/** A file whose serialized inputs take exactly `bytes` UTF-8 bytes, padded in Notes with `unit`. */
function fileOfSize(bytes: number, unit = 'x', tail = ''): string {
  const values = { InvoiceId: 'INV-1', ApiKey: '${secret:ErpKey}', Notes: '' };
  const base = Buffer.byteLength(JSON.stringify(values), 'utf8') + Buffer.byteLength(tail, 'utf8');
  const unitBytes = Buffer.byteLength(unit, 'utf8');
  const count = Math.floor((bytes - base) / unitBytes);
  const rest = bytes - base - count * unitBytes;
  const notes = unit.repeat(count) + 'x'.repeat(rest) + tail;
  return `{\n  "InvoiceId": "INV-1",\n  "ApiKey": "\${secret:ErpKey}",\n  "Notes": ${JSON.stringify(notes)}\n}\n`;
}

const notesKey = { code: 'tooLarge' as const, line: 4, token: '"Notes"' };

for (const [cloud, limit] of [
  ['Public', clouds.Public.inputLimitBytes],
  ['China', clouds.China.inputLimitBytes],
] as const) {
  cases.push(
    {
      name: `${cloud}: inputs of exactly the limit`,
      text: fileOfSize(limit),
      options: { limitBytes: limit },
      problems: [],
    },
    {
      name: `${cloud}: inputs one byte over the limit`,
      text: fileOfSize(limit + 1),
      options: { limitBytes: limit },
      problems: [{ ...notesKey, message: new RegExp(`${(limit + 1).toLocaleString('en-US')} bytes`) }],
    },
    {
      name: `${cloud}: multi-byte text ending exactly at the limit (3-byte €)`,
      text: fileOfSize(limit, 'é', '€'),
      options: { limitBytes: limit },
      problems: [],
    },
    {
      name: `${cloud}: multi-byte text one byte over (4-byte emoji), far fewer characters than bytes`,
      text: fileOfSize(limit + 1, 'é', '😀'),
      options: { limitBytes: limit },
      problems: [notesKey],
    },
  );
}

function columnOf(text: string, line: number, token: string): number {
  const lineText = text.split(/\r\n|\r|\n/)[line - 1] ?? '';
  const index = lineText.indexOf(token.split('\n')[0] ?? '');
  assert.ok(index >= 0, `token ${token} not on line ${line}: ${lineText.slice(0, 80)}`);
  return index + 1;
}

describe('inputs: catalogue of bad input files', () => {
  it('accepts the valid base file without any problem', () => {
    const result = validateInputFile(invoiceWith('  "Amount": 10,'), invoice, options);
    assert.deepEqual(result.problems, []);
    assert.equal(result.ok, true);
    assert.deepEqual(result.values, { InvoiceId: 'INV-1', Amount: 10, ApiKey: '${secret:ErpKey}' });
  });

  it('has at least 20 cases', () => {
    assert.ok(cases.length >= 20, String(cases.length));
  });

  for (const c of cases) {
    it(c.name, () => {
      const result = validateInputFile(c.text, c.schema ?? invoice, { ...options, ...c.options });
      const actual = result.problems.map((p) => ({
        code: p.code,
        severity: p.severity,
        line: p.line,
        column: p.column,
        token: c.text.slice(p.offset, p.offset + p.length),
      }));
      const expected = c.problems.map((e) => ({
        code: e.code,
        severity: e.severity ?? 'error',
        line: e.line,
        column: e.column ?? columnOf(c.text, e.line, e.token),
        token: e.token,
      }));
      assert.deepEqual(actual, expected);
      c.problems.forEach((e, i) => {
        const p = result.problems[i];
        assert.ok(p !== undefined);
        assert.ok(p.message.length > 0 && p.fix.length > 0, 'every problem says what and how to fix');
        if (e.path !== undefined) {
          assert.equal(p.pathText, e.path);
        }
        if (e.message !== undefined) {
          assert.match(p.message, e.message);
        }
      });
      assert.equal(result.ok, !expected.some((e) => e.severity === 'error'));
    });
  }

  it('suggests the input a misspelt name was meant to be', () => {
    const [problem] = validateInputFile(invoiceWith('  "Amout": 10,'), invoice, options).problems;
    assert.match(problem?.fix ?? '', /Did you mean "Amount"\?/);
  });

  it('explains an input the flow renamed since the file was written', () => {
    const previous = parseDesktopFlowSchema(
      {
        schema: {
          type: 'object',
          properties: {
            InvoiceNumber: { type: 'string', description: 'Invoice number' },
            ApiKey: { type: 'string', 'x-ms-sensitive': true },
          },
          required: ['InvoiceNumber', 'ApiKey'],
        },
      },
      'inputs',
    ).schema;
    assert.deepEqual(
      compareSchemas(previous, invoice).renamed.map((r) => [r.from.name, r.to.name]),
      [['InvoiceNumber', 'InvoiceId']],
    );
    const text = lines('{', '  "InvoiceNumber": "INV-1",', '  "ApiKey": "${env:K}"', '}');
    const result = validateInputFile(text, invoice, { ...options, previousSchema: previous });
    assert.deepEqual(
      result.problems.map((p) => [p.code, p.line, p.column, p.message]),
      [
        ['required', 1, 1, 'Required input "InvoiceId" is missing (renamed from "InvoiceNumber"?).'],
        [
          'removedInput',
          2,
          3,
          'Input "InvoiceNumber" no longer exists in the flow (renamed to "InvoiceId"?).',
        ],
      ],
    );
  });

  it('reports a removed input that has no likely successor', () => {
    const previous = parseDesktopFlowSchema(
      { schema: { properties: { ...{ Legacy: { type: 'boolean' } }, InvoiceId: { type: 'string' } } } },
      'inputs',
    ).schema;
    const text = lines('{', '  "InvoiceId": "A",', '  "ApiKey": "${env:K}",', '  "Legacy": true', '}');
    const [problem] = validateInputFile(text, invoice, { ...options, previousSchema: previous }).problems;
    assert.equal(problem?.code, 'removedInput');
    assert.equal(problem.message, 'Input "Legacy" no longer exists in the flow.');
  });

  it('warns (but does not block) when a schema does not say whether a missing input is required', () => {
    const echo = seededSchema('echoText');
    const result = validateInputFile('{ "inputText": "hi" }', echo, { limitBytes: twoMegabytes });
    assert.equal(result.ok, true);
    assert.deepEqual(
      result.problems.map((p) => [p.code, p.severity, p.line, p.column]),
      [['required', 'warning', 1, 1]],
    );
    assert.match(result.problems[0]?.message ?? '', /"inputInteger" is not set/);
  });

  it('measures the limit in UTF-8 bytes of the sent string, not in characters', () => {
    const text = fileOfSize(oneMegabyte + 1, 'é', '😀');
    const result = validateInputFile(text, invoice, { limitBytes: oneMegabyte });
    assert.equal(result.bytes, oneMegabyte + 1);
    assert.ok(JSON.stringify(result.values).length < oneMegabyte * 0.6, 'far fewer UTF-16 units than bytes');
  });
});
