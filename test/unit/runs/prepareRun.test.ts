/**
 * The one road of a run, against the sandbox over real HTTP: `prepareRun` for every inputs source (file,
 * values, none, the inputs of an earlier run after the flow changed), unknown flows and connections,
 * the inputs limit of a 1 MB cloud vs a 2 MB one; and `RunService.start`, whose events carry what the UI
 * shows. Every refused request is checked against the sandbox's own request log: nothing was sent.
 */
import assert from 'node:assert/strict';
import type { Logger } from '../../../src/core/logger';
import { DataverseRunsBackend } from '../../../src/core/runs/dataverseRunsBackend';
import { prepareRun, type PrepareRunDeps, type RunProblem } from '../../../src/core/runs/prepareRun';
import type { RunEvent } from '../../../src/core/runs/runEvents';
import type { RunInputsSource, RunRequest } from '../../../src/core/runs/runRequest';
import { RunService } from '../../../src/core/runs/runService';
import type { ServiceSession } from '../../../src/core/serviceSession';
import { seedFlowNames, seedIds, seedNames } from '../../../src/sandbox/seed';
import { sandboxSessionSuite } from '../helpers/sandboxSession';

const maker = seedNames.connections.makerMachine;
const attended = { connection: { kind: 'connection', name: maker }, runMode: 'attended' };

/** The sandbox logs each request at debug level: keep the RunDesktopFlow ones. */
function recorder(runRequests: string[]): Logger {
  const ignore = (): void => undefined;
  return {
    trace: ignore,
    debug: (m) => {
      if (/^\[sandbox\] POST \S*Microsoft\.Dynamics\.CRM\.RunDesktopFlow\b/.test(m)) {
        runRequests.push(m);
      }
    },
    info: ignore,
    warn: ignore,
    error: ignore,
  };
}

