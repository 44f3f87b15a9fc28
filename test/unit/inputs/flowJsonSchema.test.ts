import assert from 'node:assert/strict';
import { Ajv } from 'ajv';
import { parseDesktopFlowSchema } from '../../../src/core/inputs/desktopFlowSchema';
import {
  convertFlowSchema,
  jsonSchemaDraft,
  toJsonSchema,
  type JsonSchema,
} from '../../../src/core/inputs/flowJsonSchema';
import type { RawFlowSchema } from '../../../src/core/model/flowSchema';
import { seededConverted } from './fixtures';

/** A separate, permissive ajv: roughly what an editor's JSON language service does with the schema. */
function editorCheck(jsonSchema: JsonSchema, value: unknown): boolean {
  const ajv = new Ajv({ strict: false, allErrors: true });
  return ajv.validate(jsonSchema, value);
}

function property(jsonSchema: JsonSchema, name: string): Record<string, unknown> {
  const properties = jsonSchema.properties as Record<string, Record<string, unknown>>;
  const p = properties[name];
  assert.ok(p !== undefined, `no property ${name}`);
  return p;
}

/** The JSON type of a property: its own, or that of its first alternative (the other is a reference). */
function valueType(p: Record<string, unknown>): unknown {
  return p.type ?? (p.anyOf as Record<string, unknown>[] | undefined)?.[0]?.type;
}

