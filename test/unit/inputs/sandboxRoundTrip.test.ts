/**
 * Input files against the sandbox over real HTTP on 127.0.0.1: schemas as the service serves them,
 * a new input file filled in and run, its outputs saved as a new input file, and the byte limit
 * checked against the service's own check in both clouds.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { DesktopFlowsApi } from '../../../src/core/api/desktopFlowsApi';
import { RunsApi } from '../../../src/core/api/runsApi';
import { clouds } from '../../../src/core/clouds';
import { ApiError } from '../../../src/core/errors';
import { convertFlowSchema } from '../../../src/core/inputs/flowJsonSchema';
import { createInputFileContent } from '../../../src/core/inputs/inputFileContent';
import { outputsToInputFile } from '../../../src/core/inputs/outputsToInputFile';
import { prepareRunInputs } from '../../../src/core/inputs/prepareRunInputs';
import type { SecretResolver } from '../../../src/core/inputs/secretReference';
import { validateInputFile } from '../../../src/core/inputs/validateInputFile';
import { isTerminal, type Run } from '../../../src/core/model/run';
import { sleep } from '../../../src/core/util/abort';
import { secretMasker } from '../../../src/core/util/secretMasker';
import { stableGuid } from '../../../src/sandbox/ids';
import { seedEnvironmentNames, seedIds, seedNames } from '../../../src/sandbox/seed';
import { startFixture, type SandboxFixture } from '../api/sandboxFixture';
import { RecordingLogger } from './fixtures';

describe('inputs: input files against the sandbox (HTTP)', function () {
  let fx: SandboxFixture;
  let flows: DesktopFlowsApi;
  let runs: RunsApi;
  const signal = new AbortController().signal;

  async function finish(org: string, sessionId: string): Promise<Run> {
    for (let i = 0; i < 100; i++) {
      // Sandbox time: a minute per poll, so queueing and the run itself both play out.
      fx.sandbox.clock.advance(60_000);
      const run = await runs.getFlowSession(org, sessionId, signal);
      if (isTerminal(run.status)) {
        return run;
      }
      await sleep(10, signal);
    }
    assert.fail(`run ${sessionId} did not finish`);
  }

  before(async () => {
    fx = await startFixture();
    flows = new DesktopFlowsApi(fx.http);
    runs = new RunsApi(fx.http);
  });
  after(async () => {
    await fx.close();
  });

  it('runs a new input file with a secret reference and saves the outputs as a new input file', async () => {
    const flowId = seedIds.flows.echoAllTypes;
    const schemas = await flows.getSchemas(fx.orgs.dev, flowId, signal);
    const inputs = convertFlowSchema(schemas.inputs, 'inputs');
    const outputs = convertFlowSchema(schemas.outputs, 'outputs');

    const content = createInputFileContent(inputs.schema, flowId, seedEnvironmentNames.dev);
    const filled = content
      .replace('"Text": "<required: text>"', '"Text": "hello from a file"')
      .replace('"<required: sensitive text, use ${secret:NAME}>"', '"${secret:EchoSecret}"');
    const secret = `echo-secret-${randomUUID()}`;
    const resolver: SecretResolver = (kind, name) =>
      Promise.resolve(kind === 'secret' && name === 'EchoSecret' ? secret : undefined);
    const logger = new RecordingLogger();
    const prepared = await prepareRunInputs(filled, inputs.schema, {
      limitBytes: fx.cloud.inputLimitBytes,
      flowId,
      environment: [seedEnvironmentNames.dev, seedIds.environments.dev],
      resolver,
      logger,
      signal,
    });
    assert.ok(prepared.ok, JSON.stringify(prepared));
    assert.deepEqual(JSON.parse(prepared.inputs), {
      Text: 'hello from a file',
      Number: 0,
      Flag: false,
      Customer: {},
      Items: [],
      Table: [],
      Secret: secret,
      Comment: 'none',
    });

    const start = await runs.runDesktopFlow(
      fx.orgs.dev,
      flowId,
      { runMode: 'attended', connectionName: seedNames.connections.makerMachine, inputs: prepared.inputs },
      signal,
    );
    const done = await finish(fx.orgs.dev, start.sessionId);
    assert.equal(done.status, 'succeeded');
    const outputValues = await runs.getRunOutputs(fx.orgs.dev, start.sessionId, signal);
    assert.ok(outputValues !== undefined);
    assert.equal(outputValues.Text, 'hello from a file');

    const saved = outputsToInputFile(outputValues, inputs.schema, {
      flowId,
      environment: seedEnvironmentNames.dev,
      outputSchema: outputs.schema,
    });
    assert.deepEqual(saved.copied, ['Text', 'Number', 'Flag', 'Customer', 'Items', 'Table']);
    assert.deepEqual(saved.skippedSensitive, ['Secret']);
    assert.equal(saved.content.includes(secret), false, 'a sensitive output never lands in a file');
    const check = validateInputFile(saved.content, inputs.schema, {
      limitBytes: fx.cloud.inputLimitBytes,
      flowId,
    });
    assert.deepEqual(
      check.problems.map((p) => [p.code, p.input]),
      [['placeholder', 'Secret']],
    );

    // Every log line (ours and the HTTP client's), as a masking sink prints it, is free of the secret.
    for (const line of [...logger.lines, ...fx.logger.lines.map((l) => l.message)]) {
      assert.equal(secretMasker.mask(line).includes(secret), false, line);
    }
  });

  const limits = [
    {
      cloud: 'Public',
      limit: clouds.Public.inputLimitBytes,
      org: (): string => fx.orgs.dev,
      flowId: seedIds.flows.echoText,
      input: 'inputText',
      others: { inputInteger: 1 },
      connectionName: seedNames.connections.makerMachine,
    },
    {
      cloud: 'China',
      limit: clouds.China.inputLimitBytes,
      org: (): string => fx.orgs.bulk,
      flowId: stableGuid(`generated-flow:${seedEnvironmentNames.bulk}:0`),
      input: 'payload',
      others: {},
      connectionName: seedNames.connections.bulk,
    },
  ] as const;

  for (const l of limits) {
    it(`${l.cloud}: sends inputs of exactly ${l.limit} bytes and stops one byte more before sending, as the service would`, async () => {
      const raw = await flows.getSchema(l.org(), l.flowId, 'inputs', signal);
      const { schema } = convertFlowSchema(raw, 'inputs');
      const fileOf = (bytes: number): string => {
        const base = Buffer.byteLength(JSON.stringify({ [l.input]: '', ...l.others }), 'utf8');
        const pairs = Math.floor((bytes - base) / 2);
        return JSON.stringify({
          [l.input]: 'é'.repeat(pairs) + 'x'.repeat(bytes - base - pairs * 2),
          ...l.others,
        });
      };
      const options = { limitBytes: l.limit, flowId: l.flowId, signal };

      const atLimit = await prepareRunInputs(fileOf(l.limit), schema, options);
      assert.ok(atLimit.ok, JSON.stringify(atLimit).slice(0, 300));
      assert.equal(atLimit.bytes, l.limit);
      const start = await runs.runDesktopFlow(
        l.org(),
        l.flowId,
        { runMode: 'unattended', connectionName: l.connectionName, inputs: atLimit.inputs },
        signal,
      );
      assert.match(start.sessionId, /^[0-9a-f-]{36}$/);

      const over = await prepareRunInputs(fileOf(l.limit + 1), schema, options);
      assert.ok(!over.ok);
      assert.deepEqual(
        over.problems.map((p) => [p.code, p.input]),
        [['tooLarge', l.input]],
      );
      // What the service says to the same string, sent anyway: the byte counts agree.
      await assert.rejects(
        runs.runDesktopFlow(
          l.org(),
          l.flowId,
          { runMode: 'unattended', connectionName: l.connectionName, inputs: fileOf(l.limit + 1) },
          signal,
        ),
        (e) => ApiError.is(e, 'badRequest') && /maximum size/.test(e.message),
      );
    });
  }
});