describe('prepareRun and RunService.start: one road for every run', () => {
  const runRequests: string[] = [];
  const suite = sandboxSessionSuite({
    sandbox: { speed: 200, logger: recorder(runRequests) },
    schemas: true,
  });
  const signal = new AbortController().signal;

  beforeEach(() => {
    runRequests.length = 0;
  });

  function deps(extra: Partial<PrepareRunDeps> = {}): PrepareRunDeps {
    return { session: suite.session, schemas: suite.schemas, ...extra };
  }

  function request(
    flow: string,
    inputs: RunInputsSource,
    options: unknown = attended,
    env = 'Contoso Dev',
  ): RunRequest {
    return {
      target: { environment: { kind: 'key', key: env }, flow: { kind: 'key', key: flow } },
      inputs,
      options,
      origin: 'test',
    };
  }

  async function refused(r: RunRequest, d: PrepareRunDeps = deps()): Promise<readonly RunProblem[]> {
    const result = await prepareRun(r, d, signal);
    assert.equal(result.ok, false, 'the run was prepared');
    assert.deepEqual(runRequests, [], 'no RunDesktopFlow reached the sandbox');
    return result.ok ? [] : result.problems.filter((p) => p.severity === 'error');
  }

  it('prepares an input file: exact inputs, masked form, sensitive names and size', async () => {
    const text = JSON.stringify(
      {
        $schema: `desktopflows-schema:/${seedIds.flows.credentials}.json`,
        Username: 'maker',
        Password: 'hunter2!',
      },
      null,
      2,
    );
    const result = await prepareRun(
      request(seedFlowNames.credentials, { kind: 'file', text, label: 'creds.json' }),
      deps(),
      signal,
    );
    assert.ok(result.ok, JSON.stringify(!result.ok && result.problems));
    assert.equal(result.run.flow.name, seedFlowNames.credentials);
    assert.equal(result.run.environment.displayName, 'Contoso Dev');
    assert.deepEqual(JSON.parse(result.run.inputs ?? ''), { Username: 'maker', Password: 'hunter2!' });
    assert.deepEqual(JSON.parse(result.run.maskedInputs ?? ''), { Username: 'maker', Password: '********' });
    assert.deepEqual(result.run.sensitiveInputNames, ['Password']);
    assert.equal(result.run.bytes, Buffer.byteLength(result.run.inputs ?? ''));
    assert.ok(result.run.connectionDisplayName.length > 0 && result.run.connectionDisplayName !== maker);
    // A literal in a sensitive input is a warning that does not block.
    assert.ok(result.warnings.some((w) => w.input?.code === 'sensitiveLiteral'));
    assert.deepEqual(runRequests, []);
  });

  it('refuses a file with a wrong type at its line and column, naming the file', async () => {
    const text = '{\n  "inputText": "x",\n  "inputInteger": "forty-two"\n}\n';
    const [p] = await refused(request(seedFlowNames.echoText, { kind: 'file', text, label: 'bad.json' }));
    assert.equal(p?.source, 'bad.json');
    assert.equal(p?.located, true);
    assert.equal(p?.input?.line, 3);
    assert.match(p?.message ?? '', /"inputInteger"/);
  });

  it('validates inline values like a file: wrong type, unknown name, missing required input', async () => {
    const wrongType = await refused(
      request(seedFlowNames.echoText, { kind: 'values', values: { inputText: 'x', inputInteger: 'many' } }),
    );
    assert.deepEqual(
      wrongType.map((p) => [p.code, p.input?.code, p.input?.pathText, p.source]),
      [['inputs', 'type', '$.inputInteger', 'inline inputs']],
    );
    const unknown = await refused(
      request(seedFlowNames.echoText, { kind: 'values', values: { inputText: 'x', inputTxt: 'y' } }),
    );
    assert.ok(
      unknown.some((p) => p.input?.code === 'unknownInput'),
      JSON.stringify(unknown),
    );
    const missing = await refused(
      request(seedFlowNames.echoAllTypes, { kind: 'values', values: { Text: 'x' } }),
    );
    assert.deepEqual(
      missing.map((p) => [p.input?.code, p.message]),
      [['required', 'Required input "Secret" is missing.']],
    );
  });

  it('validates "no inputs" too: required inputs without defaults are named; a flow without any sends none', async () => {
    const [p, more] = await refused(request(seedFlowNames.echoAllTypes, { kind: 'none' }));
    assert.equal(p?.code, 'requiredInputs');
    assert.equal(
      p?.message,
      '"Echo All Types" has required inputs without defaults, and no inputs were given: "Text", "Secret".',
    );
    assert.equal(more, undefined);
    const ok = await prepareRun(request(seedFlowNames.quickPing, { kind: 'none' }), deps(), signal);
    assert.ok(ok.ok);
    assert.equal(ok.run.inputs, undefined);
    assert.equal(ok.run.bytes, 0);
  });

  it('refuses an unknown flow (with the closest name), environment, connection and unbound reference', async () => {
    const [flow] = await refused(request('Echo Txt', { kind: 'none' }));
    assert.equal(flow?.code, 'flowNotFound');
    assert.match(
      flow?.message ?? '',
      /No desktop flow named "Echo Txt" in "Contoso Dev"\. Did you mean "Echo Text"\?/,
    );
    const [env] = await refused(request(seedFlowNames.quickPing, { kind: 'none' }, attended, 'Contoso Prod'));
    assert.equal(env?.code, 'environmentNotFound');
    const [connection] = await refused(
      request(
        seedFlowNames.quickPing,
        { kind: 'none' },
        {
          connection: { kind: 'connection', name: 'shared-uiflow-nope' },
          runMode: 'attended',
        },
      ),
    );
    assert.equal(connection?.code, 'connectionNotFound');
    assert.ok(connection?.fix);
    const [reference] = await refused(
      request(
        seedFlowNames.quickPing,
        { kind: 'none' },
        {
          connection: { kind: 'connectionReference', logicalName: 'cr_unbound' },
          runMode: 'attended',
        },
      ),
    );
    assert.equal(reference?.code, 'connectionReferenceUnbound');
    const [unknownReference] = await refused(
      request(
        seedFlowNames.quickPing,
        { kind: 'none' },
        {
          connection: { kind: 'connectionReference', logicalName: 'cr_nope' },
          runMode: 'attended',
        },
      ),
    );
    assert.equal(unknownReference?.code, 'connectionReferenceNotFound');
    const options = await refused(
      request(seedFlowNames.quickPing, { kind: 'none' }, { runMode: 'sideways' }),
    );
    assert.deepEqual(
      options.map((p) => p.optionsProblem?.field),
      ['connection', 'runMode'],
    );
  });

  it('a bound reference is sent with the connection it points at', async () => {
    const result = await prepareRun(
      request(
        seedFlowNames.quickPing,
        { kind: 'none' },
        {
          connection: { kind: 'connectionReference', logicalName: 'CR_MAKER_MACHINE' },
          runMode: 'attended',
        },
      ),
      deps(),
      signal,
    );
    assert.ok(result.ok);
    assert.deepEqual(result.run.options.connection, {
      kind: 'connectionReference',
      logicalName: 'cr_maker_machine',
      connectionName: maker,
    });
  });

  it('the inputs limit follows the cloud: 1.5 MB is refused in a 1 MB cloud and prepared in a 2 MB one', async () => {
    const big = { kind: 'values', values: { payload: 'x'.repeat(1_500_000) } } as const;
    const bulkFlow = 'Bulk Flow 0001';
    const bulkOptions = {
      connection: { kind: 'connection', name: seedNames.connections.bulk },
      runMode: 'unattended',
    };
    // Contoso Bulk's discovery region is China: 1 MB, whatever endpoint table reached it.
    const [china] = await refused(request(bulkFlow, big, bulkOptions, 'Contoso Bulk (China)'));
    assert.equal(china?.input?.code, 'tooLarge');
    assert.match(china?.message ?? '', /1,048,576 bytes/);
    // The same payload in a 2 MB cloud is fine…
    const text = { kind: 'values', values: { inputText: 'x'.repeat(1_500_000) } } as const;
    const twoMb = await prepareRun(request(seedFlowNames.echoText, text), deps(), signal);
    assert.ok(twoMb.ok);
    assert.equal(twoMb.run.limitBytes, 2 * 1024 * 1024);
    // …and refused when the session's cloud has a 1 MB limit.
    const oneMbSession = Object.assign(Object.create(suite.session) as ServiceSession, {
      cloud: { ...suite.f.cloud, inputLimitBytes: 1024 * 1024 },
    });
    const [tooLarge] = await refused(request(seedFlowNames.echoText, text), deps({ session: oneMbSession }));
    assert.equal(tooLarge?.input?.code, 'tooLarge');
  });

  it('starts a prepared run; its events carry the masked inputs; Run Again checks the inputs against the flow now', async () => {
    const service = new RunService({
      backendFor: (e) => new DataverseRunsBackend(suite.session.runs, e.orgUrl),
      poll: { minMs: 20, maxMs: 50 },
    });
    const events: RunEvent[] = [];
    service.onEvent((e) => events.push(e));
    const row = suite.f.sandbox.environments
      .get('contoso-dev')
      ?.rows('workflows')
      .find((r) => r.workflowid === seedIds.flows.echoText) as Record<string, unknown>;
    const original = row.inputs;
    try {
      const prepared = await prepareRun(
        request(seedFlowNames.echoText, { kind: 'values', values: { inputText: 'hello', inputInteger: 7 } }),
        deps(),
        signal,
      );
      assert.ok(prepared.ok);
      const started = await service.start(prepared.run, signal);
      assert.equal(runRequests.length, 1);
      const finished = await new Promise<RunEvent>((resolve) => {
        const check = (): void => {
          const done = events.find((e) => e.kind === 'finished');
          if (done === undefined) {
            setTimeout(check, 10);
          } else {
            resolve(done);
          }
        };
        check();
      });
      for (const e of [events.find((x) => x.kind === 'triggered'), finished]) {
        assert.ok(e !== undefined && 'display' in e && e.display !== undefined, `${e?.kind} carries display`);
        assert.deepEqual(e.display, started.display);
      }
      assert.deepEqual(started.display, {
        flowName: 'Echo Text',
        environmentName: 'Contoso Dev',
        connectionName: prepared.run.connectionDisplayName,
        maskedInputs: prepared.run.maskedInputs,
        sensitiveInputNames: [],
        origin: 'test',
      });

      // Run Again with the flow unchanged: the stored inputs are prepared as they were.
      const again = await prepareRun(
        request(seedFlowNames.echoText, { kind: 'run', runId: started.runId }),
        deps(),
        signal,
      );
      assert.ok(again.ok, JSON.stringify(!again.ok && again.problems));
      assert.deepEqual(JSON.parse(again.run.inputs ?? ''), { inputText: 'hello', inputInteger: 7 });

      // The flow changes: inputText is now a number.
      const schema = JSON.parse(String(original)) as {
        schema: { properties: Record<string, { type: string }> };
      };
      schema.schema.properties.inputText = { ...schema.schema.properties.inputText, type: 'number' };
      row.inputs = JSON.stringify(schema);
      runRequests.length = 0;
      const day = new Date(suite.f.sandbox.clock.now()).toLocaleDateString('en-GB', {
        day: 'numeric',
        month: 'short',
        timeZone: 'UTC',
      });
      const [changed] = await refused(request(seedFlowNames.echoText, { kind: 'run', runId: started.runId }));
      assert.equal(changed?.code, 'runInputsChanged');
      assert.equal(changed?.message, `Input \`inputText\` is now a number; the run from ${day} sent text.`);
      assert.equal(changed?.source, `the inputs of the run from ${day}`);
    } finally {
      row.inputs = original;
      suite.schemas.clear();
      service.dispose();
    }
  });
});
