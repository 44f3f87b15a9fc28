import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { CancellationError } from '../../../src/core/errors';
import { parseDesktopFlowSchema } from '../../../src/core/inputs/desktopFlowSchema';
import { maskInputs, maskedValue } from '../../../src/core/inputs/maskInputs';
import { prepareRunInputs, type PrepareRunInputsOptions } from '../../../src/core/inputs/prepareRunInputs';
import type { ReferenceKind, SecretResolver } from '../../../src/core/inputs/secretReference';
import { validateInputFile } from '../../../src/core/inputs/validateInputFile';
import { sleep } from '../../../src/core/util/abort';
import { secretMasker } from '../../../src/core/util/secretMasker';
import { seedIds } from '../../../src/sandbox/seed';
import { RecordingLogger, seededSchema, twoMegabytes } from './fixtures';

const credentials = seededSchema('credentials');
const typed = parseDesktopFlowSchema(
  {
    schema: {
      type: 'object',
      properties: {
        Pin: { type: 'number', 'x-ms-sensitive': true },
        Settings: { type: 'object', 'x-ms-sensitive': true },
        Label: { type: 'string' },
      },
      required: ['Pin'],
    },
  },
  'inputs',
).schema;

/** A resolver over a fixed table that counts its calls. */
function tableResolver(table: Record<string, string>): SecretResolver & { calls: string[] } {
  const calls: string[] = [];
  const resolver = (kind: ReferenceKind, name: string): Promise<string | undefined> => {
    calls.push(`${kind}:${name}`);
    return Promise.resolve(table[`${kind}:${name}`]);
  };
  return Object.assign(resolver, { calls });
}

function opts(extra: Partial<PrepareRunInputsOptions> = {}): PrepareRunInputsOptions {
  return { limitBytes: twoMegabytes, signal: new AbortController().signal, ...extra };
}

/** A secret no other test uses, so the process-wide masker cannot already know it. */
const freshSecret = (): string => `pw-${randomUUID()}`;

const invoice = seededSchema('invoice');

