/**
 * Validation takes a fast path for plain JSON (native JSON.parse, sizes counted from lengths, spans found
 * only when a problem must be placed) and the scanner pass for everything else. Each decision between
 * them is checked here by giving both paths the same content and asserting the same outcome: the plain
 * file against the same file with a comment after its last brace (which forces the scanner pass and
 * moves no offset), and sizes against `Buffer.byteLength` of what `JSON.stringify` writes.
 */
import assert from 'node:assert/strict';
import { analyzeInputFile } from '../../../src/core/inputs/inputFileAnalysis';
import { minifiedJsonBytes } from '../../../src/core/inputs/serializedInputs';
import {
  parseInputDocument,
  scanInputDocument,
  unescapedJsonLength,
} from '../../../src/core/inputs/inputDocument';
import { prepareRunInputs } from '../../../src/core/inputs/prepareRunInputs';
import type { SecretResolver } from '../../../src/core/inputs/secretReference';
import { validateInputFile } from '../../../src/core/inputs/validateInputFile';
import { seedIds } from '../../../src/sandbox/seed';
import { seededSchema, twoMegabytes } from './fixtures';

const invoice = seededSchema('invoice');
const options = { limitBytes: twoMegabytes, flowId: seedIds.flows.invoice };
const schemaUri = `desktopflows-schema:/${seedIds.flows.invoice}.json`;

