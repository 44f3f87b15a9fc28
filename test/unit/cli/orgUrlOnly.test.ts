/**
 * An org URL is used directly, never through discovery: every command that works in one environment
 * succeeds with a network that reaches only the org, and a `DESKTOPFLOWS_TOKEN` issued for the org.
 *
 * The "org" is a loopback gateway that answers only `/org/contoso-dev/…` (by forwarding to the sandbox)
 * and drops the connection for any other path. Every other host (Global Discovery, BAP, Power Apps on
 * the Public cloud) is reachable only through HTTPS_PROXY, a loopback proxy that records and drops.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import * as http from 'node:http';
import type * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import { seedFlowNames, seedNames } from '../../../src/sandbox/seed';
import { startCliHarness, json, type CliHarness, type CliResult } from './cliHarness';

interface Recorder {
  readonly url: string;
  readonly seen: string[];
  close(): Promise<void>;
}

async function listen(server: http.Server, sockets: Set<net.Socket>): Promise<string> {
  server.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function closeServer(server: http.Server, sockets: Set<net.Socket>): Promise<void> {
  sockets.forEach((s) => s.destroy());
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** HTTPS_PROXY: records every target (CONNECT or absolute URI) and drops the connection. */
async function startRefusingProxy(): Promise<Recorder> {
  const seen: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = http.createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    res.destroy();
  });
  server.on('connect', (req: http.IncomingMessage, client: net.Socket) => {
    seen.push(`CONNECT ${req.url}`);
    client.destroy();
  });
  const url = await listen(server, sockets);
  return { url, seen, close: () => closeServer(server, sockets) };
}

/**
 * The org: forwards `/org/contoso-dev/…` carrying `orgToken` to the sandbox (with a token the sandbox
 * accepts, and its origin rewritten to ours in bodies); drops everything else. Records every request.
 */
