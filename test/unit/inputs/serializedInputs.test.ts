import assert from 'node:assert/strict';
import { parseInputDocument } from '../../../src/core/inputs/inputDocument';
import {
  joinedBytes,
  joinEntries,
  replaceEntries,
  serializeEntries,
  utf8Length,
} from '../../../src/core/inputs/serializedInputs';

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

  it('count the bytes of the joined text and mask values without rebuilding it', () => {
    const values = { Name: 'Zürich ✓', Key: 'secret-value', 'odd"name': [1, 2], Last: { a: 'b' } };
    const entries = serializeEntries(values);
    const joined = joinEntries(entries);
    assert.equal(joinedBytes(entries), Buffer.byteLength(joined, 'utf8'));
    assert.equal(joinedBytes(new Map()), Buffer.byteLength('{}'));
    assert.equal(
      replaceEntries(joined, entries, new Set(['Key', 'Last']), '"***"'),
      JSON.stringify({ ...values, Key: '***', Last: '***' }),
    );
    assert.equal(
      replaceEntries(joined, entries, new Set(['Name']), '"***"'),
      JSON.stringify({ ...values, Name: '***' }),
    );
    assert.equal(replaceEntries(joined, entries, new Set(), '"***"'), joined);
  });

  it('count UTF-8 bytes exactly as Buffer.byteLength does, lone surrogates included', () => {
    const samples = [
      '',
      'plain',
      'é',
      'Zürich ✓ – 😀',
      '\ud800',
      '\udc00x',
      'a\ud83d',
      '\ud83d\ude00\ud83d',
      '߿ࠀ￿',
      '\u007f\u0080',
    ];
    // Random strings over the interesting ranges (ASCII, 2-byte, 3-byte, surrogates), reproducibly.
    let seed = 42;
    const next = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    const ranges = [0x00, 0x7f, 0x80, 0x7ff, 0x800, 0xd7ff, 0xd800, 0xdbff, 0xdc00, 0xdfff, 0xe000, 0xffff];
    for (let n = 0; n < 200; n++) {
      let text = '';
      for (let i = next() % 40; i > 0; i--) {
        const r = (next() % (ranges.length / 2)) * 2;
        const low = ranges[r] ?? 0;
        const high = ranges[r + 1] ?? 0;
        text += String.fromCharCode(low + (next() % (high - low + 1)));
      }
      samples.push(text);
    }
    for (const text of samples) {
      assert.equal(utf8Length(text), Buffer.byteLength(text, 'utf8'), JSON.stringify(text));
    }
  });
});