/** Plain JSON files, each meant to exercise one decision of the fast path. */
const plainFiles: [string, string][] = [
  ['a valid file', JSON.stringify({ InvoiceId: 'INV-1', ApiKey: '${secret:ErpKey}', Amount: 12.5 }, null, 2)],
  [
    'non-ASCII text, a surrogate pair and a non-ASCII $schema',
    JSON.stringify({
      $schema: `${schemaUri}?é=✓`,
      InvoiceId: 'Zürich – ✓ 😀',
      ApiKey: '${env:KEY}',
      Notes: 'ß',
    }),
  ],
  [
    'a \\u escape of a non-ASCII character',
    '{ "InvoiceId": "caf\\u00e9", "ApiKey": "${secret:K}", "Notes": "é" }',
  ],
  [
    'a \\u escape of an ASCII character',
    '{ "InvoiceId": "\\u0041BC", "ApiKey": "${secret:K}", "Notes": "é" }',
  ],
  ['an escaped surrogate pair', '{ "InvoiceId": "\\ud83d\\ude00", "ApiKey": "${secret:K}" }'],
  ['a lone surrogate', '{ "InvoiceId": "x\ud800y", "ApiKey": "${secret:K}", "Notes": "é" }'],
  ['an escaped lone surrogate', '{ "InvoiceId": "x\\udc00y", "ApiKey": "${secret:K}", "Notes": "é" }'],
  [
    'Windows paths (escaped backslashes before "u")',
    String.raw`{ "InvoiceId": "C:\\users\\Zoë\\in.pdf", "ApiKey": "${'${secret:K}'}", "Notes": "\\\u00e9" }`,
  ],
  [
    'escapes that JSON.stringify writes differently',
    '{ "InvoiceId": "a\\/b\\u0007\\"", "ApiKey": "${secret:K}" }',
  ],
  ['a duplicated input', '{ "InvoiceId": "A", "ApiKey": "${secret:K}", "InvoiceId": "B" }'],
  [
    'a duplicated nested key',
    '{ "InvoiceId": "A", "ApiKey": "${secret:K}", "Customer": { "id": 1, "id": 2 } }',
  ],
  [
    'a duplicate hidden by an escaped colon',
    '{ "InvoiceId": "A", "InvoiceId": "B", "ApiKey": "${secret:K}", "Notes": "x\\u003ay" }',
  ],
  [
    'colons inside strings and keys',
    '{ "InvoiceId": "12:30", "ApiKey": "${secret:K}", "Customer": { "a:b": "https://x.example:8443/" } }',
  ],
  ['16 digits inside a string only', '{ "InvoiceId": "1234567890123456789", "ApiKey": "${secret:K}" }'],
  ['a 3-digit exponent inside a string only', '{ "InvoiceId": "1e100", "ApiKey": "${secret:K}" }'],
  [
    'a number with 17 significant digits',
    '{ "InvoiceId": "A", "ApiKey": "${secret:K}", "Amount": 0.30000000000000004 }',
  ],
  [
    'a number that loses digits',
    '{ "InvoiceId": "A", "ApiKey": "${secret:K}", "Amount": 1234567890.1234567 }',
  ],
  ['a number too large to send', '{ "InvoiceId": "A", "ApiKey": "${secret:K}", "Amount": 1e400 }'],
  [
    'numbers JSON.stringify writes differently',
    '{ "InvoiceId": "A", "ApiKey": "${secret:K}", "LineItems": [1e2, 1.50, -0, 1E-7] }',
  ],
  [
    'nesting too deep',
    `{ "InvoiceId": "A", "ApiKey": "\${secret:K}", "LineItems": ${'['.repeat(70)}${']'.repeat(70)} }`,
  ],
  ['a literal sensitive value', '{ "InvoiceId": "A", "ApiKey": "plain-key-ü" }'],
  ['a malformed reference', '{ "InvoiceId": "A", "ApiKey": "${secret:}" }'],
  ['a placeholder', '{ "InvoiceId": "<required: text>", "ApiKey": "${secret:K}" }'],
  ['problems to place below the top level', '{ "InvoiceId": 5, "Amout": 1, "Customer": null, "ApiKey": 3 }'],
  ['a root that is not an object', '[1, 2, 3]'],
  ['__proto__ as an input name', '{ "__proto__": { "é": 1 }, "InvoiceId": "A", "ApiKey": "${secret:K}" }'],
  // The size counted from the text: numbers, escapes, whitespace and nesting as JSON.stringify writes them.
  [
    'numbers with fraction zeros, exponents and signed zeros',
    '{ "InvoiceId": "A", "ApiKey": "${secret:K}", "Customer": { "a": 1.0, "b": 1e5, "c": -0, "d": 1E+2, ' +
      '"e": 0.10, "f": -0.0, "g": 0.000001, "h": 0.0000001, "i": 123456789012345, "j": 1.5E-3, "k": 100.000 } }',
  ],
  [
    'numbers at the edges of the fast count',
    '{ "InvoiceId": "A", "ApiKey": "${secret:K}", "LineItems": [0.123456789012345, 12345678901234.5, ' +
      '-0.000001000, 999999999999999, 0, -1, 1e21, 1e-6, 2.50e1] }',
  ],
  [
    'escapes JSON.stringify writes as characters or other escapes',
    String.raw`{ "InvoiceId": "a\/b\u00e9\u2028\u2029\u0041\u0022\u005c\u0009\u000a\u001f\u007f\u0080\u07ff\u0800\uffff", "ApiKey": "${'${secret:K}'}", "Notes": "\b\f\n\r\t\"\\" }`,
  ],
  [
    'an escaped surrogate pair and a raw one together',
    String.raw`{ "InvoiceId": "😀\ud83d\ude00", "ApiKey": "${'${secret:K}'}", "Notes": "\u00e9 😀" }`,
  ],
  [
    'unicode in keys, values and $schema, with escapes in keys',
    String.raw`{ "$schema": "${schemaUri}", "Customer": { "Zürich \u00e9": "naïve ✓", "\u0041\/": ["日本語", "ß"] }, "InvoiceId": "Ünïcödé", "ApiKey": "${'${secret:K}'}" }`,
  ],
  [
    'deep nesting within the limit, tabs and CRLF',
    `{\r\n\t"InvoiceId": "A",\r\n\t"ApiKey": "\${secret:K}",\r\n\t"LineItems": ${'[ {\t"a" :\r\n'.repeat(30)}-0.50${'\r\n} ]'.repeat(30)} }`,
  ],
  ['only $schema', `{ "$schema": "${schemaUri}" }`],
  [
    '$schema written with an escape, last',
    String.raw`{ "InvoiceId": "A", "ApiKey": "${'${secret:K}'}", "\u0024schema": "${schemaUri}" }`,
  ],
];

