import assert from 'node:assert/strict';
import { cliVersion } from '../../../src/cli/runCli';
import { seedIds, seedNames } from '../../../src/sandbox/seed';
import { errorLines, json, startCliHarness, type CliHarness } from './cliHarness';

const dev = seedIds.environments.dev;

describe('desktop-flows CLI: usage, listing commands and --json shapes', () => {
  let h: CliHarness;

  before(async () => {
    h = await startCliHarness();
  });

  after(async () => {
    await h.stop();
  });

  beforeEach(() => h.reset());

  describe('help and usage', () => {
    it('--help lists every command and the exit codes; --version prints the version', async () => {
      const help = await h.cli(['--help']);
      assert.equal(help.code, 0);
      for (const command of [
        'envs',
        'flows',
        'schema',
        'connections',
        'machines',
        'run',
        'status',
        'outputs',
        'cancel',
        'runs',
        'sandbox',
      ]) {
        assert.match(help.stdout, new RegExp(`^  ${command} `, 'm'), command);
      }
      assert.match(help.stdout, /130\s+interrupted/);
      const version = await h.cli(['--version']);
      assert.deepEqual([version.code, version.stdout], [0, `${cliVersion}\n`]);
      assert.match(cliVersion, /^\d+\.\d+\.\d+/);
    });

    it('each command has its own help page, through --help, -h or `help <command>`', async () => {
      const run = await h.cli(['run', '--help']);
      assert.equal(run.code, 0);
      assert.match(run.stdout, /^Usage: desktop-flows run \[<flow>\] \[options\]/);
      for (const option of [
        '--connection <name>',
        '--connection-reference',
        '--inputs <file>',
        '--mode',
        '--priority',
        '--timeout',
        '--wait',
        '--env',
        '--sandbox',
      ]) {
        assert.ok(run.stdout.includes(option), option);
      }
      assert.equal((await h.cli(['schema', '-h'])).stdout, (await h.cli(['help', 'schema'])).stdout);
      const sandbox = await h.cli(['sandbox', '--help']);
      assert.match(sandbox.stdout, /--port <n>/);
      assert.ok(!sandbox.stdout.includes('--client-id'), 'sign-in options do not apply to the sandbox');
    });

    it('exits with 2 and one error line for no command, an unknown command, an unknown option or a missing argument', async () => {
      const cases: [string[], RegExp][] = [
        [[], /Name a command/],
        [['flw'], /Unknown command "flw"\. Did you mean "flows"\?/],
        [['flows', '--bogus'], /Unknown option '--bogus'.*desktop-flows flows --help/],
        [['schema'], /schema needs <flow>/],
        [['envs', 'extra'], /Unexpected argument "extra"/],
        [['status', 'not-a-guid'], /"not-a-guid" is not a run id/],
        [['runs', 'Echo Text', '--top', 'many'], /--top needs a whole number/],
      ];
      for (const [argv, message] of cases) {
        const r = await h.cli(argv);
        assert.equal(r.code, 2, argv.join(' '));
        assert.equal(r.stdout, '');
        assert.deepEqual(r.stderr.trim().split('\n').length, 1, r.stderr);
        assert.match(errorLines(r)[0] ?? '', message);
      }
    });

    it('refuses plain http to a host that is not this machine, and unknown or contradicting clouds (exit 2)', async () => {
      const cases: [string[], RegExp][] = [
        [['envs', '--sandbox', 'http://sandbox.example.com'], /plain http .*loopback addresses only/],
        [
          ['flows', '--env', 'http://contoso.crm.dynamics.com'],
          /plain http, which is allowed for loopback addresses only/,
        ],
        [['envs', '--cloud', 'Mars'], /"Mars" is not a cloud/],
        [['envs', '--cloud', 'GCC'], /--sandbox and --cloud GCC contradict/],
      ];
      for (const [argv, message] of cases) {
        const r = await h.cli(argv);
        assert.equal(r.code, 2, argv.join(' '));
        assert.match(r.stderr, message);
      }
    });
  });

  describe('envs', () => {
    it('lists the environments as a table, and as stable JSON', async () => {
      const text = await h.cli(['envs']);
      assert.equal(text.code, 0, text.stderr);
      assert.match(text.stdout, /^NAME\s+ID\s+ORG URL\s+TYPE\s+DEFAULT$/m);
      assert.match(text.stdout, new RegExp(`^Contoso Dev\\s+${dev}\\s+${h.devOrgUrl}`, 'm'));
      const list = json<Record<string, unknown>[]>(await h.cli(['envs', '--json']));
      assert.deepEqual(
        list.map((e) => e.name),
        ['Contoso (default)', 'Contoso Dev'],
      );
      const contoso = list.find((e) => e.id === dev);
      assert.deepEqual(Object.keys(contoso ?? {}), [
        'id',
        'name',
        'orgUrl',
        'uniqueName',
        'region',
        'type',
        'isDefault',
        'enabled',
      ]);
      assert.equal(contoso?.orgUrl, h.devOrgUrl);
      assert.equal(list.find((e) => e.isDefault === true)?.name, 'Contoso (default)');
    });
  });

  describe('flows and --env', () => {
    it('finds the environment by org URL, id, unique name or display name (any case)', async () => {
      const names = async (env: string): Promise<string[]> => {
        const r = await h.cli(['flows', '--json', '--env', env]);
        assert.equal(r.code, 0, `${env}: ${r.stderr}`);
        return json<{ name: string }[]>(r).map((f) => f.name);
      };
      const byName = await names('contoso dev');
      assert.ok(byName.includes('Echo Text'));
      assert.deepEqual(await names(h.devOrgUrl), byName);
      assert.deepEqual(await names(`${h.devOrgUrl}/api/data/v9.2/`), byName);
      assert.deepEqual(await names(dev.toUpperCase()), byName);
      const listed = json<{ id: string; uniqueName: string }[]>(await h.cli(['envs', '--json']));
      const uniqueName = listed.find((e) => e.id === dev)?.uniqueName ?? '';
      assert.deepEqual(await names(uniqueName.toUpperCase()), byName);
    });

    it('says which environments exist when --env matches none, and asks for one when none is given (exit 2)', async () => {
      const unknown = await h.cli(['flows', '--env', 'Fabrikam']);
      assert.equal(unknown.code, 2);
      assert.match(unknown.stderr, /No environment matches "Fabrikam"\. Run `desktop-flows envs`/);
      const { DESKTOPFLOWS_ENV: _env, ...noEnv } = h.env;
      const none = await h.cli(['flows'], { env: noEnv });
      assert.equal(none.code, 2);
      assert.match(none.stderr, /No environment: pass --env/);
    });

    it('lists published flows by default, drafts with --drafts, and filters by name', async () => {
      const published = json<{ name: string; draft: boolean }[]>(await h.cli(['flows', '--json']));
      assert.ok(published.every((f) => !f.draft));
      assert.ok(!published.some((f) => f.name === 'Onboarding (draft)'));
      assert.ok(
        !published.some((f) => f.name === 'Approval Cloud Flow'),
        'cloud flows are not desktop flows',
      );
      const all = json<{ name: string; draft: boolean }[]>(await h.cli(['flows', '--json', '--drafts']));
      assert.equal(all.find((f) => f.name === 'Onboarding (draft)')?.draft, true);
      const echo = json<Record<string, unknown>[]>(await h.cli(['flows', '--json', '--filter', 'echo']));
      assert.deepEqual(
        echo.map((f) => f.name),
        ['Echo All Types', 'Echo Text'],
      );
      assert.deepEqual(Object.keys(echo[0] ?? {}), [
        'id',
        'name',
        'description',
        'state',
        'draft',
        'owner',
        'createdOn',
        'modifiedOn',
      ]);
      const text = await h.cli(['flows', '--filter', 'echo']);
      assert.match(text.stdout, new RegExp(`^Echo Text\\s+${seedIds.flows.echoText}\\s+activated`, 'm'));
    });

    it('reports a service failure in one line with exit 4 (injected 503 on the flow list)', async () => {
      h.sandbox.faults.add({
        method: 'GET',
        path: '/org/contoso-dev/api/data/v9.2/workflows',
        kind: 'status',
        status: 503,
        retryAfterSeconds: 0,
      });
      const r = await h.cli(['flows']);
      assert.equal(r.code, 4);
      assert.equal(r.stdout, '');
      assert.deepEqual(errorLines(r).length, 1);
      assert.match(r.stderr, /^error: The service had an error \(HTTP 503, 0x80040216/);
      assert.ok(!r.stderr.includes('    at '), 'no stack trace without --verbose');
      const verbose = await h.cli(['flows', '--verbose']);
      assert.equal(verbose.code, 4);
      assert.match(verbose.stderr, /ApiError: .*\n\s+at /, 'a stack trace with --verbose');
    });
  });

  describe('schema', () => {
    it("shows a flow's inputs and outputs by name or id, as text and as JSON", async () => {
      const text = await h.cli(['schema', 'Invoice Processing']);
      assert.equal(text.code, 0, text.stderr);
      assert.match(text.stdout, /^Flow Invoice Processing \(/);
      assert.match(text.stdout, /^ApiKey\s+text\s+yes\s+yes\s+ERP API key$/m);
      assert.match(text.stdout, /^Receipt\s+text\s+yes$/m);
      const byId = json<{
        flow: { name: string };
        inputs: Record<string, unknown>[];
        outputs: { name: string; sensitive: boolean }[];
      }>(await h.cli(['schema', seedIds.flows.invoice, '--json']));
      assert.equal(byId.flow.name, 'Invoice Processing');
      const amount = byId.inputs.find((v) => v.name === 'Amount');
      assert.deepEqual(amount, {
        name: 'Amount',
        type: 'number',
        requirement: 'required',
        sensitive: false,
        hasDefault: true,
        default: 0,
        description: 'Invoice total',
      });
      assert.equal(byId.outputs.find((v) => v.name === 'Receipt')?.sensitive, true);
    });

    it('prints a starter input file and the JSON Schema for other editors', async () => {
      const template = await h.cli(['schema', 'Invoice Processing', '--template']);
      assert.equal(template.code, 0, template.stderr);
      const file = JSON.parse(template.stdout) as Record<string, unknown>;
      assert.equal(file.$schema, `desktopflows-schema:/${dev}/${seedIds.flows.invoice}.json`);
      assert.equal(file.Amount, 0);
      assert.match(String(file.ApiKey), /^<required: .*\$\{secret:NAME\}>$/);
      const schema = json<{ properties: Record<string, unknown>; type: string }>(
        await h.cli(['schema', 'Invoice Processing', '--json-schema']),
      );
      assert.equal(schema.type, 'object');
      assert.ok('InvoiceId' in schema.properties && '$schema' in schema.properties);
    });

    it('names the closest flow when the name matches none, and finds draft-only flows (exit 2 / 0)', async () => {
      const typo = await h.cli(['schema', 'Echo Txt']);
      assert.equal(typo.code, 2);
      assert.match(
        typo.stderr,
        /No desktop flow named "Echo Txt" in "Contoso Dev"\. Did you mean "Echo Text"\?/,
      );
      const missing = await h.cli(['schema', '00000000-0000-4000-8000-000000000001']);
      assert.equal(missing.code, 2);
      assert.match(missing.stderr, /No desktop flow with id 00000000-0000-4000-8000-000000000001/);
      const draft = json<{ flow: { draft: boolean } }>(
        await h.cli(['schema', 'Onboarding (draft)', '--json']),
      );
      assert.equal(draft.flow.draft, true);
    });
  });

  describe('connections and machines', () => {
    it('lists connections and connection references', async () => {
      const r = await h.cli(['connections', '--json']);
      assert.equal(r.code, 0, r.stderr);
      const result = json<{
        connections: Record<string, unknown>[];
        connectionReferences: Record<string, unknown>[];
      }>(r);
      const maker = result.connections.find((c) => c.name === seedNames.connections.makerMachine);
      assert.deepEqual(Object.keys(maker ?? {}), [
        'name',
        'displayName',
        'status',
        'error',
        'kind',
        'username',
        'machineGroupId',
        'createdBy',
      ]);
      assert.equal(maker?.status, 'connected');
      const broken = result.connections.find((c) => c.name === seedNames.connections.broken);
      assert.equal(broken?.status, 'error');
      assert.match(String(broken?.error), /^WindowsIdentityIncorrect/);
      assert.deepEqual(
        result.connectionReferences.find((c) => c.logicalName === 'cr_unbound'),
        {
          logicalName: 'cr_unbound',
          displayName: 'Not configured yet',
          connectionName: null,
          active: true,
        },
      );
      assert.ok(
        !result.connectionReferences.some((c) => c.logicalName === 'cr_outlook'),
        'only desktop-flow references',
      );
      const text = await h.cli(['connections']);
      assert.match(text.stdout, /^Connections\nNAME\s+DISPLAY NAME\s+STATUS/);
      assert.match(text.stdout, /^cr_unbound\s+Not configured yet\s+\(not set\)$/m);
    });

    it('lists machines with their groups, and groups with their machine counts', async () => {
      const r = await h.cli(['machines', '--json']);
      assert.equal(r.code, 0, r.stderr);
      const result = json<{ machines: Record<string, unknown>[]; machineGroups: Record<string, unknown>[] }>(
        r,
      );
      const bot = result.machines.find((m) => m.name === 'FIN-BOT-01');
      assert.equal(bot?.groupName, 'Finance Bots');
      assert.deepEqual(Object.keys(bot ?? {}), [
        'id',
        'name',
        'status',
        'state',
        'groupId',
        'groupName',
        'agentVersion',
        'lastHeartbeatOn',
        'hosting',
      ]);
      const finance = result.machineGroups.find((g) => g.name === 'Finance Bots');
      assert.deepEqual([finance?.machineCount, finance?.implicit], [2, false]);
      assert.equal(result.machineGroups.find((g) => g.name === 'DESKTOP-MAKER01')?.implicit, true);
      const text = await h.cli(['machines']);
      const groups = text.stdout.slice(text.stdout.indexOf('Machine groups'));
      assert.match(groups, /^Finance Bots\s+2\s+active/m);
      assert.ok(!/^DESKTOP-MAKER01/m.test(groups), 'implicit groups are hidden in text');
    });
  });

  describe('sandbox', () => {
    it('starts a sandbox whose first stdout line names its URL, serves it, and stops on abort', async () => {
      const controller = new AbortController();
      let url: string | undefined;
      const running = h.cli(['sandbox', '--port', '0', '--speed', '100', '--no-identity'], {
        signal: controller.signal,
        onStdout: (text) => {
          const first = /^Sandbox listening on (http:\/\/127\.0\.0\.1:\d+)\n/.exec(text);
          if (first !== null && url === undefined) {
            url = first[1];
          }
          // Stop once the banner is complete (its environments), not on its first line: the lines after it
          // are written by the same start-up and are what this test reads.
          if (url !== undefined && /\n {2}contoso-dev /.test(text) && !controller.signal.aborted) {
            controller.abort();
          }
        },
      });
      const r = await running;
      assert.equal(r.code, 0, r.stderr);
      assert.ok(url !== undefined, r.stdout);
      assert.match(
        r.stdout,
        /^Sandbox listening on http:\/\/127\.0\.0\.1:\d+\nIdentity: .* Clock speed: 100\n {2}contoso-dev /,
      );
      assert.match(r.stdout, /Stopping the sandbox\n$/);
      const bad = await h.cli(['sandbox', '--speed', '0']);
      assert.equal(bad.code, 2);
    });

    it('answers while it runs', async () => {
      const controller = new AbortController();
      let described: unknown;
      const r = await h.cli(['sandbox', '--no-identity'], {
        signal: controller.signal,
        onStdout: (text) => {
          const first = /^Sandbox listening on (\S+)\n/.exec(text);
          if (first?.[1] !== undefined && described === undefined) {
            described = 'pending';
            void fetch(`${first[1]}/_sandbox`)
              .then((res) => res.json())
              .then((body) => {
                described = body;
                controller.abort();
              });
          }
        },
      });
      assert.equal(r.code, 0);
      assert.equal((described as { environments: { name: string }[] }).environments[0]?.name, 'contoso-dev');
    });
  });
});
