/**
 * The conformance tier: the built CLI (dist/cli.js, as users run it) as a subprocess against a fake
 * written only from Microsoft's printed examples (./docsFake.ts), with a DESKTOPFLOWS_TOKEN and the
 * fake's org URL, nothing else. `npm run test:conformance` builds and runs it; `npm test` includes it.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { docFlows, docRunId, startDocsFake, type DocsFake } from './docsFake';

const repoRoot = path.resolve(__dirname, '..', '..');
const cliJs = path.join(repoRoot, 'dist', 'cli.js');

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

describe('conformance: the CLI against a fake built from Microsoft’s printed examples', function () {
  this.timeout(60_000);
  let fake: DocsFake;
  let dir: string;
  /** Children still running (a timed-out test's), stopped after each test. */
  const children = new Set<ChildProcess>();

  before(async () => {
    assert.ok(
      existsSync(cliJs),
      `${cliJs} is missing: run \`node esbuild.mjs\` (npm run test:conformance does)`,
    );
    fake = await startDocsFake();
    dir = mkdtempSync(path.join(tmpdir(), 'conformance-'));
  });
  after(async () => {
    await fake?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => fake.reset());
  afterEach(function () {
    for (const child of children) {
      child.kill('SIGKILL');
    }
    if (process.env.CONFORMANCE_DEBUG)
      console.log(
        fake.requests.map((q) => `${q.method} ${q.path}?${q.query.toString()} -> ${q.body}`).join('\n'),
      );
    if (this.currentTest?.state === 'passed') {
      // RetrieveCurrentOrganization is documented, but no response is printed: the fake answers it with
      // the documented 404, and the CLI must then name the org by its host.
      const unknown = fake.unknown.filter(
        (u) => !u.startsWith('GET /api/data/v9.2/RetrieveCurrentOrganization('),
      );
      assert.deepEqual(unknown, [], 'every request the CLI sent is one the docs print');
    }
  });

  /** Runs `desktop-flows <args> --env <fake org URL>` with only a token in its environment. */
  function cli(args: string[]): Promise<Result> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [cliJs, ...args, '--env', fake.url], {
        cwd: dir,
        env: { PATH: process.env.PATH ?? '', HOME: dir, DESKTOPFLOWS_TOKEN: fake.token },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      children.add(child);
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
      child.on('error', reject);
      child.on('close', (code) => {
        children.delete(child);
        assert.ok(!`${stdout}${stderr}`.includes(fake.token), 'the token is never printed');
        resolve({ code, stdout, stderr });
      });
    });
  }

  function json<T>(r: Result): T {
    try {
      return JSON.parse(r.stdout) as T;
    } catch {
      throw new Error(`stdout is not JSON (exit ${r.code}):\n${r.stdout}\nstderr:\n${r.stderr}`);
    }
  }

  function file(name: string, content: unknown): string {
    const p = path.join(dir, name);
    writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
    return p;
  }

  it('flows --json lists the two printed flows by name and lower-case id', async () => {
    const r = await cli(['flows', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const flows = json<{ id: string; name: string }[]>(r);
    assert.deepEqual(
      flows.map((f) => [f.name, f.id]),
      [
        [docFlows.one.name, docFlows.one.workflowid],
        [docFlows.two.name, docFlows.two.workflowid],
      ],
    );
    const list = fake.requests.find((q) => q.path.endsWith('/workflows'));
    assert.match(list?.query.get('$filter') ?? '', /category eq 6/);
    assert.match(String(list?.headers.accept), /application\/json/);
  });

  it('schema --json reads the printed inputs schema ($value text)', async () => {
    const r = await cli(['schema', docFlows.one.name, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const text = r.stdout;
    assert.match(text, /inputText/);
    assert.match(text, /inputInteger/);
  });

  it('run --wait sends the documented body (inputs as a JSON string) and retries one 429', async () => {
    fake.nextRun({ statuses: [3, 2, 4] }, { throttleFirst: true });
    const inputs = file('inputs.json', { inputText: 'Value', inputInteger: 0 });
    const r = await cli([
      'run',
      docFlows.one.workflowid,
      '--connection',
      'shared-uiflow-5a3b1c2d-0000-4000-8000-000000000001',
      '--mode',
      'attended',
      '--priority',
      'normal',
      '--timeout',
      '7200',
      '--inputs',
      inputs,
      '--wait',
      '--poll-interval',
      '0.05',
      '--json',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const sent = fake.runRequests();
    assert.equal(sent.length, 2, 'one 429, then the same request again');
    assert.equal(sent[0]?.body, sent[1]?.body);
    // The article's "Request to trigger a desktop flow", with our values.
    assert.deepEqual(JSON.parse(sent[1]?.body ?? '{}'), {
      runMode: 'attended',
      runPriority: 'normal',
      connectionName: 'shared-uiflow-5a3b1c2d-0000-4000-8000-000000000001',
      timeout: 7200,
      inputs: '{"inputText":"Value","inputInteger":0}',
    });
    const out = json<{ runId: string; status: string; outputs?: Record<string, unknown> }>(r);
    assert.equal(out.runId, docRunId);
    assert.match(JSON.stringify(out), /My output value/);
  });

  it('a run by name with a connection reference sends connectionType 2', async () => {
    const r = await cli([
      'run',
      docFlows.two.name,
      '--connection-reference',
      'new_sharedpowerautomatedesktop_1a2b3',
      '--mode',
      'unattended',
      '--json',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const body = JSON.parse(fake.runRequests()[0]?.body ?? '{}') as Record<string, unknown>;
    assert.equal(body.connectionType, 2);
    assert.equal(body.connectionName, 'new_sharedpowerautomatedesktop_1a2b3');
    assert.equal(body.runMode, 'unattended');
    assert.ok(fake.runRequests()[0]?.path.includes(docFlows.two.workflowid));
  });

  it('an input file naming the flow in $schema: the $schema is not sent', async () => {
    const inputs = file('with-schema.json', {
      $schema: `desktopflows-schema:/${docFlows.one.workflowid}.json`,
      inputText: 'from a file',
      inputInteger: 42,
    });
    const r = await cli([
      'run',
      '--inputs',
      inputs,
      '--connection',
      'shared-uiflow-5a3b1c2d-0000-4000-8000-000000000001',
      '--mode',
      'attended',
      '--json',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const body = JSON.parse(fake.runRequests()[0]?.body ?? '{}') as { inputs: string };
    assert.deepEqual(JSON.parse(body.inputs), { inputText: 'from a file', inputInteger: 42 });
    assert.ok(!body.inputs.includes('$schema'));
  });

  it('an invalid input file: exit 2 and no run request', async () => {
    const inputs = file('bad.json', { inputText: 'ok', inputInteger: 'not a number', inputTypo: 1 });
    const r = await cli([
      'run',
      docFlows.one.workflowid,
      '--inputs',
      inputs,
      '--connection',
      'shared-uiflow-5a3b1c2d-0000-4000-8000-000000000001',
      '--mode',
      'attended',
    ]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /inputInteger/);
    assert.equal(fake.runRequests().length, 0, 'nothing is sent');
  });

  it('a failed run: exit 1 with the error code shown', async () => {
    fake.nextRun({
      statuses: [2, 8],
      errorcode: 'NoUnlockedActiveSessionForAttended',
      errormessage: 'There is no active session for the user.',
    });
    const r = await cli([
      'run',
      docFlows.one.workflowid,
      '--connection',
      'shared-uiflow-5a3b1c2d-0000-4000-8000-000000000001',
      '--mode',
      'attended',
      '--wait',
      '--poll-interval',
      '0.05',
    ]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(`${r.stdout}${r.stderr}`, /NoUnlockedActiveSessionForAttended/);
  });

  it('status --json while running, then cancel (204)', async () => {
    const id = 'a1b2c3d4-0000-4e5f-8a9b-0c1d2e3f4a5b';
    fake.addRun(id, { statuses: [2] });
    const status = await cli(['status', id, '--json']);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /running/i);
    const cancel = await cli(['cancel', id, '--wait', '--poll-interval', '0.05']);
    assert.equal(cancel.code, 0, cancel.stderr);
    assert.ok(
      fake.requests.some(
        (q) =>
          q.method === 'POST' &&
          q.path.endsWith(`flowsessions(${id})/Microsoft.Dynamics.CRM.CancelDesktopFlowRun`),
      ),
    );
    const after = await cli(['status', id, '--json']);
    assert.match(after.stdout, /cancel/i);
  });
});
