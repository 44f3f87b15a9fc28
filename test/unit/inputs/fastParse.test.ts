/**
 * parseInputDocument takes the native JSON.parse path for plain JSON and the scanner pass for anything the
 * text alone can show. Whichever path it takes, what it returns (value, problems, spans) must be exactly
 * what the scanner pass returns.
 */
import assert from 'node:assert/strict';
import { parseInputDocument, scanInputDocument } from '../../../src/core/inputs/inputDocument';

const cases: [string, string][] = [
  ['plain JSON', '{\n  "Amount": 42,\n  "Name": "Ann",\n  "Items": [1, 2, {"a": null}]\n}'],
  ['colons inside strings', '{ "Url": "https://x.example:8443/a", "At": "12:30", "k:ey": "v" }'],
  ['a duplicated key', '{ "Amount": 1, "Amount": 2 }'],
  ['a nested duplicated key', '{ "Order": { "Id": 1, "Id": 2 } }'],
  ['a duplicate hidden by an escaped colon', '{ "A": "x\\u003ay", "A": 2, "B": "z" }'],
  ['a duplicate written with an escape', '{ "a": 1, "\\u0061": 2 }'],
  ['16 significant digits', '{ "N": 1234567890.123456 }'],
  ['a huge integer', '{ "N": 12345678901234567890 }'],
  ['an overflowing exponent', '{ "N": 1e400 }'],
  ['an underflowing exponent', '{ "N": 1e-400 }'],
  ['deep nesting', `{ "D": ${'['.repeat(70)}${']'.repeat(70)} }`],
  ['nesting at the limit', `{ "D": ${'['.repeat(62)}${']'.repeat(62)} }`],
  ['a comment', '{ // note\n "A": 1 }'],
  ['a trailing comma', '{ "A": 1, }'],
  ['a byte-order mark', '\uFEFF{ "A": 1 }'],
  ['a syntax error', '{ "A": 1 "B": 2 }'],
  ['an empty file', ''],
  ['a root array', '[1, 2]'],
  ['__proto__ as an input name', '{ "__proto__": { "x": 1 }, "B": 2 }'],
];

describe('inputs: parseInputDocument fast path', () => {
  for (const [what, text] of cases) {
    it(`gives what the scanner gives for ${what}`, () => {
      const fast = parseInputDocument(text);
      const scanned = scanInputDocument(text);
      assert.deepEqual(fast.value, scanned.value);
      assert.deepEqual(fast.problems, scanned.problems);
      assert.equal(fast.broken, scanned.broken);
      assert.deepEqual(fast.root, scanned.root);
      assert.deepEqual([...fast.properties], [...scanned.properties]);
    });
  }

  it('reports a duplicated key even when an escaped colon would balance the count', () => {
    const doc = parseInputDocument('{ "A": "x\\u003ay", "A": 2 }');
    assert.deepEqual(
      doc.problems.map((p) => p.code),
      ['duplicateKey'],
    );
  });
});