describe('inputs: flow schema → JSON Schema', () => {
  it('maps every seeded input type (text, number, boolean, custom object, list, datatable, sensitive, optional)', () => {
    const { jsonSchema, schema } = seededConverted('echoAllTypes', 'inputs');
    assert.equal(jsonSchema.$schema, jsonSchemaDraft);
    assert.equal(jsonSchema.type, 'object');
    assert.equal(jsonSchema.additionalProperties, false);
    assert.equal(property(jsonSchema, 'Text').type, 'string');
    assert.equal(valueType(property(jsonSchema, 'Number')), 'number');
    assert.equal(valueType(property(jsonSchema, 'Flag')), 'boolean');
    assert.equal(valueType(property(jsonSchema, 'Customer')), 'object');
    assert.equal(valueType(property(jsonSchema, 'Items')), 'array');
    assert.deepEqual(valueType(property(jsonSchema, 'Table')), ['array', 'object']);
    // Every input accepts a ${env:…} / ${secret:…} reference: a string input as it is, others as an alternative.
    assert.ok(Array.isArray(property(jsonSchema, 'Number').anyOf));
    assert.equal(property(jsonSchema, 'Text').anyOf, undefined);
    const secret = property(jsonSchema, 'Secret');
    assert.ok(Array.isArray(secret.anyOf), 'a sensitive input accepts its type or a reference');
    assert.equal(property(jsonSchema, 'Comment').default, 'none');
    assert.equal(property(jsonSchema, 'Number').default, 0);
    assert.equal(property(jsonSchema, 'Flag').default, false);
    // Required = in the schema's `required` array and without a default ("" counts as none).
    assert.deepEqual(jsonSchema.required, ['Text', 'Secret']);
    assert.deepEqual(
      schema.variables.map((v) => [v.name, v.kind, v.requirement, v.sensitive]),
      [
        ['Text', 'text', 'required', false],
        ['Number', 'number', 'required', false],
        ['Flag', 'boolean', 'required', false],
        ['Customer', 'customObject', 'required', false],
        ['Items', 'list', 'required', false],
        ['Table', 'datatable', 'required', false],
        ['Secret', 'text', 'required', true],
        ['Comment', 'text', 'optional', false],
      ],
    );
  });

  it('lets a file carry "$schema" and flags unknown input names', () => {
    const { jsonSchema } = seededConverted('echoAllTypes', 'inputs');
    const valid = {
      $schema: 'desktopflows-schema:/x.json',
      Text: 't',
      Number: 1,
      Flag: true,
      Customer: { a: 1 },
      Items: [1],
      Table: [{ A: 1 }],
      Secret: '${secret:Pw}',
    };
    assert.equal(editorCheck(jsonSchema, valid), true);
    assert.equal(editorCheck(jsonSchema, { ...valid, Unknown: 1 }), false);
    assert.equal(editorCheck(jsonSchema, { ...valid, Number: '1' }), false);
    assert.equal(editorCheck(jsonSchema, { ...valid, Number: '${env:COUNT}', Flag: '${secret:F}' }), true);
    assert.equal(editorCheck(jsonSchema, { ...valid, Text: '<required: text>' }), false, 'placeholders fail');
  });

  it('maps every seeded output type and never requires an output', () => {
    const { jsonSchema, schema } = seededConverted('invoice', 'outputs');
    assert.equal(jsonSchema.required, undefined);
    assert.equal(property(jsonSchema, 'Status').type, 'string');
    assert.equal(property(jsonSchema, 'Total').type, 'number');
    assert.equal(property(jsonSchema, 'Approved').type, 'boolean');
    assert.equal(property(jsonSchema, 'Summary').type, 'object');
    assert.equal(property(jsonSchema, 'ProcessedItems').type, 'array');
    assert.deepEqual(property(jsonSchema, 'Report').type, ['array', 'object']);
    assert.ok(Array.isArray(property(jsonSchema, 'Receipt').anyOf));
    assert.ok(schema.variables.every((v) => v.requirement === 'optional'));
    assert.match(String(property(jsonSchema, 'Total').markdownDescription), /^\*\*Number\*\* output/);
  });

  it('converts the documented sample exactly, without warnings', () => {
    const { jsonSchema, warnings, schema } = seededConverted('echoText', 'inputs');
    assert.deepEqual(warnings, []);
    assert.equal(property(jsonSchema, 'inputText').type, 'string');
    assert.equal(valueType(property(jsonSchema, 'inputInteger')), 'number');
    // `"default": ""` means "no default"; the sample has no `required` array, so nothing is required.
    assert.equal('default' in property(jsonSchema, 'inputInteger'), false);
    assert.equal(jsonSchema.required, undefined);
    assert.deepEqual(
      schema.variables.map((v) => v.requirement),
      ['unknown', 'unknown'],
    );
  });

  it('describes type, sensitivity and optionality in markdownDescription', () => {
    const { jsonSchema } = seededConverted('invoice', 'inputs');
    const apiKey = String(property(jsonSchema, 'ApiKey').markdownDescription);
    assert.match(apiKey, /^\*\*Text\*\* input · required · sensitive/);
    assert.match(apiKey, /\$\{secret:NAME\}/);
    assert.match(apiKey, /ERP API key/);
    const notes = String(property(jsonSchema, 'Notes').markdownDescription);
    assert.match(notes, /^\*\*Text\*\* input · optional/);
    assert.match(String(property(jsonSchema, 'Amount').markdownDescription), /Default: `0`/);
    assert.equal(property(jsonSchema, 'ApiKey').title, 'ApiKey');
    assert.match(
      String(property(jsonSchema, 'ApiKey').description),
      /Text, required, sensitive\. ERP API key/,
    );
  });

  it('warns about each undocumented shape it accepts (sensitive flag, datatable)', () => {
    const { warnings } = seededConverted('invoice', 'inputs');
    assert.deepEqual(
      warnings.map((w) => [w.code, w.variable]),
      [
        ['datatableShape', 'Ledger'],
        ['sensitiveFlag', 'ApiKey'],
      ],
    );
  });

  it('accepts a reference for a sensitive input of any type, and the typed value', () => {
    const raw: RawFlowSchema = {
      schema: {
        type: 'object',
        properties: {
          Pin: { type: 'number', format: 'password', default: '' },
          Settings: { type: 'object', 'x-ms-visibility': 'internal' },
        },
      },
    };
    const { jsonSchema, schema } = convertFlowSchema(raw, 'inputs');
    assert.deepEqual(
      schema.variables.map((v) => v.sensitive),
      [true, true],
    );
    assert.equal(editorCheck(jsonSchema, { Pin: '${env:PIN}', Settings: '${secret:Settings}' }), true);
    assert.equal(editorCheck(jsonSchema, { Pin: 1234, Settings: { a: 1 } }), true);
    assert.equal(editorCheck(jsonSchema, { Pin: 'abc' }), false);
    assert.equal(editorCheck(jsonSchema, { Pin: '${vault:PIN}' }), false);
    assert.equal(editorCheck(jsonSchema, { Pin: '${env:}' }), false);
  });

  it('accepts plausible undocumented shapes with warnings and never fails on them', () => {
    const raw: RawFlowSchema = {
      properties: {
        Count: { type: 'Integer', default: '7' },
        Anything: { description: 'no type' },
        Widget: { type: 'widget' },
        Maybe: { type: 'string', optional: true },
        Broken: 'not an object' as never,
        BadDefault: { type: 'boolean', default: 'yes' },
        $schema: { type: 'string' },
        Rows: { type: 'array', 'x-ms-pad-type': 'DataTable' },
      },
    };
    const { schema, jsonSchema, warnings } = convertFlowSchema(raw, 'inputs');
    assert.deepEqual(
      warnings.map((w) => [w.code, w.variable]),
      [
        ['unwrappedSchema', undefined],
        ['unknownType', 'Count'],
        ['missingType', 'Anything'],
        ['unknownType', 'Widget'],
        ['optionalFlag', 'Maybe'],
        ['invalidProperty', 'Broken'],
        ['defaultIgnored', 'BadDefault'],
        ['reservedName', '$schema'],
        ['datatableShape', 'Rows'],
      ],
    );
    const byName = new Map(schema.variables.map((v) => [v.name, v]));
    assert.equal(byName.get('Count')?.kind, 'number');
    assert.equal(byName.get('Count')?.default, 7);
    assert.equal(byName.get('Anything')?.kind, 'unknown');
    assert.equal(byName.get('Widget')?.kind, 'unknown');
    assert.equal(byName.get('Maybe')?.requirement, 'optional');
    assert.equal(byName.get('BadDefault')?.hasDefault, false);
    assert.equal(byName.get('Rows')?.kind, 'datatable');
    // Unknown types accept anything: a guess never blocks a run.
    assert.equal(editorCheck(jsonSchema, { Anything: [1], Widget: { x: 1 }, Broken: null }), true);
  });

  it('turns an unreadable schema into one that accepts any object', () => {
    const raw = {
      schema: { type: 'object', properties: ['not', 'an', 'object'] },
    } as unknown as RawFlowSchema;
    const { schema, jsonSchema, warnings } = convertFlowSchema(raw, 'inputs');
    assert.equal(schema.complete, false);
    assert.equal(jsonSchema.additionalProperties, true);
    assert.deepEqual(
      warnings.map((w) => w.code),
      ['unreadableSchema'],
    );
    assert.equal(editorCheck(jsonSchema, { Whatever: 1 }), true);
  });

  it('gives a flow without a schema an empty, strict object schema', () => {
    const { schema, jsonSchema, warnings } = convertFlowSchema(undefined, 'inputs');
    assert.deepEqual(schema.variables, []);
    assert.equal(schema.complete, true);
    assert.deepEqual(warnings, []);
    assert.equal(editorCheck(jsonSchema, {}), true);
    assert.equal(editorCheck(jsonSchema, { Extra: 1 }), false);
  });

  it('names the document with $id and title when asked, and is a valid draft-07 schema', () => {
    const { schema } = seededConverted('invoice', 'inputs');
    const jsonSchema = toJsonSchema(schema, {
      id: 'desktopflows-schema:/contoso-dev/abc.json',
      title: 'Invoice Processing',
      description: 'Enters an invoice.',
    });
    assert.equal(jsonSchema.$id, 'desktopflows-schema:/contoso-dev/abc.json');
    assert.equal(jsonSchema.title, 'Invoice Processing');
    const ajv = new Ajv({ strict: false });
    assert.equal(ajv.validateSchema(jsonSchema), true, JSON.stringify(ajv.errors));
  });

  it('reads the type of a nullable JSON Schema type list and the draft-3 required flag', () => {
    const raw: RawFlowSchema = {
      schema: { properties: { N: { type: ['number', 'null'] as never, required: true } } },
    };
    const { schema, warnings } = parseDesktopFlowSchema(raw, 'inputs');
    assert.equal(schema.variables[0]?.kind, 'number');
    assert.equal(schema.variables[0]?.requirement, 'required');
    assert.deepEqual(
      warnings.map((w) => w.code),
      ['optionalFlag'],
    );
  });
});
