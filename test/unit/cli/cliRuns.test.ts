import assert from 'node:assert/strict';
import path from 'node:path';
import { seedIds, seedNames } from '../../../src/sandbox/seed';
import { errorLines, json, cliSuite, type CliResult } from './cliHarness';

const flows = seedIds.flows;
const maker = seedNames.connections.makerMachine;
/** Every run in these tests: attended on DESKTOP-MAKER01, polling fast (the sandbox is on this machine). */
const runArgs = ['--connection', maker, '--mode', 'attended', '--poll-interval', '0.05'];

interface RunState {
  runId: string;
  flowId: string;
  flowName: string;
  environment: { id: string | null; name: string | null; orgUrl: string };
  status: string;
  finished: boolean;
  succeeded: boolean;
  runMode: string;
  error: { code: string; message: string; remedy: { title: string; remedy: string } | null } | null;
  outputs?: Record<string, unknown> | null;
  start?: { runId: string; attempts: number; reconciled: boolean };
}

describe('desktop-flows CLI: runs', () => {
  const h = cliSuite('desktop-flows-cli-');

  /** Runs of `flowId` the sandbox holds, by id. */
  function sandboxRuns(flowId: string): string[] {
    return [...h.dev.runs.values()]
      .filter((r) => r.flow.id === flowId)
      .map((r) => String(r.row.flowsessionid));
  }

  /** The sandbox's newest unfinished run of `flowId`, once there is one. */
  async function activeRun(flowId: string): Promise<string> {
    for (let i = 0; i < 400; i++) {
      const run = [...h.dev.runs.values()].find(
        (r) => r.flow.id === flowId && [0, 2, 3].includes(Number(r.row.statuscode)),
      );
      if (run !== undefined) {
        return String(run.row.flowsessionid);
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(`no active run of ${flowId} appeared`);
  }

  function assertNothingSent(r: CliResult): void {
    assert.equal(r.code, 2, r.stderr);
    assert.deepEqual(h.runRequests, [], 'the sandbox received no RunDesktopFlow');
  }

  describe('run', () => {
    it('starts a run and prints its id, or the documented JSON, without waiting', async () => {
      const text = await h.cli(['run', 'Quick Ping', ...runArgs]);
      assert.equal(text.code, 0, text.stderr);
      const runId = text.stdout.trim();
      assert.ok(sandboxRuns(flows.quickPing).includes(runId));
      assert.match(
        text.stderr,
        /Started "Quick Ping" run [0-9a-f]{8} \(attended, priority normal, connection "CONTOSO\\maker \(DESKTOP-MAKER01\)"/,
      );
      assert.match(
        text.stderr,
        new RegExp(`desktop-flows status ${runId} --env ${seedIds.environments.dev} --wait`),
      );

      const started = json(
        await h.cli(['run', flows.quickPing, ...runArgs, '--priority', 'high', '--timeout', '600', '--json']),
      );
      assert.deepEqual(Object.keys(started), [
        'runId',
        'flowId',
        'flowName',
        'environment',
        'options',
        'licenseCheck',
        'reconciled',
        'attempts',
      ]);
      assert.deepEqual(started.options, {
        connection: { kind: 'connection', name: maker },
        runMode: 'attended',
        priority: 'high',
        timeoutSeconds: 600,
      });
      assert.deepEqual([started.flowName, started.reconciled, started.attempts], ['Quick Ping', false, 1]);
      assert.equal(h.runRequests.length, 2);
    });

    it('--wait follows a run to success: progress on stderr, the end state and outputs on stdout, exit 0', async () => {
      const inputs = await h.file('echo.json', {
        $schema: `desktopflows-schema:/${flows.echoText}.json`,
        inputText: 'hello from the CLI',
        inputInteger: 42,
      });
      const r = await h.cli(['run', 'Echo Text', '--inputs', inputs, ...runArgs, '--wait', '--json']);
      assert.equal(r.code, 0, r.stderr);
      const state = json<RunState>(r);
      assert.deepEqual(
        [state.status, state.finished, state.succeeded, state.runMode, state.error],
        ['succeeded', true, true, 'attended', null],
      );
      assert.deepEqual(state.outputs, { outputText: 'hello from the CLI', outputInteger: 42 });
      assert.equal(state.start?.runId, state.runId);
      assert.match(r.stderr, /^\[[\d: -]+\] Started "Echo Text" run [0-9a-f]{8} \(attended/m);
      assert.match(r.stderr, /"Echo Text" run [0-9a-f]{8} succeeded on DESKTOP-MAKER01/);
      const text = await h.cli(['run', 'Echo Text', '--inputs', inputs, ...runArgs, '--wait']);
      assert.equal(text.code, 0, text.stderr);
      assert.match(text.stdout, /^Status\s+succeeded$/m);
      assert.match(text.stdout, /^Outputs\s+\{"outputText":"hello from the CLI","outputInteger":42\}$/m);
    });

    it('--wait reports a failed run with the documented remedy and exits 1', async () => {
      const r = await h.cli(['run', 'Legacy Schema Flow', ...runArgs, '--wait', '--json']);
      assert.equal(r.code, 1, r.stderr);
      const state = json<RunState>(r);
      assert.deepEqual(
        [state.status, state.succeeded, state.error?.code],
        ['failed', false, 'UnsupportedRpaScriptSchemaVersion'],
      );
      assert.match(state.error?.remedy?.title ?? '', /too old for this flow/);
      assert.match(r.stderr, /Error: UnsupportedRpaScriptSchemaVersion: /);
      assert.match(r.stderr, /Update Power Automate for desktop on the machine/);
      assert.deepEqual(errorLines(r), [], 'a failed run is a result, not a CLI error');
    });

    it('--wait ends with exit 1 when the run is cancelled meanwhile', async () => {
      const waiting = h.cli(['run', 'Long Running Report', ...runArgs, '--wait', '--json']);
      const runId = await activeRun(flows.longReport);
      const cancel = await h.cli(['cancel', runId]);
      assert.equal(cancel.code, 0, cancel.stderr);
      assert.match(
        cancel.stdout,
        new RegExp(`^Cancellation of run ${runId} requested \\(it was (queued|running)\\)\\.`),
      );
      const r = await waiting;
      assert.equal(r.code, 1, r.stderr);
      assert.deepEqual([json<RunState>(r).status, json<RunState>(r).runId], ['cancelled', runId]);
      assert.match(r.stderr, /"Long Running Report" run [0-9a-f]{8} cancelled/);
    });

    it('sends through the core trigger: a lost answer is reconciled (one run), a 429 waits and resends', async () => {
      const before = sandboxRuns(flows.quickPing).length;
      h.sandbox.faults.add({
        method: 'POST',
        path: '/org/contoso-dev/*RunDesktopFlow',
        kind: 'responseLost',
        count: 1,
      });
      const lost = json(await h.cli(['run', 'Quick Ping', ...runArgs, '--json']));
      assert.equal(lost.reconciled, true);
      assert.equal(h.runRequests.length, 1, 'not sent again: the run was found');
      assert.equal(sandboxRuns(flows.quickPing).length, before + 1);
      assert.ok(sandboxRuns(flows.quickPing).includes(String(lost.runId)));

      h.reset();
      h.sandbox.faults.add({
        method: 'POST',
        path: '/org/contoso-dev/*RunDesktopFlow',
        kind: 'status',
        status: 429,
        retryAfterSeconds: 0,
        count: 1,
      });
      const throttled = await h.cli(['run', 'Quick Ping', ...runArgs, '--json']);
      assert.equal(throttled.code, 0, throttled.stderr);
      assert.equal(json(throttled).attempts, 2);
      assert.equal(sandboxRuns(flows.quickPing).length, before + 2);
    });

    it('refuses an unknown connection or an unbound connection reference before sending (exit 2)', async () => {
      const unknown = await h.cli([
        'run',
        'Quick Ping',
        '--connection',
        'shared-uiflow-nope',
        '--mode',
        'attended',
      ]);
      assertNothingSent(unknown);
      assert.match(
        unknown.stderr,
        /^error: No desktop-flow connection "shared-uiflow-nope" in "Contoso Dev"\./m,
      );
      assert.match(unknown.stderr, /Pick one from the connections list/);
      const unbound = await h.cli([
        'run',
        'Quick Ping',
        '--connection-reference',
        'cr_unbound',
        '--mode',
        'attended',
      ]);
      assertNothingSent(unbound);
      assert.match(unbound.stderr, /\(cr_unbound\) is not bound to a connection\. Set its connection/);
    });

    it('refuses a flow with required inputs when no --inputs is given, naming them (exit 2)', async () => {
      const r = await h.cli(['run', 'Echo All Types', ...runArgs, '--wait']);
      assertNothingSent(r);
      assert.match(
        r.stderr,
        /"Echo All Types" has required inputs without defaults, and no inputs were given: "/,
      );
      assert.match(r.stderr, /--inputs <file>.*Nothing was sent\./);
    });
  });

  describe('input files and run options: nothing is sent when they are wrong (exit 2)', () => {
    it('lists every problem of an input file with its line and column', async () => {
      const bad = await h.file(
        'bad.json',
        `{\n  "$schema": "desktopflows-schema:/${flows.echoText}.json",\n  "inputTxt": "x",\n  "inputInteger": "forty-two"\n}\n`,
      );
      const r = await h.cli(['run', 'Echo Text', '--inputs', bad, ...runArgs, '--wait']);
      assertNothingSent(r);
      assert.match(
        r.stderr,
        new RegExp(`^${bad.replace(/[.\\]/g, '\\$&')}:3:3: error: .*"inputTxt".*"inputText"`, 'm'),
      );
      assert.match(
        r.stderr,
        new RegExp(`^${bad.replace(/[.\\]/g, '\\$&')}:4:19: error: .*"inputInteger"`, 'm'),
      );
      assert.match(
        errorLines(r)[0] ?? '',
        /bad\.json has 2 problems that must be fixed before "Echo Text" can run; nothing was sent\./,
      );
    });

    it('refuses syntax errors, placeholders, another flow in $schema, missing secrets and missing files', async () => {
      const template = (await h.cli(['schema', 'Invoice Processing', '--template'])).stdout;
      const cases: [string, string, RegExp][] = [
        ['syntax.json', '{ "inputText": "x", ', /syntax\.json:1:\d+: error: /],
        [
          'placeholder.json',
          template,
          /placeholder\.json:\d+:\d+: error: "InvoiceId" still holds the placeholder/,
        ],
        [
          'other.json',
          JSON.stringify({ $schema: `desktopflows-schema:/${flows.invoice}.json`, inputText: 'x' }),
          /other\.json:1:\d+: error: .*another flow|other\.json:1:\d+: error: .*is for/,
        ],
      ];
      for (const [name, content, message] of cases) {
        const p = await h.file(name, content);
        const flow = name === 'placeholder.json' ? 'Invoice Processing' : 'Echo Text';
        const r = await h.cli(['run', flow, '--inputs', p, ...runArgs]);
        assertNothingSent(r);
        assert.match(r.stderr, message, r.stderr);
      }
      const secret = await h.file('secret.json', {
        $schema: `desktopflows-schema:/${flows.credentials}.json`,
        Username: 'maker',
        Password: '${secret:db.password}',
      });
      const noSecret = await h.cli(['run', '--inputs', secret, ...runArgs]);
      assertNothingSent(noSecret);
      assert.match(noSecret.stderr, /\$\{secret:db\.password\} for "Password" has no value/);
      assert.match(
        noSecret.stderr,
        /the CLI reads \$\{secret:NAME\} from the environment variable DESKTOPFLOWS_SECRET_NAME/,
      );
      const missing = await h.cli([
        'run',
        'Echo Text',
        '--inputs',
        path.join(h.dir, 'nope.json'),
        ...runArgs,
      ]);
      assertNothingSent(missing);
      assert.match(missing.stderr, /The input file .*nope\.json does not exist/);
    });

    it('refuses missing or invalid run options and unknown connection references', async () => {
      const cases: [string[], RegExp][] = [
        [['run', 'Quick Ping', '--connection', maker], /--mode is required/],
        [
          ['run', 'Quick Ping', '--connection', maker, '--mode', 'sideways'],
          /--mode must be attended or unattended/,
        ],
        [
          ['run', 'Quick Ping', '--mode', 'attended'],
          /Give --connection <connection name> or --connection-reference/,
        ],
        [
          [
            'run',
            'Quick Ping',
            '--mode',
            'attended',
            '--connection',
            maker,
            '--connection-reference',
            'cr_maker_machine',
          ],
          /not both/,
        ],
        [['run', 'Quick Ping', ...runArgs, '--timeout', '0'], /--timeout must be between 1 and 86400/],
        [['run', 'Quick Ping', ...runArgs, '--timeout', '1.5'], /--timeout needs a whole number/],
        // Only plain digits: hex and exponents are refused, not read as 16 s and 1000 s.
        [['run', 'Quick Ping', ...runArgs, '--timeout', '0x10'], /--timeout needs a whole number .*"0x10"/],
        [['run', 'Quick Ping', ...runArgs, '--timeout', '1e3'], /--timeout needs a whole number .*"1e3"/],
        [['run', 'Quick Ping', ...runArgs, '--poll-interval', '1e-1'], /--poll-interval needs a number/],
        // A negative value is taken for an option by the parser: the hint is given whole.
        [
          ['run', 'Quick Ping', ...runArgs, '--timeout', '-5'],
          /--timeout is followed by "-5", which looks like another option\. To give a value that starts with a dash, write --timeout=-5\. Run `desktop-flows run --help`/,
        ],
        [['run', 'Quick Ping', ...runArgs, '--timeout=-5'], /--timeout must be between 1 and 86400, got -5/],
        [
          ['run', 'Quick Ping', '--connection-reference', 'cr_nope', '--mode', 'attended'],
          /No desktop-flow connection reference "cr_nope"/,
        ],
        [
          ['run', 'Quick Ping', '--connection', maker, '--mode', 'attended', '--poll-interval', '0'],
          /--poll-interval must be between/,
        ],
        [['run', ...runArgs], /Name the flow to run/],
        [['run', 'No Such Flow', ...runArgs], /No desktop flow named "No Such Flow"/],
      ];
      for (const [argv, message] of cases) {
        const r = await h.cli(argv);
        assertNothingSent(r);
        assert.match(r.stderr, message, argv.join(' '));
      }
    });

    it('resolves ${secret:NAME} from DESKTOPFLOWS_SECRET_<NAME>, reads stdin, and never prints the secret', async () => {
      const secretValue = 'S3cret-Passw0rd!';
      const content = JSON.stringify({
        $schema: `desktopflows-schema:/${seedIds.environments.dev}/${flows.credentials}.json`,
        Username: 'maker',
        Password: '${secret:db.password}',
      });
      // The environment the file's $schema names wins over DESKTOPFLOWS_ENV (--env would win over both).
      const r = await h.cli(['run', '--inputs', '-', ...runArgs, '--wait', '--json', '--verbose'], {
        env: {
          ...h.env,
          DESKTOPFLOWS_ENV: 'Contoso (default)',
          DESKTOPFLOWS_SECRET_DB_PASSWORD: secretValue,
        },
        stdin: { text: content },
      });
      assert.equal(r.code, 0, r.stderr);
      const state = json<RunState>(r);
      assert.deepEqual([state.flowName, state.environment.name], ['Sensitive Credentials', 'Contoso Dev']);
      const sent =
        h.dev.runs.get(state.runId) ??
        [...h.dev.runs.values()].find((x) => x.row.flowsessionid === state.runId);
      assert.equal(sent?.inputs.Password, secretValue, 'the resolved secret was sent');
      assert.deepEqual(state.outputs, { SessionToken: '********', LoggedIn: true });
      assert.ok(
        !r.stdout.includes(secretValue) && !r.stderr.includes(secretValue),
        'the secret is never printed',
      );
      assert.ok(!r.stderr.includes('tok-7d1e0c'), 'sensitive outputs are masked in the transcript');

      const outputs = await h.cli(['outputs', state.runId, '--show-sensitive', '--json']);
      assert.equal(json<{ outputs: Record<string, unknown> }>(outputs).outputs.SessionToken, 'tok-7d1e0c');
    });
  });

  describe('status, outputs, cancel and runs', () => {
    it('status shows a run as fields or JSON; --wait exits by how the run ended', async () => {
      const started = json(await h.cli(['run', 'Echo Text', ...runArgs, '--json']));
      const runId = String(started.runId);
      const status = json<RunState>(await h.cli(['status', runId, '--json']));
      assert.deepEqual(Object.keys(status), [
        'runId',
        'flowId',
        'flowName',
        'environment',
        'status',
        'finished',
        'succeeded',
        'runMode',
        'createdOn',
        'startedOn',
        'completedOn',
        'queueWaitMs',
        'runTimeMs',
        'machine',
        'error',
      ]);
      assert.equal(status.flowName, 'Echo Text');
      const waited = await h.cli(['status', runId, '--wait', '--poll-interval', '0.05', '--json']);
      assert.equal(waited.code, 0, waited.stderr);
      assert.equal(json<RunState>(waited).status, 'succeeded');
      const text = await h.cli(['status', runId.toUpperCase()]);
      assert.equal(text.code, 0, text.stderr);
      assert.match(
        text.stdout,
        new RegExp(`^Run\\s+${runId}\\nFlow\\s+Echo Text \\(${flows.echoText}\\)\\n`),
      );
      assert.match(text.stdout, /^Status\s+succeeded$/m);

      const failed = json(await h.cli(['run', 'Legacy Schema Flow', ...runArgs, '--json']));
      const failedWait = await h.cli(['status', String(failed.runId), '--wait', '--poll-interval', '0.05']);
      assert.equal(failedWait.code, 1);
      assert.match(failedWait.stdout, /^Remedy\s+The machine's Power Automate for desktop is too old/m);

      const unknown = await h.cli(['status', '00000000-0000-4000-8000-00000000abcd']);
      assert.equal(unknown.code, 2);
      assert.match(unknown.stderr, /Run 00000000-0000-4000-8000-00000000abcd does not exist in Contoso Dev/);
    });

    it("outputs prints a succeeded run's outputs (sensitive ones masked) and exits 1 for other runs", async () => {
      const ok = json<RunState>(
        await h.cli(
          [
            'run',
            'Invoice Processing',
            '--inputs',
            await h.file('inv.json', {
              InvoiceId: 'INV-7',
              Amount: 12.5,
              ApiKey: '${env:ERP_KEY}',
            }),
            ...runArgs,
            '--wait',
            '--json',
          ],
          { env: { ...h.env, ERP_KEY: 'erp-key-123' } },
        ),
      );
      assert.equal(ok.status, 'succeeded');
      const text = await h.cli(['outputs', ok.runId]);
      assert.equal(text.code, 0, text.stderr);
      const outputs = JSON.parse(text.stdout) as Record<string, unknown>;
      assert.deepEqual([outputs.Total, outputs.Receipt, outputs.Status], [12.5, '********', 'Processed']);
      const shaped = json(await h.cli(['outputs', ok.runId, '--json']));
      assert.deepEqual(Object.keys(shaped), [
        'runId',
        'flowId',
        'flowName',
        'environment',
        'status',
        'outputs',
      ]);

      const failed = json(await h.cli(['run', 'Legacy Schema Flow', ...runArgs, '--wait', '--json']));
      const none = await h.cli(['outputs', String(failed.runId), '--json']);
      assert.equal(none.code, 1);
      assert.deepEqual([json(none).status, json(none).outputs], ['failed', null]);
      assert.match(none.stderr, /only succeeded runs have outputs/);
    });

    it('cancel --wait waits for the cancelled end (exit 0); a second cancel finds the run ended (exit 1)', async () => {
      const started = json(await h.cli(['run', 'Long Running Report', ...runArgs, '--json']));
      const runId = String(started.runId);
      const watching = h.cli(['status', runId, '--wait', '--poll-interval', '0.05']);
      const cancel = await h.cli(['cancel', runId, '--wait', '--poll-interval', '0.05', '--json']);
      assert.equal(cancel.code, 0, cancel.stderr);
      assert.equal(json<RunState>(cancel).status, 'cancelled');
      const watched = await watching;
      assert.equal(watched.code, 1, 'a cancelled run is not a success');
      assert.match(watched.stdout, /^Status\s+cancelled$/m);
      const again = await h.cli(['cancel', runId]);
      assert.equal(again.code, 1);
      assert.match(again.stderr, /already ended \(cancelled\); there is nothing to cancel/);
    });

    it("runs lists a flow's runs newest first", async () => {
      const first = json(await h.cli(['run', 'Export Data Table', ...runArgs, '--json']));
      const second = json(await h.cli(['run', 'Export Data Table', ...runArgs, '--json']));
      const list = json<RunState[]>(await h.cli(['runs', 'Export Data Table', '--json']));
      assert.deepEqual(
        list.slice(0, 2).map((r) => r.runId),
        [second.runId, first.runId],
      );
      assert.equal(list[0]?.flowName, 'Export Data Table');
      const one = json<RunState[]>(await h.cli(['runs', flows.exportTable, '--json', '--top', '1']));
      assert.equal(one.length, 1);
      const text = await h.cli(['runs', 'Export Data Table']);
      assert.match(text.stdout, /^RUN\s+STATUS\s+MODE\s+QUEUED AT/);
      assert.ok(text.stdout.includes(String(second.runId)));
    });
  });
});