describe('inputs: prepareRunInputs (trigger time)', () => {
  it('resolves references in every input, not only sensitive ones (the docs\' "Notes": "${env:BUILD_ID}")', async () => {
    const resolver = tableResolver({
      'env:BUILD_ID': 'build-20261203.7',
      'env:AMOUNT': '1250.5',
      'env:URGENT': 'true',
      'secret:ERP_API_KEY': freshSecret(),
    });
    const text = JSON.stringify({
      InvoiceId: 'INV-1001',
      Amount: '${env:AMOUNT}',
      IsUrgent: '${env:URGENT}',
      ApiKey: '${secret:ERP_API_KEY}',
      Notes: '${env:BUILD_ID}',
    });
    const result = await prepareRunInputs(text, invoice, opts({ resolver }));
    assert.ok(result.ok, JSON.stringify(result));
    const sent = JSON.parse(result.inputs) as Record<string, unknown>;
    assert.equal(sent.Notes, 'build-20261203.7');
    assert.equal(sent.Amount, 1250.5);
    assert.equal(sent.IsUrgent, true);
    assert.deepEqual(result.warnings, []);
  });

  it('refuses a missing variable in an input that is not sensitive: nothing is sent', async () => {
    const result = await prepareRunInputs(
      JSON.stringify({ InvoiceId: 'INV-1', ApiKey: 'k-literal', Notes: '${env:NO_SUCH_VARIABLE}' }),
      invoice,
      opts({ resolver: tableResolver({}) }),
    );
    assert.equal(result.ok, false);
    assert.ok(!result.ok);
    const errors = result.problems.filter((p) => p.severity === 'error');
    assert.deepEqual(
      errors.map((p) => p.code),
      ['unresolvedReference'],
    );
    assert.match(errors[0]?.message ?? '', /\$\{env:NO_SUCH_VARIABLE\} for "Notes" has no value/);
  });

  it('removes $schema, resolves references and returns the exact inputs string', async () => {
    const password = freshSecret();
    const resolver = tableResolver({ 'secret:PortalPassword': password });
    const text = JSON.stringify(
      {
        $schema: `desktopflows-schema:/${seedIds.flows.credentials}.json`,
        Username: 'maker@contoso.com',
        Password: '${secret:PortalPassword}',
      },
      null,
      2,
    );
    const result = await prepareRunInputs(
      text,
      credentials,
      opts({ resolver, flowId: seedIds.flows.credentials }),
    );
    assert.ok(result.ok, JSON.stringify(result));
    assert.equal(result.inputs, JSON.stringify({ Username: 'maker@contoso.com', Password: password }));
    assert.equal(result.bytes, Buffer.byteLength(result.inputs, 'utf8'));
    assert.equal(
      result.maskedInputs,
      JSON.stringify({ Username: 'maker@contoso.com', Password: maskedValue }),
    );
    assert.deepEqual(resolver.calls, ['secret:PortalPassword']);
    assert.deepEqual(result.warnings, []);
  });

  it('never lets a resolved secret reach a log line, even when something logs the inputs string', async () => {
    const password = freshSecret();
    const logger = new RecordingLogger();
    const resolver: SecretResolver = (_kind, _name) => Promise.resolve(password);
    const text = '{ "Username": "u", "Password": "${env:PORTAL_PW}" }';
    const result = await prepareRunInputs(text, credentials, opts({ resolver, logger }));
    assert.ok(result.ok);
    assert.ok(result.inputs.includes(password), 'the service gets the real value');
    // What careless code downstream might do: every line must still be masked.
    logger.info('[runs] sending inputs %s', result.inputs);
    logger.error(new Error(`RunDesktopFlow failed for inputs ${result.inputs}`));
    logger.debug(`[runs] transcript ${result.maskedInputs}`);
    assert.ok(logger.lines.length >= 4, 'prepareRunInputs logs what it resolved');
    assert.match(logger.text, /resolved \$\{env:PORTAL_PW\}/);
    assert.equal(logger.text.includes(password), false);
    assert.equal(result.maskedInputs.includes(password), false);
  });

  it('converts a resolved value to the input type: numbers and custom objects', async () => {
    const settings = { host: `db-${randomUUID()}`, port: 5432 };
    const resolver = tableResolver({ 'env:PIN': ' 90417 ', 'secret:Settings': JSON.stringify(settings) });
    const text = '{ "Pin": "${env:PIN}", "Settings": "${secret:Settings}", "Label": "x" }';
    const result = await prepareRunInputs(text, typed, opts({ resolver }));
    assert.ok(result.ok, JSON.stringify(result));
    assert.equal(result.inputs, JSON.stringify({ Pin: 90417, Settings: settings, Label: 'x' }));
    assert.equal(secretMasker.mask(`settings ${JSON.stringify(settings)}`), 'settings ********');
    assert.equal(secretMasker.mask(`host ${settings.host}`), 'host ********');
  });

  it('rejects a resolved value of the wrong type without revealing it', async () => {
    const value = `not-a-number-${randomUUID()}`;
    const resolver = tableResolver({ 'env:PIN': value });
    const text = '{\n  "Pin": "${env:PIN}"\n}';
    const result = await prepareRunInputs(text, typed, opts({ resolver }));
    assert.equal(result.ok, false);
    assert.ok(!result.ok);
    assert.deepEqual(
      result.problems.map((p) => [p.code, p.severity, p.line, p.column]),
      [['referenceType', 'error', 2, 10]],
    );
    assert.match(result.problems[0]?.message ?? '', /The value of \$\{env:PIN\} is not a number/);
    assert.equal(JSON.stringify(result.problems).includes(value), false);
  });

  it('reports a reference with no value as an error at the reference', async () => {
    const resolver = tableResolver({});
    const text = '{\n  "Username": "u",\n  "Password": "${secret:Missing}"\n}';
    const result = await prepareRunInputs(text, credentials, opts({ resolver }));
    assert.ok(!result.ok);
    assert.deepEqual(
      result.problems.map((p) => [p.code, p.line, p.column, p.length, p.message]),
      [['unresolvedReference', 3, 15, 19, '${secret:Missing} for "Password" has no value.']],
    );
    assert.match(result.problems[0]?.fix ?? '', /Store a secret named "Missing"/);
  });

  it('reports references as unresolvable when the host gives no resolver', async () => {
    const result = await prepareRunInputs(
      '{ "Username": "u", "Password": "${env:PW}" }',
      credentials,
      opts(),
    );
    assert.ok(!result.ok);
    assert.deepEqual(
      result.problems.map((p) => p.code),
      ['unresolvedReference'],
    );
    assert.match(result.problems[0]?.fix ?? '', /environment variable PW/);
  });

  it('turns a failing lookup into a problem whose message is masked', async () => {
    const leaked = freshSecret();
    secretMasker.add(leaked);
    const resolver: SecretResolver = () => Promise.reject(new Error(`vault said no (token ${leaked})`));
    const result = await prepareRunInputs(
      '{ "Username": "u", "Password": "${secret:PW}" }',
      credentials,
      opts({ resolver }),
    );
    assert.ok(!result.ok);
    assert.equal(result.problems[0]?.code, 'unresolvedReference');
    assert.match(
      result.problems[0]?.message ?? '',
      /could not be looked up: vault said no \(token \*\*\*\*\*\*\*\*\)/,
    );
  });

  it('looks each reference up once, however often it is used', async () => {
    const schema = parseDesktopFlowSchema(
      {
        schema: {
          properties: {
            A: { type: 'string', format: 'password' },
            B: { type: 'string', format: 'password' },
          },
        },
      },
      'inputs',
    ).schema;
    const value = freshSecret();
    const resolver = tableResolver({ 'secret:Shared': value });
    const result = await prepareRunInputs(
      '{ "A": "${secret:Shared}", "B": "${secret:Shared}" }',
      schema,
      opts({ resolver }),
    );
    assert.ok(result.ok);
    assert.deepEqual(resolver.calls, ['secret:Shared']);
    assert.equal(result.inputs, JSON.stringify({ A: value, B: value }));
  });

  it('never resolves (nor sends) a file that has errors', async () => {
    const resolver = tableResolver({ 'secret:PW': freshSecret() });
    const result = await prepareRunInputs(
      '{ "Username": 5, "Password": "${secret:PW}" }',
      credentials,
      opts({ resolver }),
    );
    assert.ok(!result.ok);
    assert.deepEqual(resolver.calls, []);
    assert.deepEqual(
      result.problems.map((p) => p.code),
      ['type'],
    );
    // Validation alone never resolves either.
    const validation = validateInputFile(
      '{ "Username": "u", "Password": "${secret:PW}" }',
      credentials,
      opts(),
    );
    assert.equal(validation.ok, true);
    assert.deepEqual(validation.values, { Username: 'u', Password: '${secret:PW}' });
    assert.deepEqual(resolver.calls, []);
  });

  it('checks the byte limit again once references are resolved', async () => {
    const resolver = tableResolver({ 'secret:Big': 'x'.repeat(2048) });
    const text = '{\n  "Username": "u",\n  "Password": "${secret:Big}"\n}';
    const result = await prepareRunInputs(text, credentials, opts({ resolver, limitBytes: 1024 }));
    assert.ok(!result.ok);
    assert.deepEqual(
      result.problems.map((p) => [p.code, p.line, p.column]),
      [['tooLarge', 3, 3]],
    );
    assert.match(result.problems[0]?.message ?? '', /the largest is "Password"/);
  });

  it('passes warnings through and masks a literal sensitive value from then on', async () => {
    const literal = freshSecret();
    const result = await prepareRunInputs(
      `{ "Username": "u", "Password": "${literal}" }`,
      credentials,
      opts(),
    );
    assert.ok(result.ok);
    assert.deepEqual(
      result.warnings.map((w) => w.code),
      ['sensitiveLiteral'],
    );
    assert.equal(secretMasker.mask(`sent ${result.inputs}`).includes(literal), false);
  });

  it("still resolves (and masks) references when the flow's schema could not be read", async () => {
    const unreadable = parseDesktopFlowSchema({ schema: 'garbled' } as never, 'inputs').schema;
    assert.equal(unreadable.complete, false);
    const value = freshSecret();
    const resolver = tableResolver({ 'secret:Token': value });
    const result = await prepareRunInputs(
      '{ "Token": "${secret:Token}", "Other": 1 }',
      unreadable,
      opts({ resolver }),
    );
    assert.ok(result.ok, JSON.stringify(result));
    assert.equal(result.inputs, JSON.stringify({ Token: value, Other: 1 }));
    assert.equal(result.maskedInputs, JSON.stringify({ Token: maskedValue, Other: 1 }));
  });

  it('stops with CancellationError when the signal aborts during a lookup', async () => {
    const controller = new AbortController();
    const resolver: SecretResolver = async (_kind, _name, signal) => {
      await sleep(60_000, signal);
      return 'never';
    };
    const pending = prepareRunInputs('{ "Username": "u", "Password": "${secret:Slow}" }', credentials, {
      ...opts({ resolver }),
      signal: controller.signal,
    });
    controller.abort();
    await assert.rejects(pending, (e) => CancellationError.is(e));
  });

  it('stops before doing anything when the signal is already aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(prepareRunInputs('{}', credentials, { ...opts(), signal: controller.signal }), (e) =>
      CancellationError.is(e),
    );
  });
});

describe('inputs: maskInputs', () => {
  it('masks sensitive values, keeps references and everything else', () => {
    const masked = maskInputs({ Username: 'u', Password: 'hunter22', Extra: 1 }, credentials);
    assert.deepEqual(masked, { Username: 'u', Password: '********', Extra: 1 });
    assert.deepEqual(maskInputs({ Password: '${secret:PW}' }, credentials), { Password: '${secret:PW}' });
  });

  it('masks sensitive outputs with an output schema', () => {
    const outputs = seededSchema('credentials', 'outputs');
    assert.deepEqual(maskInputs({ SessionToken: 'tok-7d1e0c', LoggedIn: true }, outputs), {
      SessionToken: '********',
      LoggedIn: true,
    });
  });
});
