import assert from 'node:assert/strict';
import { parseInputDocument } from '../../../src/core/inputs/inputDocument';
import { joinEntries, serializeEntries } from '../../../src/core/inputs/serializedInputs';

describe('inputs: serialised entries', () => {
  it('join to exactly what JSON.stringify gives, key order and escapes included', () => {
    const text = String.raw`{
      "b": 1, "10": "ten", "2": [true, null, -0, 1e-7, 1.5e300],
      "quote\"key": "line\nbreak \u0007 ✓ 😀 \ud800",
      "__proto__": { "nested": { "x": [] } },
      "a": {}
    }`;
    const { value, broken } = parseInputDocument(text);
    assert.equal(broken, false);
    const values = value as Record<string, unknown>;
    assert.equal(Object.hasOwn(values, '__proto__'), true, '__proto__ stays an own property');
    assert.equal(joinEntries(serializeEntries(values)), JSON.stringify(values));
    assert.deepEqual(values, JSON.parse(text), 'the single pass builds what JSON.parse builds');
  });
});