async function startOrgGateway(
  h: CliHarness,
  orgToken: (origin: string) => string,
  sandboxToken: string,
): Promise<Recorder & { origin: string }> {
  const seen: string[] = [];
  const sockets = new Set<net.Socket>();
  const sandbox = new URL(h.sandbox.url);
  let origin = '';
  const server = http.createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    const path = req.url ?? '/';
    if (!path.startsWith('/org/contoso-dev/') || req.headers.authorization !== `Bearer ${orgToken(origin)}`) {
      res.destroy(); // a network error, as from a host the network does not reach
      return;
    }
    const headers = { ...req.headers, host: sandbox.host, authorization: `Bearer ${sandboxToken}` };
    const upstream = http.request(
      { host: sandbox.hostname, port: sandbox.port, path, method: req.method, headers },
      (up) => {
        const chunks: Buffer[] = [];
        up.on('data', (c: Buffer) => chunks.push(c));
        up.on('end', () => {
          const body = Buffer.from(Buffer.concat(chunks).toString('utf8').split(h.sandbox.url).join(origin));
          const out = { ...up.headers };
          delete out['content-length'];
          delete out['transfer-encoding'];
          res.writeHead(up.statusCode ?? 502, out);
          res.end(body);
        });
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  origin = await listen(server, sockets);
  return { url: origin, origin, seen, close: () => closeServer(server, sockets) };
}

/** An unsigned JWT whose `aud` is the org: enough for the CLI to know whom the token is for. */
function jwtFor(audience: string): string {
  const part = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'none', typ: 'JWT' })}.${part({ aud: audience, exp: 4102444800 })}.c2lnbmF0dXJl`;
}

describe('desktop-flows CLI: an org URL is used directly, with a network that reaches only the org', function () {
  this.timeout(60_000);
  let h: CliHarness;
  let proxy: Recorder;
  let org: Recorder & { origin: string };
  let orgUrl: string;
  let env: Record<string, string>;

  before(async () => {
    h = await startCliHarness({ identity: false });
    h.sandbox.settings.cancelFinishedRun = 'noContent';
    proxy = await startRefusingProxy();
    const sandboxToken = h.sandbox.token(h.devOrgUrl);
    org = await startOrgGateway(h, (origin) => jwtFor(`${origin}/org/contoso-dev`), sandboxToken);
    orgUrl = `${org.origin}/org/contoso-dev`;
    env = {
      // No --sandbox: the Public cloud, whose discovery, BAP and Power Apps hosts only the proxy reaches.
      DESKTOPFLOWS_TOKEN: jwtFor(orgUrl),
      HTTPS_PROXY: proxy.url,
      HTTP_PROXY: proxy.url,
      NO_PROXY: '127.0.0.1,localhost',
    };
  });
  after(async () => {
    await org?.close();
    await proxy?.close();
    await h?.stop();
  });

  afterEach(function () {
    assert.deepEqual(proxy.seen, [], 'no request left for another host');
    const refused = org.seen.filter((r) => !/^\w+ \/org\/contoso-dev\//.test(r));
    assert.deepEqual(refused, [], 'only the org paths were asked for');
  });

  async function cli(argv: string[], extra: Record<string, string> = {}): Promise<CliResult> {
    const r = await h.cli(argv, { env: { ...env, ...extra } });
    assert.ok(
      !r.stdout.includes(env.DESKTOPFLOWS_TOKEN ?? '-') && !r.stderr.includes(env.DESKTOPFLOWS_TOKEN ?? '-'),
    );
    return r;
  }

  it('flows, schema and machines, with the display name the org gives itself', async () => {
    const flows = await cli(['flows', '--env', orgUrl, '--json']);
    assert.equal(flows.code, 0, flows.stderr);
    assert.ok(json<{ name: string }[]>(flows).some((f) => f.name === seedFlowNames.echoText));
    const schema = await cli(['schema', seedFlowNames.echoText, '--env', orgUrl, '--json']);
    assert.equal(schema.code, 0, schema.stderr);
    const machines = await cli(['machines', '--json'], { DESKTOPFLOWS_ENV: orgUrl });
    assert.equal(machines.code, 0, machines.stderr);
    const empty = await cli(['flows', '--filter', 'no such flow name', '--env', orgUrl]);
    assert.equal(empty.code, 0, empty.stderr);
    assert.match(`${empty.stdout}${empty.stderr}`, /in Contoso Dev\./);
  });

  it('run --wait, status, outputs and runs', async () => {
    const run = await cli([
      'run',
      seedFlowNames.echoText,
      '--env',
      orgUrl,
      '--connection-reference',
      seedNames.connectionReferences.makerMachine,
      '--mode',
      'unattended',
      '--wait',
      '--poll-interval',
      '0.05',
      '--json',
    ]);
    assert.equal(run.code, 0, run.stderr);
    const result = json<{ runId: string; environment: { name: string } }>(run);
    assert.equal(result.environment.name, 'Contoso Dev');
    const status = await cli(['status', result.runId, '--env', orgUrl, '--json']);
    assert.equal(status.code, 0, status.stderr);
    const outputs = await cli(['outputs', result.runId, '--env', orgUrl, '--json']);
    assert.equal(outputs.code, 0, outputs.stderr);
    const runs = await cli(['runs', seedFlowNames.echoText, '--env', orgUrl, '--json']);
    assert.equal(runs.code, 0, runs.stderr);
    assert.ok(json<{ runId?: string; id?: string }[]>(runs).length > 0);
  });

  it('run with a connection name: the Power Apps check is skipped, not sent with the org token', async () => {
    const r = await cli([
      'run',
      seedFlowNames.echoText,
      '--env',
      orgUrl,
      '--connection',
      seedNames.connections.makerMachine,
      '--mode',
      'attended',
      '--json',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /Could not check that connection/);
  });

  it('cancel a running run', async () => {
    const started = await cli([
      'run',
      seedFlowNames.longReport,
      '--env',
      orgUrl,
      '--connection-reference',
      seedNames.connectionReferences.makerMachine,
      '--mode',
      'unattended',
      '--json',
    ]);
    assert.equal(started.code, 0, started.stderr);
    const { runId } = json<{ runId: string }>(started);
    const cancel = await cli(['cancel', runId, '--env', orgUrl, '--wait', '--poll-interval', '0.05']);
    assert.equal(cancel.code, 0, cancel.stderr);
  });

  it('connections lists the references and says why connections are missing', async () => {
    const r = await cli(['connections', '--env', orgUrl, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const body = json<{ connectionReferences: { logicalName: string }[]; connectionsUnavailable?: string }>(
      r,
    );
    assert.ok(
      body.connectionReferences.some((c) => c.logicalName === seedNames.connectionReferences.makerMachine),
    );
    assert.match(body.connectionsUnavailable ?? '', /no token for the Power Apps service/);
    assert.match(r.stderr, /Connections of Contoso Dev are not listed: no token for the Power Apps service/);
  });
});
