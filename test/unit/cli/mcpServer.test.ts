import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { agentTools } from '../../../src/core/agent/agentToolCatalog';
import { seedIds, seedNames } from '../../../src/sandbox/seed';
import { startCliHarness, type CliHarness } from './cliHarness';

const root = path.resolve(__dirname, '../../..');
const maker = seedNames.connections.makerMachine;
const secretPassword = 'hunter2-Tr0ub4dor';
const secretToken = 'tok-7d1e0c';

/** One MCP server process (src/cli/main.ts under tsx), driven by the SDK's own client over stdio. */
interface McpSession {
  readonly client: Client;
  readonly transport: StdioClientTransport;
  readonly stderr: () => string;
  /** Everything any tool returned, as text (content and structured data), to look for secrets in. */
  readonly seen: string[];
  call(name: string, args?: Record<string, unknown>): Promise<CallToolResult>;
}

async function startMcp(env: Record<string, string>): Promise<McpSession> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: ['--import', 'tsx', path.join(root, 'src/cli/main.ts'), 'mcp', '--poll-interval', '0.05'],
    cwd: root,
    env: { PATH: process.env.PATH ?? '', ...env },
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
  const client = new Client({ name: 'desktop-flows-tests', version: '1.0.0' });
  await client.connect(transport);
  const seen: string[] = [];
  return {
    client,
    transport,
    stderr: () => stderr,
    seen,
    async call(name, args = {}) {
      const result = (await client.callTool({ name, arguments: args }, undefined, {
        timeout: 15_000,
      })) as CallToolResult;
      seen.push(JSON.stringify(result));
      return result;
    },
  };
}

function text(result: CallToolResult): string {
  return result.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');
}

function data<T = Record<string, unknown>>(result: CallToolResult): T {
  assert.ok(result.structuredContent, `no structured content in ${text(result)}`);
  return result.structuredContent as T;
}

function ok(result: CallToolResult): CallToolResult {
  assert.notEqual(result.isError, true, text(result));
  return result;
}

