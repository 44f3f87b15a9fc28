/**
 * The single-pass parser against the two references it must agree with: `JSON.parse` for values, and
 * jsonc-parser's own parser for where the first syntax error is. Deterministic pseudo-random documents
 * and mutations, bounded in number.
 */
import assert from 'node:assert/strict';
import { parseTree, type ParseError } from 'jsonc-parser';
import { parseInputDocument } from '../../../src/core/inputs/inputDocument';

/** A small deterministic PRNG (mulberry32), so failures reproduce. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomValue(next: () => number, depth: number): unknown {
  const pick = Math.floor(next() * (depth > 3 ? 5 : 7));
  switch (pick) {
    case 0:
      return Math.round((next() - 0.5) * 1e6) / 100;
    case 1:
      return ['', 'text', 'naïve ✓', 'quote " and \\ backslash', 'line\nbreak', '😀'][Math.floor(next() * 6)];
    case 2:
      return next() < 0.5;
    case 3:
      return null;
    case 4:
      return Math.floor(next() * 1000);
    case 5:
      return Array.from({ length: Math.floor(next() * 4) }, () => randomValue(next, depth + 1));
    default: {
      const o: Record<string, unknown> = {};
      for (let i = Math.floor(next() * 4); i > 0; i--) {
        o[`k${Math.floor(next() * 50)}`] = randomValue(next, depth + 1);
      }
      return o;
    }
  }
}

function randomDocument(next: () => number): string {
  const o: Record<string, unknown> = {};
  for (let i = 0; i < 6; i++) {
    o[`Input${i}`] = randomValue(next, 1);
  }
  return JSON.stringify(o, null, next() < 0.5 ? 2 : undefined);
}

describe('inputs: single-pass parser', () => {
  it('builds exactly what JSON.parse builds, with no problems, for 300 valid documents', () => {
    const next = random(7);
    for (let i = 0; i < 300; i++) {
      const text = randomDocument(next);
      const doc = parseInputDocument(text);
      assert.deepEqual(doc.problems, [], text);
      assert.deepEqual(doc.value, JSON.parse(text), text);
    }
  });

  it('finds a syntax error wherever jsonc-parser and JSON.parse do, for 500 mutated documents', () => {
    const next = random(11);
    const alphabet = ['{', '}', '[', ']', ',', ':', '"', "'", 'x', '0', ' ', '\\', '-', '.'];
    let broken = 0;
    for (let i = 0; i < 500; i++) {
      const text = randomDocument(next);
      const at = Math.floor(next() * text.length);
      const mutated =
        next() < 0.5
          ? text.slice(0, at) + text.slice(at + 1)
          : text.slice(0, at) + (alphabet[Math.floor(next() * alphabet.length)] ?? '') + text.slice(at);
      const doc = parseInputDocument(mutated);
      const errors: ParseError[] = [];
      parseTree(mutated, errors, { allowTrailingComma: true, disallowComments: false });
      const syntax = doc.problems.filter((p) => p.code === 'syntax');
      let strictOk = true;
      try {
        JSON.parse(mutated);
      } catch {
        strictOk = false;
      }
      if (strictOk) {
        assert.deepEqual(syntax, [], mutated);
        assert.equal(doc.broken, false);
        continue;
      }
      if (errors.length === 0) {
        // Only a trailing comma (accepted with a warning) separates it from strict JSON.
        assert.deepEqual(
          doc.problems.map((p) => p.code),
          ['trailingComma'],
          mutated,
        );
        continue;
      }
      broken++;
      assert.equal(syntax.length, 1, mutated);
      assert.equal(syntax[0]?.offset, errors[0]?.offset, `${mutated}\n${JSON.stringify(errors[0])}`);
      assert.equal(doc.broken, true);
    }
    assert.ok(broken > 100, `only ${broken} mutations broke the JSON`);
  });

  it('reports comments and keeps going', () => {
    const doc = parseInputDocument('{ /* a */ "A": 1, // b\n "B": [2 /* c */] }');
    assert.deepEqual(
      doc.problems.map((p) => [p.code, p.offset, p.length, p.path]),
      [
        ['comment', 2, 7, []],
        ['comment', 18, 4, []],
        ['comment', 32, 7, ['B']],
      ],
    );
    assert.deepEqual(doc.value, { A: 1, B: [2] });
  });

  it('remembers where each top-level input and its value are', () => {
    const text = '{\n  "A": [1, {"x": 2}],\n  "B": "t"\n}';
    const doc = parseInputDocument(text);
    const spans = Object.fromEntries(
      [...doc.properties].map(([name, s]) => [
        name,
        [
          text.slice(s.key.offset, s.key.offset + s.key.length),
          text.slice(s.value.offset, s.value.offset + s.value.length),
        ],
      ]),
    );
    assert.deepEqual(spans, { A: ['"A"', '[1, {"x": 2}]'], B: ['"B"', '"t"'] });
    assert.deepEqual(doc.root, { offset: 0, length: text.length, kind: 'object' });
  });
});