/** The same content with a comment after the root value: the scanner pass, same offsets. */
function withComment(text: string): string {
  return `${text}\n// forces the scanner pass`;
}

function expectedBytes(values: Readonly<Record<string, unknown>> | undefined): number | undefined {
  return values === undefined ? undefined : Buffer.byteLength(JSON.stringify(values), 'utf8');
}

const resolver: SecretResolver = (kind, name) =>
  Promise.resolve(name === 'KEY' || name === 'ErpKey' || name === 'K' ? `värde-${kind}-${name}` : undefined);

describe('inputs: the fast path and the scanner pass give the same results', () => {
  for (const [what, text] of plainFiles) {
    it(`parses ${what} alike`, () => {
      const fast = parseInputDocument(text);
      const scanned = scanInputDocument(text);
      assert.deepEqual(fast.value, scanned.value);
      assert.deepEqual(fast.problems, scanned.problems);
      assert.equal(fast.broken, scanned.broken);
      assert.deepEqual(fast.root, scanned.root);
      assert.deepEqual([...fast.properties], [...scanned.properties]);
    });

    it(`validates ${what} alike, with the exact size`, () => {
      const plain = validateInputFile(text, invoice, options);
      const commented = validateInputFile(withComment(text), invoice, options);
      assert.deepEqual(
        plain.problems,
        commented.problems.filter((p) => p.code !== 'comment'),
      );
      assert.equal(plain.ok, commented.ok);
      assert.deepEqual(plain.values, commented.values);
      assert.deepEqual(plain.schemaUri, commented.schemaUri);
      assert.equal(plain.bytes, commented.bytes);
      assert.equal(plain.bytes, expectedBytes(plain.values));
    });

    it(`prepares ${what} alike, with the exact size`, async () => {
      const signal = new AbortController().signal;
      const plain = await prepareRunInputs(text, invoice, { ...options, signal, resolver });
      const commented = await prepareRunInputs(withComment(text), invoice, { ...options, signal, resolver });
      if (!plain.ok || !commented.ok) {
        assert.equal(plain.ok, commented.ok);
        assert.deepEqual(
          plain.ok ? [] : plain.problems,
          commented.ok ? [] : commented.problems.filter((p) => p.code !== 'comment'),
        );
        return;
      }
      assert.equal(plain.inputs, commented.inputs);
      assert.equal(plain.maskedInputs, commented.maskedInputs);
      assert.equal(plain.bytes, commented.bytes);
      assert.equal(plain.bytes, Buffer.byteLength(plain.inputs, 'utf8'));
      assert.deepEqual(
        plain.warnings,
        commented.warnings.filter((p) => p.code !== 'comment'),
      );
    });
  }

  const spanShapes = [
    '{}',
    ' \t\r\n{ }\r\n',
    '{"a":1,"b":-2.5e3,"c":true,"d":false,"e":null,"f":"x"}',
    '{\r\n\t"a" :\t[ 1, [ ], { "}": "]" } ] ,\r\n\t"b": { "x": "\\"}\\\\", "y": [[["{"]]] }\r\n}',
    '{ "\\u0041": "key written with an escape", "quote\\"d": "\\\\", "last": {} }',
    '[ { "a": 1 }, 2 ]',
    '"just text"',
    '  -12.5e-3  ',
    'null',
  ];
  for (const text of spanShapes) {
    it(`finds the spans the scanner finds in ${JSON.stringify(text)}`, () => {
      const fast = parseInputDocument(text);
      assert.equal(fast.plainJson, true);
      const scanned = scanInputDocument(text);
      assert.deepEqual(fast.root, scanned.root);
      assert.deepEqual([...fast.properties], [...scanned.properties]);
    });
  }

  it('takes the fast path for plain JSON and the scanner pass for JSONC, a byte-order mark or a duplicate', () => {
    const plain = '{ "InvoiceId": "A", "ApiKey": "${secret:K}" }';
    assert.equal(parseInputDocument(plain).plainJson, true);
    assert.notEqual(parseInputDocument(withComment(plain)).plainJson, true);
    assert.notEqual(parseInputDocument('{ "InvoiceId": "A", }').plainJson, true);
    assert.notEqual(parseInputDocument(`\uFEFF${plain}`).plainJson, true);
    assert.notEqual(parseInputDocument('{ "A": 1, "A": 2 }').plainJson, true);
    // Long digit runs inside strings only need the exact count, not the scanner pass.
    assert.equal(parseInputDocument('{ "Card": "1234567890123456789", "N": "1e100" }').plainJson, true);
  });

  it('counts the size of a big file with many non-ASCII characters exactly', () => {
    const items = Array.from({ length: 5000 }, (_, i) => ({ line: i, text: `Widget ${i} – blue ✓ 😀 ü` }));
    const text = JSON.stringify(
      { $schema: schemaUri, InvoiceId: 'Zürich', ApiKey: '${secret:K}', LineItems: items },
      null,
      2,
    );
    const analysis = analyzeInputFile(text, invoice, options);
    assert.equal(analysis.document.plainJson, true);
    assert.equal(analysis.bytes, expectedBytes(analysis.values));
  });
});