describe('desktop-flows mcp: the MCP server over stdio (SDK client, sandbox)', function () {
  this.timeout(60_000);
  let h: CliHarness;
  let mcp: McpSession;
  let dir: string;

  before(async () => {
    h = await startCliHarness();
    dir = await mkdtemp(path.join(tmpdir(), 'desktop-flows-mcp-'));
    mcp = await startMcp({ ...h.env, DESKTOPFLOWS_SECRET_PORTAL_PASSWORD: secretPassword });
  });

  after(async () => {
    await mcp?.client.close();
    await h?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  beforeEach(() => h.reset());

  it('lists every tool with its input schema and the documented argument names', async () => {
    const { tools } = await mcp.client.listTools();
    assert.deepEqual(
      tools.map((t) => t.name),
      [
        'list_environments',
        'list_desktop_flows',
        'get_flow_schema',
        'validate_inputs',
        'run_desktop_flow',
        'get_run',
        'cancel_run',
        'list_runs',
      ],
    );
    const run = tools.find((t) => t.name === 'run_desktop_flow');
    assert.deepEqual(Object.keys(run?.inputSchema.properties ?? {}).sort(), [
      'connection',
      'connectionReference',
      'environment',
      'flow',
      'inputFile',
      'inputs',
      'mode',
      'priority',
      'timeoutSeconds',
      'wait',
    ]);
    for (const t of tools) {
      assert.ok(t.description && t.description.length > 40, `${t.name} has a model-facing description`);
      assert.ok('environment' in (t.inputSchema.properties ?? {}) || t.name === 'list_environments');
    }
    assert.equal(tools.length, agentTools.length);
  });

  it('lists environments and flows, and reads a flow schema', async () => {
    const envs = data<{ environments: { name: string; isDefault: boolean }[] }>(
      ok(await mcp.call('list_environments')),
    );
    assert.ok(envs.environments.some((e) => e.name === 'Contoso Dev' && e.isDefault));

    const flows = ok(await mcp.call('list_desktop_flows', { filter: 'invoice' }));
    assert.match(text(flows), /Invoice Processing/);
    assert.deepEqual(
      data<{ flows: { name: string }[] }>(flows).flows.map((f) => f.name),
      ['Invoice Processing'],
    );

    const schema = ok(await mcp.call('get_flow_schema', { flow: 'Invoice Processing' }));
    const inputs = data<{ inputs: { name: string; type: string; sensitive: boolean }[] }>(schema).inputs;
    assert.deepEqual(
      inputs.find((i) => i.name === 'Amount'),
      {
        name: 'Amount',
        type: 'number',
        required: true,
        sensitive: false,
        default: 0,
        description: 'Invoice total',
      },
    );
    assert.equal(inputs.find((i) => i.name === 'ApiKey')?.sensitive, true);
  });

  it("validates inputs with the editor's problems (line:column, path, fix) and sends nothing", async () => {
    const file = path.join(dir, 'invoice.json');
    await writeFile(
      file,
      `{\n  "$schema": "desktopflows-schema:/${seedIds.flows.invoice}.json",\n  "InvoiceId": "INV-1",\n  "Amount": "twelve"\n}\n`,
    );
    const r = ok(await mcp.call('validate_inputs', { inputFile: file }));
    const result = data<{
      valid: boolean;
      problems: { code: string; input: string; line: number; column: number }[];
    }>(r);
    assert.equal(result.valid, false);
    const amount = result.problems.find((p) => p.input === 'Amount' && p.code === 'type');
    assert.deepEqual([amount?.line, amount?.column], [4, 13]);
    assert.match(text(r), /invoice\.json:4:13: error: .*Amount/);

    const good = ok(
      await mcp.call('validate_inputs', { flow: 'Echo Text', inputs: { inputText: 'hi', inputInteger: 3 } }),
    );
    assert.equal(data<{ valid: boolean }>(good).valid, true, text(good));
    assert.deepEqual(h.runRequests, []);
  });

  it('refuses a run with an invalid input: the problems come back as a tool error and nothing is sent', async () => {
    const r = await mcp.call('run_desktop_flow', {
      flow: 'Invoice Processing',
      inputs: { InvoiceId: 'INV-1', Amount: 'lots' },
      connection: maker,
      mode: 'attended',
    });
    assert.equal(r.isError, true);
    assert.match(text(r), /Amount/);
    assert.match(text(r), /nothing was sent/);
    assert.equal(data<{ sent: boolean }>(r).sent, false);
    assert.deepEqual(h.runRequests, [], 'the sandbox received no RunDesktopFlow');

    const noMode = await mcp.call('run_desktop_flow', { flow: 'Quick Ping', connection: maker });
    assert.equal(noMode.isError, true);
    assert.match(text(noMode), /`mode` is required/);
    const badArg = await mcp.call('run_desktop_flow', {
      flow: 'Quick Ping',
      conection: maker,
      mode: 'attended',
    });
    assert.equal(badArg.isError, true);
    assert.match(text(badArg), /`conection` is not an argument/);
    const noConnection = await mcp.call('run_desktop_flow', {
      flow: 'Quick Ping',
      connection: 'shared-uiflow-does-not-exist',
      mode: 'attended',
    });
    assert.equal(noConnection.isError, true);
    assert.match(text(noConnection), /nothing was sent/);
    assert.deepEqual(h.runRequests, []);
    assert.doesNotMatch(text(badArg), /\bat \S+:\d+:\d+\)?$/m, 'no stack trace');
  });

  it('runs a flow with wait: outcome and outputs, sensitive values masked; get_run and list_runs agree', async () => {
    const r = ok(
      await mcp.call('run_desktop_flow', {
        flow: 'Sensitive Credentials',
        inputs: { Username: 'maker', Password: '${secret:PORTAL_PASSWORD}' },
        connection: maker,
        mode: 'attended',
        wait: true,
      }),
    );
    const run = data<{ runId: string; status: string; outputs: Record<string, unknown> }>(r);
    assert.equal(run.status, 'succeeded', text(r));
    assert.deepEqual(run.outputs, { SessionToken: '********', LoggedIn: true });
    assert.equal(h.runRequests.length, 1, 'exactly one RunDesktopFlow');
    assert.ok(
      h.dev.runs.has(run.runId) || [...h.dev.runs.values()].some((x) => x.row.flowsessionid === run.runId),
    );

    const got = ok(await mcp.call('get_run', { runId: run.runId }));
    const state = data<{
      status: string;
      machine: { name: string };
      inputs: Record<string, unknown>;
      outputs: Record<string, unknown>;
    }>(got);
    assert.equal(state.status, 'succeeded');
    assert.equal(state.machine.name, 'DESKTOP-MAKER01');
    assert.equal(state.inputs.Password, '********');
    assert.equal(state.outputs.SessionToken, '********');

    const runs = ok(await mcp.call('list_runs', { flow: 'Sensitive Credentials', top: 5 }));
    assert.ok(data<{ runs: { runId: string }[] }>(runs).runs.some((x) => x.runId === run.runId));

    for (const result of mcp.seen) {
      assert.ok(!result.includes(secretPassword), 'the secret input never appears in a result');
      assert.ok(!result.includes(secretToken), 'the sensitive output never appears in a result');
    }
  });

  it('starts without waiting, then cancels the run', async () => {
    const started = ok(
      await mcp.call('run_desktop_flow', {
        flow: 'Long Running Report',
        connection: maker,
        mode: 'attended',
      }),
    );
    const { runId } = data<{ runId: string }>(started);
    assert.match(text(started), new RegExp(`run ${runId}`));
    const cancelled = ok(await mcp.call('cancel_run', { runId }));
    assert.equal(data<{ cancelRequested: boolean }>(cancelled).cancelRequested, true);
    const unknown = await mcp.call('get_run', { runId: 'not-a-run' });
    assert.equal(unknown.isError, true);
    assert.match(text(unknown), /not a run id/);
  });

  it('keeps stdout for the protocol, logs on stderr, and exits cleanly when stdin closes', async () => {
    const session = await startMcp(h.env);
    ok(await session.call('list_environments'));
    // The SDK ends stdin and waits up to 2 s before it would send SIGTERM.
    const child = (session.transport as unknown as { _process?: ChildProcess })._process;
    assert.ok(child, 'the transport spawned a process');
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    await session.transport.close();
    assert.deepEqual(await exited, { code: 0, signal: null });
    assert.match(session.stderr(), /serving 8 tools on stdio/);
    assert.match(session.stderr(), /stdin closed; server stopped/);
  });

  it('signs in with a device code whose prompt comes back as a tool result, not on stdout', async () => {
    // No token and no service principal: the sandbox's device code (it approves it by itself).
    const session = await startMcp({
      DESKTOPFLOWS_SANDBOX_URL: h.sandbox.url,
      DESKTOPFLOWS_ENV: 'Contoso Dev',
    });
    try {
      const first = await session.call('list_environments');
      assert.equal(first.isError, true);
      assert.match(text(first), /^Sign-in needed\. .*devicelogin.*code .*call the tool again/is);
      assert.equal(data<{ signInRequired: boolean }>(first).signInRequired, true);
      const envs = await waitForSignIn(session);
      assert.match(text(envs), /Contoso Dev/);
    } finally {
      await session.client.close();
    }
  });
});

/** Calls list_environments until the device-code sign-in has completed (bounded). */
async function waitForSignIn(session: McpSession): Promise<CallToolResult> {
  for (let i = 0; i < 100; i++) {
    const r = await session.call('list_environments');
    if (r.isError !== true) {
      return r;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the device-code sign-in did not complete; stderr:\n${session.stderr()}`);
}
