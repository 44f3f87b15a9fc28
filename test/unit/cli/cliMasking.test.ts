/**
 * Masking in what the CLI prints: secrets are masked by value in structured results before they are
 * serialised, so `--json` stays valid JSON, ids are never altered, and a secret of any length (even one
 * or two characters) never shows up as a value.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { seedIds, seedNames } from '../../../src/sandbox/seed';
import { json, cliSuite } from './cliHarness';

const flows = seedIds.flows;
const runArgs = [
  '--connection',
  seedNames.connections.makerMachine,
  '--mode',
  'attended',
  '--poll-interval',
  '0.05',
];

interface FinishedJson {
  runId: string;
  finished: boolean;
  succeeded: boolean;
  environment: { id: string | null; orgUrl: string };
  outputs?: Record<string, unknown> | null;
}

describe('desktop-flows CLI: masking never corrupts and never leaks', () => {
  const h = cliSuite('desktop-flows-mask-');

  /** Runs "Echo All Types" (it echoes its sensitive input "Secret" as a plain output) with `secret`. */
  async function echoSecret(secret: string, extra: readonly string[] = ['--wait', '--json']) {
    const file = path.join(h.dir, `echo-${extra.length}.json`);
    await writeFile(
      file,
      JSON.stringify({
        $schema: `desktopflows-schema:/${flows.echoAllTypes}.json`,
        Text: 'hello',
        Number: 7,
        Flag: false,
        Customer: {},
        Items: [],
        Table: [],
        Secret: '${secret:S}',
      }),
    );
    return h.cli(['run', '--inputs', file, ...runArgs, ...extra], {
      env: { ...h.env, DESKTOPFLOWS_SECRET_S: secret },
    });
  }

  it('a secret "true" leaves --json valid: booleans stay booleans and the echoed secret is masked', async () => {
    const r = await echoSecret('true');
    assert.equal(r.code, 0, r.stderr);
    const state = json<FinishedJson>(r);
    assert.equal(state.finished, true);
    assert.equal(state.succeeded, true);
    assert.equal(state.outputs?.Secret, '********', 'the echoed secret is masked');
    assert.equal(state.outputs?.Flag, false);
    assert.match(
      r.stderr,
      /Outputs: \{.*"Secret":"\*\*\*\*\*\*\*\*"/,
      'the transcript masks it by value too',
    );
  });

  it('a secret that is part of an id never alters the id', async () => {
    const envId = seedIds.environments.dev;
    const segment = envId.split('-')[1] ?? '';
    assert.equal(segment.length, 4);
    const r = await echoSecret(segment);
    assert.equal(r.code, 0, r.stderr);
    const state = json<FinishedJson>(r);
    assert.equal(state.environment.id, envId);
    assert.equal(state.outputs?.Secret, '********');

    const started = await echoSecret(segment, []);
    assert.equal(started.code, 0, started.stderr);
    assert.ok(started.stderr.includes(`--env ${envId}`), started.stderr);
  });

  it('a secret shorter than 4 characters is still masked wherever it is a value', async () => {
    const r = await echoSecret('ab');
    assert.equal(r.code, 0, r.stderr);
    const state = json<FinishedJson>(r);
    assert.equal(state.outputs?.Secret, '********');
    assert.doesNotMatch(r.stderr, /"Secret":"ab"/);

    const text = await echoSecret('ab', ['--wait']);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /"Secret":"\*\*\*\*\*\*\*\*"/, text.stdout);
    assert.doesNotMatch(text.stdout, /"Secret":"ab"/);
  });
});
