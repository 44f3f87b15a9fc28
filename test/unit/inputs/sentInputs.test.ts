/**
 * The `inputs` string RunDesktopFlow receives, pinned byte for byte (long ones by SHA-256) for
 * representative files: secrets, environment references, literal sensitive values, JSONC, escapes and
 * numbers that JSON.stringify writes differently. The expected strings were taken from the code before
 * the prepare step was reworked for speed; any change to what is sent fails here.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { prepareRunInputs } from '../../../src/core/inputs/prepareRunInputs';
import { SecretMasker } from '../../../src/core/util/secretMasker';
import { seededSchema, twoMegabytes } from './fixtures';
import { seedIds } from '../../../src/sandbox/seed';

const schemaUri = `desktopflows-schema:/${seedIds.flows.invoice}.json`;

/** Values the resolver gives. */
const resolvedValues: Record<string, string> = {
  'secret:ErpKey': 'erp-Kéy-0123"\\/',
  'env:BUILD_ID': 'build-2026.12.04 ✓',
  'env:AMOUNT': '1250.50',
  'secret:PW': 'pässwörd 😀',
};

const pretty = String.raw`{
  "$schema": "${schemaUri}",
  "InvoiceId": "INV-2025-000123 \/ caf\u00e9 \u0007 \"quoted\"",
  "Amount": 1.50,
  "IsUrgent": true,
  "Customer": { "name": "Contoso Ltd", "address": { "city": "Zürich", "zip": "8001" }, "n": [-0, 1E2, 2.5e-3, 1e21] },
  "LineItems": [ { "sku": "SKU-1", "price": 9.95 }, { "sku": "SKU-2", "price": 10 } ],
  "Ledger": [ { "Line": 1, "Account": "4000", "Posted": false } ],
  "ApiKey": "${'${secret:ErpKey}'}",
  "Notes": "${'${env:BUILD_ID}'}"
}
`;

/** [what, file text, flow ('invoice' or 'credentials')]. */
const sentCases: [string, string, 'invoice' | 'credentials'][] = [
  ['plain JSON with $schema, a secret, an env reference, escapes and odd numbers', pretty, 'invoice'],
  [
    'the same as JSONC (comments, trailing commas, CRLF)',
    pretty
      .replace(/\n/g, '\r\n')
      .replace('"IsUrgent": true,', '"IsUrgent": true, // urgent\r\n  /* block */')
      .replace('"Account": "4000", "Posted": false }', '"Account": "4000", "Posted": false, }')
      .replace(/\r\n}\r\n$/, ',\r\n}\r\n'),
    'invoice',
  ],
  [
    'a literal sensitive value and a number from an environment variable',
    JSON.stringify(
      {
        InvoiceId: 'INV-7',
        Amount: '${env:AMOUNT}',
        IsUrgent: false,
        Customer: {},
        LineItems: [],
        Ledger: [],
        ApiKey: 'literal-key-ü',
      },
      null,
      '\t',
    ),
    'invoice',
  ],
  [
    'credentials with a secret password',
    '{"Username":"maker@contoso.com","Password":"${secret:PW}"}',
    'credentials',
  ],
  [
    'a large file of line items (digest)',
    JSON.stringify(
      {
        $schema: schemaUri,
        InvoiceId: 'INV-BIG',
        Amount: 12345.67,
        IsUrgent: true,
        Customer: { name: 'Contoso Ltd' },
        LineItems: Array.from({ length: 3000 }, (_, i) => ({
          line: i,
          description: `Widget ${i} – blue`,
          price: 9.95 + (i % 50),
          amount: Math.round(i * 1.25 * 100) / 100,
        })),
        Ledger: [{ Line: 1, Account: '4000', Posted: true }],
        ApiKey: '${secret:ErpKey}',
      },
      null,
      2,
    ),
    'invoice',
  ],
];

