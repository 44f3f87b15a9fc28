import assert from 'node:assert/strict';
import { parseDesktopFlowSchema } from '../../../src/core/inputs/desktopFlowSchema';
import { createInputFileContent } from '../../../src/core/inputs/inputFileContent';
import { outputsToInputFile } from '../../../src/core/inputs/outputsToInputFile';
import { validateInputFile } from '../../../src/core/inputs/validateInputFile';
import { seedEnvironmentNames, seedIds } from '../../../src/sandbox/seed';
import { seededSchema, twoMegabytes } from './fixtures';

const limit = { limitBytes: twoMegabytes };

describe('inputs: New Input File content', () => {
  it('prefills defaults, puts placeholders on required inputs and leaves optional ones out', () => {
    const content = createInputFileContent(
      seededSchema('invoice'),
      seedIds.flows.invoice,
      seedEnvironmentNames.dev,
    );
    assert.equal(
      content,
      [
        '{',
        `  "$schema": "desktopflows-schema:/${seedEnvironmentNames.dev}/${seedIds.flows.invoice}.json",`,
        '  "InvoiceId": "<required: text>",',
        '  "Amount": 0,',
        '  "IsUrgent": false,',
        '  "Customer": {},',
        '  "LineItems": [],',
        '  "Ledger": [],',
        '  "ApiKey": "<required: sensitive text, use ${secret:NAME}>"',
        '}',
        '',
      ].join('\n'),
    );
  });

  it('writes placeholders that fail validation with a message saying to replace them', () => {
    const schema = seededSchema('invoice');
    const content = createInputFileContent(schema, seedIds.flows.invoice);
    const result = validateInputFile(content, schema, { ...limit, flowId: seedIds.flows.invoice });
    assert.equal(result.ok, false);
    assert.deepEqual(
      result.problems.map((p) => [p.code, p.input, p.line, p.column]),
      [
        ['placeholder', 'InvoiceId', 3, 16],
        ['placeholder', 'ApiKey', 9, 13],
      ],
    );
    assert.match(result.problems[0]?.fix ?? '', /^Replace it with a text value/);
    assert.match(result.problems[1]?.fix ?? '', /^Replace it with a reference such as "\$\{secret:NAME\}"/);
    const filled = content
      .replace('"<required: text>"', '"INV-7"')
      .replace('"<required: sensitive text, use ${secret:NAME}>"', '"${secret:ErpKey}"');
    assert.deepEqual(
      validateInputFile(filled, schema, { ...limit, flowId: seedIds.flows.invoice }).problems,
      [],
    );
  });

  it('uses the optional inputs’ defaults and omits the environment when not given', () => {
    const content = createInputFileContent(seededSchema('optionalInputs'), seedIds.flows.optionalInputs);
    assert.deepEqual(JSON.parse(content), {
      $schema: `desktopflows-schema:/${seedIds.flows.optionalInputs}.json`,
      Required: '<required: text>',
      OptionalText: 'fallback',
      OptionalNumber: 5,
      OptionalList: ['a'],
    });
  });

  it('puts placeholders on every input of the documented sample (requirement unknown, no defaults)', () => {
    const content = createInputFileContent(seededSchema('echoText'), seedIds.flows.echoText);
    assert.deepEqual(JSON.parse(content), {
      $schema: `desktopflows-schema:/${seedIds.flows.echoText}.json`,
      inputText: '<required: text>',
      inputInteger: '<required: number>',
    });
  });

  it('never writes a sensitive default into a file', () => {
    const schema = parseDesktopFlowSchema(
      {
        schema: {
          properties: {
            Token: { type: 'string', 'x-ms-sensitive': true, default: 'dflt-token-value' },
            OptionalToken: { type: 'string', 'x-ms-sensitive': true, default: 'other-token' },
          },
          required: ['Token'],
        },
      },
      'inputs',
    ).schema;
    const content = createInputFileContent(schema, 'f');
    assert.equal(content.includes('token-value') || content.includes('other-token'), false);
    assert.deepEqual(JSON.parse(content), {
      $schema: 'desktopflows-schema:/f.json',
      Token: '<required: sensitive text, use ${secret:NAME}>',
    });
  });
});

describe('inputs: Save Outputs as Input File', () => {
  it('copies outputs into inputs of the same name, except sensitive ones', () => {
    const outputs = {
      Text: 'hello',
      Number: '3.5',
      Flag: true,
      Customer: { name: 'Contoso' },
      Items: [1, 2],
      Table: [{ A: 1 }],
      Secret: 'the-secret-output',
    };
    const result = outputsToInputFile(outputs, seededSchema('echoAllTypes'), {
      flowId: seedIds.flows.echoAllTypes,
      outputSchema: seededSchema('echoAllTypes', 'outputs'),
    });
    assert.deepEqual(result.copied, ['Text', 'Number', 'Flag', 'Customer', 'Items', 'Table']);
    assert.deepEqual(result.skippedSensitive, ['Secret']);
    assert.deepEqual(result.unusedOutputs, []);
    assert.deepEqual(result.mismatched, []);
    assert.equal(result.content.includes('the-secret-output'), false);
    assert.deepEqual(JSON.parse(result.content), {
      $schema: `desktopflows-schema:/${seedIds.flows.echoAllTypes}.json`,
      Text: 'hello',
      Number: 3.5,
      Flag: true,
      Customer: { name: 'Contoso' },
      Items: [1, 2],
      Table: [{ A: 1 }],
      Secret: '<required: sensitive text, use ${secret:NAME}>',
      Comment: 'none',
    });
  });

  it('matches names case-insensitively when unambiguous and reports what it could not use', () => {
    const result = outputsToInputFile(
      { required: 'from output', OptionalNumber: 'abc', Unrelated: 1 },
      seededSchema('optionalInputs'),
    );
    assert.deepEqual(result.copied, ['Required']);
    assert.deepEqual(result.mismatched, ['OptionalNumber']);
    assert.deepEqual(result.unusedOutputs, ['Unrelated']);
    assert.deepEqual(JSON.parse(result.content), {
      Required: 'from output',
      OptionalText: 'fallback',
      OptionalNumber: 5,
      OptionalList: ['a'],
    });
  });

  it('produces a file that validates when every input is covered', () => {
    const schema = seededSchema('optionalInputs');
    const result = outputsToInputFile(
      { Required: 'x', OptionalText: 't', OptionalNumber: 1, OptionalList: [] },
      schema,
      {
        flowId: seedIds.flows.optionalInputs,
      },
    );
    assert.deepEqual(
      validateInputFile(result.content, schema, { ...limit, flowId: seedIds.flows.optionalInputs }).problems,
      [],
    );
  });
});
