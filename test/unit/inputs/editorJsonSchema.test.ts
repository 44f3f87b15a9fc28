import assert from 'node:assert/strict';
import { Ajv } from 'ajv';
import { constraintKeywords, toEditorJsonSchema } from '../../../src/core/inputs/editorJsonSchema';
import { jsonSchemaDraft, type JsonSchema } from '../../../src/core/inputs/flowJsonSchema';
import { seededConverted } from './fixtures';

/** Every key used anywhere in a schema document. */
function keysIn(value: unknown, into = new Set<string>(), underProperties = false): Set<string> {
  if (Array.isArray(value)) {
    value.forEach((v) => keysIn(v, into));
  } else if (typeof value === 'object' && value !== null) {
    for (const [key, v] of Object.entries(value)) {
      if (!underProperties) {
        into.add(key);
      }
      // Under "properties" the keys are input names; defaults and snippets hold values, not schema.
      if (key !== 'default' && key !== 'examples' && key !== 'defaultSnippets') {
        keysIn(v, into, key === 'properties' && !underProperties);
      }
    }
  }
  return into;
}

function property(schema: JsonSchema, name: string): Record<string, unknown> {
  const p = (schema.properties as Record<string, Record<string, unknown>>)[name];
  assert.ok(p, `no property ${name}`);
  return p;
}

describe('inputs: the schema served to the editor (a guide, not a check)', () => {
  const { schema } = seededConverted('echoAllTypes', 'inputs');
  const editor = toEditorJsonSchema(schema, { id: 'desktopflows-schema:/x.json', title: 'Echo All Types' });

  it('has no constraint, so the JSON language service repeats none of the problems the diagnostics report', () => {
    const used = keysIn(editor);
    const constraints = constraintKeywords.filter((k) => used.has(k));
    assert.deepEqual(constraints, []);
    // Whatever the file holds, the JSON language service finds nothing to say about it.
    const ajv = new Ajv({ strict: false, allErrors: true });
    for (const value of [
      { Text: 12, Unknown: true },
      { Secret: 'literal' },
      [],
      'text',
      { Number: '<required: number>' },
    ]) {
      assert.equal(ajv.validate(editor, value), true, JSON.stringify(value));
    }
  });

  it("keeps what completion and hover need: every input's name, description, default and value shape", () => {
    assert.equal(editor.$schema, jsonSchemaDraft);
    assert.equal(editor.$id, 'desktopflows-schema:/x.json');
    assert.equal(editor.title, 'Echo All Types');
    assert.deepEqual(Object.keys(editor.properties as object), [
      '$schema',
      ...schema.variables.map((v) => v.name),
    ]);
    for (const v of schema.variables) {
      const p = property(editor, v.name);
      assert.match(String(p.markdownDescription), /\*\*/, `${v.name} has a hover text`);
      assert.equal(typeof p.description, 'string');
    }
    assert.equal(property(editor, 'Comment').default, 'none');
    assert.equal(property(editor, 'Flag').default, false);
    assert.deepEqual(property(editor, 'Secret').examples, ['${secret:NAME}', '${env:NAME}']);
    assert.equal(
      property(editor, 'Secret').defaultSnippets,
      undefined,
      'no literal value offered for a secret',
    );
    const snippetBodies = (name: string): unknown[] =>
      ((property(editor, name).defaultSnippets as { body: unknown }[] | undefined) ?? []).map((s) => s.body);
    assert.deepEqual(snippetBodies('Text'), ['^"$1"']);
    assert.deepEqual(snippetBodies('Customer'), [], 'a default is what completion offers');
    assert.deepEqual(snippetBodies('Flag'), [true, false], 'true and false, as the type gave');
    // Without a default, the value's shape stands in for the type.
    const shapes = toEditorJsonSchema({
      ...schema,
      variables: schema.variables.map((v) => ({ ...v, hasDefault: false, default: undefined })),
    });
    const shape = (name: string): unknown =>
      ((property(shapes, name).defaultSnippets as { body: unknown }[] | undefined) ?? []).map((s) => s.body);
    assert.deepEqual(shape('Number'), ['^${1:0}']);
    assert.deepEqual(shape('Customer'), ['^{$1}']);
    assert.deepEqual(shape('Items'), ['^[$1]']);
    assert.deepEqual(shape('Table'), ['^[$1]', '^{$1}']);
    assert.match(String(property(editor, '$schema').markdownDescription), /desktopflows-schema:/);
  });
});