/** What was sent (and shown) for each of `sentCases`, in order. */
const expected: {
  inputs: string;
  masked: string;
  bytes: number;
  warnings: string[];
  maskedNames: string[];
}[] = [
  {
    inputs:
      '{"InvoiceId":"INV-2025-000123 / café \\u0007 \\"quoted\\"","Amount":1.5,"IsUrgent":true,"Customer":{"name":"Contoso Ltd","address":{"city":"Zürich","zip":"8001"},"n":[0,100,0.0025,1e+21]},"LineItems":[{"sku":"SKU-1","price":9.95},{"sku":"SKU-2","price":10}],"Ledger":[{"Line":1,"Account":"4000","Posted":false}],"ApiKey":"erp-Kéy-0123\\"\\\\/","Notes":"build-2026.12.04 ✓"}',
    masked:
      '{"InvoiceId":"INV-2025-000123 / café \\u0007 \\"quoted\\"","Amount":1.5,"IsUrgent":true,"Customer":{"name":"Contoso Ltd","address":{"city":"Zürich","zip":"8001"},"n":[0,100,0.0025,1e+21]},"LineItems":[{"sku":"SKU-1","price":9.95},{"sku":"SKU-2","price":10}],"Ledger":[{"Line":1,"Account":"4000","Posted":false}],"ApiKey":"********","Notes":"********"}',
    bytes: 372,
    warnings: [],
    maskedNames: ['ApiKey', 'Notes'],
  },
  {
    inputs:
      '{"InvoiceId":"INV-2025-000123 / café \\u0007 \\"quoted\\"","Amount":1.5,"IsUrgent":true,"Customer":{"name":"Contoso Ltd","address":{"city":"Zürich","zip":"8001"},"n":[0,100,0.0025,1e+21]},"LineItems":[{"sku":"SKU-1","price":9.95},{"sku":"SKU-2","price":10}],"Ledger":[{"Line":1,"Account":"4000","Posted":false}],"ApiKey":"erp-Kéy-0123\\"\\\\/","Notes":"build-2026.12.04 ✓"}',
    masked:
      '{"InvoiceId":"INV-2025-000123 / café \\u0007 \\"quoted\\"","Amount":1.5,"IsUrgent":true,"Customer":{"name":"Contoso Ltd","address":{"city":"Zürich","zip":"8001"},"n":[0,100,0.0025,1e+21]},"LineItems":[{"sku":"SKU-1","price":9.95},{"sku":"SKU-2","price":10}],"Ledger":[{"Line":1,"Account":"4000","Posted":false}],"ApiKey":"********","Notes":"********"}',
    bytes: 372,
    warnings: ['comment@5:21', 'comment@6:3', 'trailingComma@9:62', 'trailingComma@11:29'],
    maskedNames: ['ApiKey', 'Notes'],
  },
  {
    inputs:
      '{"InvoiceId":"INV-7","Amount":1250.5,"IsUrgent":false,"Customer":{},"LineItems":[],"Ledger":[],"ApiKey":"literal-key-ü"}',
    masked:
      '{"InvoiceId":"INV-7","Amount":"********","IsUrgent":false,"Customer":{},"LineItems":[],"Ledger":[],"ApiKey":"********"}',
    bytes: 121,
    warnings: ['sensitiveLiteral@8:12'],
    maskedNames: ['Amount', 'ApiKey'],
  },
  {
    inputs: '{"Username":"maker@contoso.com","Password":"pässwörd 😀"}',
    masked: '{"Username":"maker@contoso.com","Password":"********"}',
    bytes: 61,
    warnings: [],
    maskedNames: ['Password'],
  },
  {
    inputs: '97841f677242f8b77c28c267ce053e4006030008d237f575085b76fa2cbb5c9f',
    masked: 'd074050eba2bcd090ffa74a45cce757796ded60bb86f9a8503ab43a60ae26773',
    bytes: 240020,
    warnings: [],
    maskedNames: ['ApiKey'],
  },
];

/** The text itself when short, its SHA-256 when long (as pinned above). */
function pinned(text: string): string {
  return text.length > 2000 ? createHash('sha256').update(text, 'utf8').digest('hex') : text;
}

describe('inputs: what is sent stays byte for byte the same', () => {
  for (const [i, [what, text, flow]] of sentCases.entries()) {
    it(`sends and shows ${what} exactly as before`, async () => {
      const result = await prepareRunInputs(text, seededSchema(flow), {
        limitBytes: twoMegabytes,
        signal: new AbortController().signal,
        resolver: (kind, name) => Promise.resolve(resolvedValues[`${kind}:${name}`]),
        masker: new SecretMasker(),
      });
      assert.ok(result.ok, JSON.stringify(result.ok ? [] : result.problems));
      const want = expected[i];
      assert.ok(want !== undefined);
      assert.equal(pinned(result.inputs), want.inputs);
      assert.equal(pinned(result.maskedInputs), want.masked);
      assert.equal(result.bytes, want.bytes);
      assert.equal(result.bytes, Buffer.byteLength(result.inputs, 'utf8'));
      assert.deepEqual(
        result.warnings.map((w) => `${w.code}@${w.line}:${w.column}`),
        want.warnings,
      );
      assert.deepEqual(result.maskedNames, want.maskedNames);
    });
  }
});