describe('inputs: JSONC read as JSON with its comments and trailing commas blanked', () => {
  /** True when the document came from the JSON path (spans found lazily), not the scanner pass. */
  // Only a value JSON.parse read carries the text it read.
  const tookJsonPath = (text: string): boolean => parseInputDocument(text).json !== undefined;

  const assertAlike = (text: string): void => {
    const fast = parseInputDocument(text);
    const scanned = scanInputDocument(text);
    assert.deepEqual(fast.value, scanned.value, text);
    assert.deepEqual(fast.problems, scanned.problems, text);
    assert.equal(fast.broken, scanned.broken, text);
    assert.deepEqual(fast.root, scanned.root, text);
    assert.deepEqual([...fast.properties], [...scanned.properties], text);
    if (scanned.problems.length > 0) {
      assert.notEqual(fast.plainJson, true, 'the size of JSONC is never counted from its text');
    }
  };

  const handWritten = [
    '// header\n{ "InvoiceId": "A", "ApiKey": "${secret:K}" }',
    '{ "InvoiceId": "A", /* inline, with "quotes" : and , */ "ApiKey": "${secret:K}", }',
    '{\r\n  "Customer": { "a": [1, 2, /* c */ ], "b": { "x": 1, }, }, // last\r\n  "N": [ [ ], {}, ],\r\n}',
    '{ "a\\"b": { "c//d": "/* not a comment */", // real\n "e": [ { }, ] } }',
    '[ 1, // one\n 2, /* two */ ]',
    '{ "x": 1 } // after the root',
    '{ "k": [ [ [ 1, ], ], ], }',
    '{ "\\u0041": { "b": 1, }, "c": 2 }',
  ];
  for (const text of handWritten) {
    it(`reads ${JSON.stringify(text).slice(0, 50)} as the scanner does`, () => {
      assert.equal(tookJsonPath(text), true);
      assertAlike(text);
    });
  }

  it('leaves what the walk cannot read, or JSON.parse refuses once blanked, to the scanner pass', () => {
    const scannerOnly = [
      '{ "a": 1 /* unclosed',
      '{ "a": 1 / 2 }',
      '{ "a": "unclosed // }',
      '{ "a": 1,, }',
      '{ "a": 1, "a": 2, } // a duplicate',
      '\uFEFF{ "a": 1, }',
      '{ "a": tr/**/ue }',
      '{ "a": 12345678901234567, }',
      `{ "a": ${'['.repeat(70)}${']'.repeat(70)}, }`,
    ];
    for (const text of scannerOnly) {
      assert.equal(tookJsonPath(text), false, text);
      assertAlike(text);
    }
  });

  it('reads generated JSONC as the scanner does: comments and trailing commas anywhere', () => {
    let seed = 99;
    const next = (n: number): number => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) % n;
    };
    const comments = ['// note: "x", [ ] { } /* \n', '/* block: ] } , " */', '/**/', '// last\r\n'];
    const gap = (): string => [' ', '', '\n  ', comments[next(comments.length)] ?? ''][next(4)] ?? '';
    const keys = ['a', 'b:c', 'q\\"uote', '//', 'é'];
    const value = (depth: number): string => {
      const kind = depth > 3 ? next(3) : next(5);
      if (kind === 0) {
        return ['1', '-2.50', 'true', 'null', '"s/*t*/r"', '"//"'][next(6)] ?? '0';
      }
      if (kind === 1 || kind === 2) {
        return `"${'x'.repeat(next(3))}"`;
      }
      const isArray = kind === 3;
      const count = next(4);
      const members: string[] = [];
      for (let m = 0; m < count; m++) {
        const key = isArray ? '' : `"${keys[m] ?? `k${m}`}"${gap()}:${gap()}`;
        members.push(`${gap()}${key}${value(depth + 1)}${gap()}`);
      }
      const trailing = count > 0 && next(2) === 0 ? `,${gap()}` : '';
      return `${isArray ? '[' : '{'}${members.join(',')}${trailing}${isArray ? ']' : '}'}`;
    };
    let jsonPath = 0;
    for (let n = 0; n < 400; n++) {
      const text = `${gap()}{ "InvoiceId": "A",${gap()}"Customer": ${value(1)}${gap()}}${gap()}`;
      if (tookJsonPath(text)) {
        jsonPath++;
      }
      assertAlike(text);
    }
    assert.ok(jsonPath > 200, `${jsonPath} of 400 took the JSON path`);
  });
});

describe('inputs: the size counted from the text', () => {
  const counted = [
    '{"a":1.0,"b":1e5,"c":-0,"d":1E+2,"e":0.10,"f":-0.0,"g":0.000001,"h":0.0000001,"i":123456789012345}',
    '{"j":1234567890123456,"k":0.1234567890123456,"l":1e21,"m":100000000000000000000,"n":-12.5e-3}',
    String.raw`{"a":"\/\u00e9\u2028\u0007\n\"\\\u0041\u0022\u005c\u0009\u007f\u0080\u07ff\u0800"}`,
    '{ "x" : [ 1 , 2 , { "y" : "ü ✓ 😀" } ] }\r\n\t',
    `${'[{"a":'.repeat(40)}0.50${'}]'.repeat(40)}`,
  ];
  for (const text of counted) {
    it(`counts ${JSON.stringify(text).slice(0, 60)} as JSON.stringify writes it`, () => {
      assert.equal(minifiedJsonBytes(text), Buffer.byteLength(JSON.stringify(JSON.parse(text)), 'utf8'));
    });
  }

  it('counts generated files exactly: any spelling of strings, numbers and whitespace', () => {
    // Reproducible random values, written the way people and tools write JSON: escapes where none is
    // needed, numbers with fraction zeros, exponents and signs, and whitespace anywhere between tokens.
    let seed = 13;
    const next = (n: number): number => {
      // xorshift32
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) % n;
    };
    const chars = [
      'a',
      'Z',
      ' ',
      ':',
      '/',
      '"',
      '\\',
      '\n',
      '\t',
      '\u0007',
      '\u007f',
      'é',
      '–',
      '✓',
      '😀',
      '\u2028',
    ];
    const space = (): string => [' ', '', '\n  ', '\t', '\r\n'][next(5)] ?? '';
    const writeChar = (c: string): string => {
      const code = c.charCodeAt(0);
      if (c.length === 2 || next(3) > 0) {
        // As JSON.stringify would, or raw (a surrogate pair is always raw here).
        return c === '/' && next(2) === 0 ? '\\/' : JSON.stringify(c).slice(1, -1);
      }
      return `\\u${code.toString(16).padStart(4, '0')}`;
    };
    const writeString = (s: string): string => `"${[...s].map(writeChar).join('')}"`;
    const randomString = (): string =>
      Array.from({ length: next(8) }, () => chars[next(chars.length)]).join('');
    const writeNumber = (): string => {
      const forms = [
        '0',
        '-0',
        '42',
        '-7',
        '1.50',
        '0.25',
        '1e2',
        '1E+2',
        '2.5e-3',
        '-0.0',
        '123456.789',
        '1e21',
        '5e-7',
      ];
      return forms[next(forms.length)] ?? '0';
    };
    const writeValue = (depth: number): string => {
      const kind = depth > 3 ? next(4) : next(6);
      switch (kind) {
        case 0:
          return writeString(randomString());
        case 1:
          return writeNumber();
        case 2:
          return ['true', 'false', 'null'][next(3)] ?? 'null';
        case 3:
          return writeString(randomString());
        case 4:
          return `[${space()}${Array.from({ length: next(4) }, () => writeValue(depth + 1)).join(`${space()},${space()}`)}${space()}]`;
        default: {
          const keys = [...new Set(Array.from({ length: next(4) }, () => randomString()))];
          const members = keys.map((k) => `${writeString(k)}${space()}:${space()}${writeValue(depth + 1)}`);
          return `{${space()}${members.join(`${space()},${space()}`)}${space()}}`;
        }
      }
    };
    for (let n = 0; n < 300; n++) {
      const text = `${space()}${writeValue(0)}${space()}`;
      const expected = Buffer.byteLength(JSON.stringify(JSON.parse(text)), 'utf8');
      assert.equal(minifiedJsonBytes(text), expected, text);
    }
  });

  it('counts every number as JSON.stringify writes it, without writing it', () => {
    const edges = [
      0, -0, 1, -1, 9, 10, 1e-6, -1e-6, 1e-7, 9.95, 0.1, 0.2, 0.30000000000000004, 1.005, 1e15, 1e21,
    ];
    const more = [
      999999999999999.9,
      123456789012345.6,
      0.1234567890123456,
      5e-324,
      2 ** 53,
      99.99999999999999,
    ];
    const numbers = [...edges, ...more, Number.MAX_VALUE, Number.MIN_VALUE];
    // Reproducible doubles of every magnitude, and the decimals people write (prices, amounts, rates).
    let seed = 7;
    const next = (): number => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) / 2 ** 32;
    };
    for (let i = 0; i < 20000; i++) {
      const r = next();
      numbers.push(r, -r * 1e6, r * 10 ** Math.floor(next() * 30 - 10), Math.round(r * 1e6) / 100);
      numbers.push(Number((next() * 10 ** Math.floor(next() * 16)).toPrecision(1 + Math.floor(next() * 15))));
    }
    for (const n of numbers) {
      assert.equal(unescapedJsonLength(n), JSON.stringify(n).length, String(n));
    }
    assert.equal(unescapedJsonLength(numbers), JSON.stringify(numbers).length);
  });

  it('leaves surrogates written as escapes and lone surrogates to the exact count', () => {
    assert.equal(minifiedJsonBytes(String.raw`{"a":"\ud83d\ude00"}`), undefined);
    assert.equal(minifiedJsonBytes('{"a":"x\ud800"}'), undefined);
    // A raw pair is counted from the text.
    assert.equal(minifiedJsonBytes('{"a":"😀"}'), Buffer.byteLength('{"a":"😀"}', 'utf8'));
  });
});
