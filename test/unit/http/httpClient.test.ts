import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { generate } from 'selfsigned';
import { errors as undiciErrors, MockAgent } from 'undici';
import { ApiError, CancellationError } from '../../../src/core/errors';
import { HttpClient, type HttpClientOptions } from '../../../src/core/http/httpClient';
import {
  CountingTokens,
  RecordingLogger,
  sendJson,
  startCountingProxy,
  startLoopbackServer,
  unusedPort,
  type LoopbackServer,
} from './loopbackServer';

const audience = 'https://contoso.crm.dynamics.com';

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  assert.fail('expected the call to fail');
}

async function apiError(p: Promise<unknown>): Promise<ApiError> {
  const e = await rejection(p);
  assert.ok(e instanceof ApiError, `expected ApiError, got ${String(e)}`);
  return e;
}

describe('HttpClient', function () {
  let server: LoopbackServer;
  let tokens: CountingTokens;
  let logger: RecordingLogger;
  const clients: HttpClient[] = [];
  const signal = new AbortController().signal;

  function client(options: HttpClientOptions = {}): HttpClient {
    const c = new HttpClient({
      tokens,
      logger,
      retryBaseDelayMs: 2,
      retryMaxDelayMs: 10,
      proxy: { env: {} },
      ...options,
    });
    clients.push(c);
    return c;
  }

  beforeEach(async () => {
    server = await startLoopbackServer();
    tokens = new CountingTokens();
    logger = new RecordingLogger();
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await server.close();
  });

  describe('requests and responses', () => {
    it('sends JSON with a bearer token for the audience and parses the JSON reply', async () => {
      server.setHandler((req, res) =>
        sendJson(res, 200, { echo: JSON.parse(req.body) as unknown, ok: true }),
      );
      const body = await client().post<{ echo: unknown; ok: boolean }>(
        `${server.url}/things`,
        { a: 1 },
        { audience, signal },
      );
      assert.deepEqual(body, { echo: { a: 1 }, ok: true });
      const seen = server.requests[0];
      assert.equal(seen?.headers.authorization, `Bearer ${tokens.issued[0]?.token}`);
      assert.equal(tokens.issued[0]?.resource, audience);
      assert.match(String(seen?.headers['content-type']), /^application\/json/);
      assert.equal(seen?.headers.accept, 'application/json');
    });

    it('sends no Authorization header for anonymous requests', async () => {
      await client().get(`${server.url}/anon`, { signal });
      assert.equal(server.requests[0]?.headers.authorization, undefined);
      assert.equal(tokens.issued.length, 0);
    });

    it('encodes query parameters, keeping OData $ options readable', async () => {
      await client().get(`${server.url}/workflows`, {
        signal,
        query: { $select: 'name,workflowid', $filter: "category eq 6 and name eq 'A&B'", skip: undefined },
      });
      const url = new URL(server.requests[0]?.url ?? '', server.url);
      assert.equal(url.searchParams.get('$select'), 'name,workflowid');
      assert.equal(url.searchParams.get('$filter'), "category eq 6 and name eq 'A&B'");
      assert.equal(url.searchParams.has('skip'), false);
    });

    it('returns undefined for 204 and raw text when asked', async () => {
      server.setHandler((req, res) => {
        if (req.url === '/empty') {
          res.writeHead(204).end();
        } else {
          res.writeHead(200, { 'content-type': 'text/plain' }).end('{"schema":{}}');
        }
      });
      const c = client();
      assert.equal(await c.post(`${server.url}/empty`, {}, { signal }), undefined);
      assert.equal(
        await c.get<string>(`${server.url}/value`, { signal, responseType: 'text' }),
        '{"schema":{}}',
      );
    });

    it('sends a raw body as given and can hand back error responses instead of raising', async () => {
      server.setHandler((req, res) =>
        sendJson(res, 400, { error: 'invalid_grant', got: req.body, type: req.headers['content-type'] }),
      );
      const response = await client().request<{ error: string; got: string; type: string }>(
        `${server.url}/token`,
        {
          method: 'POST',
          rawBody: 'grant_type=refresh_token&x=1',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          acceptErrorStatus: true,
          signal,
        },
      );
      assert.equal(response.status, 400);
      assert.deepEqual(response.body, {
        error: 'invalid_grant',
        got: 'grant_type=refresh_token&x=1',
        type: 'application/x-www-form-urlencoded',
      });
      assert.equal(server.requests.length, 1);
    });

    it('reuses pooled keep-alive connections instead of connecting per request', async () => {
      const c = client();
      for (let i = 0; i < 10; i++) {
        await c.get(`${server.url}/n${i}`, { signal });
      }
      assert.equal(server.requests.length, 10);
      // undici may open a second socket while the first is still finishing its previous response.
      assert.ok(server.connections() <= 2, `${server.connections()} connections for 10 requests`);
    });

    it('reports a body that is not JSON as a server error', async () => {
      server.setHandler((_req, res) =>
        res.writeHead(200, { 'content-type': 'application/json' }).end('<html>'),
      );
      const e = await apiError(client().get(`${server.url}/x`, { signal }));
      assert.equal(e.reason, 'server');
      assert.equal(e.status, 200);
    });
  });

  describe('error mapping', () => {
    it('maps a Dataverse 403 with its code, message and service request id', async () => {
      server.setHandler((_req, res) =>
        sendJson(
          res,
          403,
          { error: { code: '0x80040220', message: 'Principal user is missing prvReadworkflow privilege' } },
          { 'x-ms-service-request-id': 'svc-123' },
        ),
      );
      const e = await apiError(client().get(`${server.url}/api/data/v9.2/workflows`, { audience, signal }));
      assert.equal(e.reason, 'forbidden');
      assert.equal(e.status, 403);
      assert.equal(e.code, '0x80040220');
      assert.equal(e.message, 'Principal user is missing prvReadworkflow privilege');
      assert.equal(e.requestId, 'svc-123');
      assert.equal(e.method, 'GET');
      assert.ok(ApiError.is(e, 'forbidden'));
    });

    it('maps 404 with REQ_ID, API-hub 400 errors, 409, 500 and empty bodies', async () => {
      const cases: [
        number,
        unknown,
        Record<string, string>,
        string,
        string | undefined,
        string | undefined,
      ][] = [
        [
          404,
          { error: { code: '0x80040217', message: 'workflow With Id = x Does Not Exist' } },
          { REQ_ID: 'req-9' },
          'notFound',
          '0x80040217',
          'req-9',
        ],
        [
          400,
          { error: { code: 'MissingEnvironmentFilter', message: 'The environment filter must be set' } },
          { 'x-ms-request-id': 'hub-1' },
          'badRequest',
          'MissingEnvironmentFilter',
          'hub-1',
        ],
        [409, { code: 'Conflict', message: 'bare shape' }, {}, 'conflict', 'Conflict', undefined],
        [500, '', {}, 'server', undefined, undefined],
      ];
      const c = client({ maxAttempts: 1 });
      for (const [status, body, headers, reason, code, requestId] of cases) {
        server.setHandler((_req, res) => {
          if (body === '') {
            res.writeHead(status, headers).end();
          } else {
            sendJson(res, status, body, headers);
          }
        });
        const e = await apiError(c.get(`${server.url}/e${status}`, { signal }));
        assert.equal(e.status, status);
        assert.equal(e.reason, reason);
        assert.equal(e.code, code);
        assert.equal(e.requestId, requestId);
        assert.ok(e.message.length > 0);
      }
    });

    it('refuses plain http to a non-loopback host without sending anything', async () => {
      const e = await apiError(
        client().get('http://contoso.crm.dynamics.com/api/data/v9.2/', { audience, signal }),
      );
      assert.equal(e.reason, 'insecure');
      assert.equal(e.mayHaveReachedService, false);
      assert.equal(tokens.issued.length, 0);
    });

    it('allows plain http to loopback hosts (127.0.0.0/8, localhost)', async () => {
      const c = client();
      await c.get(`http://localhost:${server.port}/a`, { signal });
      await c.get(`${server.url}/b`, { signal });
      assert.equal(server.requests.length, 2);
    });
  });

  describe('401 handling', () => {
    it('invalidates the token and retries once with a fresh one, also for POST', async () => {
      server.setHandler((req, res, i) =>
        i === 0
          ? res.writeHead(401, { 'www-authenticate': 'Bearer' }).end()
          : sendJson(res, 200, { ok: req.headers.authorization }),
      );
      const body = await client().post<{ ok: string }>(`${server.url}/run`, {}, { audience, signal });
      assert.equal(server.requests.length, 2);
      assert.equal(tokens.invalidated.length, 1);
      assert.equal(tokens.invalidated[0]?.token, tokens.issued[0]?.token);
      assert.equal(body.ok, `Bearer ${tokens.issued[1]?.token}`);
    });

    it('gives up with unauthorized after the fresh token is rejected too', async () => {
      server.setHandler((_req, res) => res.writeHead(401).end());
      const e = await apiError(client().get(`${server.url}/x`, { audience, signal }));
      assert.equal(e.reason, 'unauthorized');
      assert.equal(server.requests.length, 2);
    });
  });

  describe('retries', () => {
    for (const status of [429, 502, 503, 504]) {
      it(`retries a GET after ${status} and succeeds`, async () => {
        server.setHandler((_req, res, i) =>
          i < 2
            ? sendJson(res, status, { error: { code: 'x', message: 'busy' } })
            : sendJson(res, 200, { n: i }),
        );
        const response = await client().request<{ n: number }>(`${server.url}/r`, { signal });
        assert.equal(response.body.n, 2);
        assert.equal(response.attempts, 3);
        assert.equal(server.requests.length, 3);
        assert.ok(
          logger.lines.some((l) => l.level === 'info' && l.message.includes(`-> ${status}, retrying`)),
        );
      });
    }

    it('stops after maxAttempts and reports the last failure', async () => {
      server.setHandler((_req, res) =>
        sendJson(res, 503, { error: { code: 'Unavailable', message: 'down' } }),
      );
      const e = await apiError(client({ maxAttempts: 3 }).get(`${server.url}/r`, { signal }));
      assert.equal(e.reason, 'server');
      assert.equal(e.status, 503);
      assert.equal(server.requests.length, 3);
    });

    it('honours Retry-After seconds before retrying', async () => {
      server.setHandler((_req, res, i) =>
        i === 0
          ? sendJson(
              res,
              429,
              { error: { code: '0x80072322', message: 'Number of requests exceeded the limit' } },
              { 'retry-after': '1' },
            )
          : sendJson(res, 200, {}),
      );
      await client().get(`${server.url}/r`, { signal });
      const [first, second] = server.requests;
      assert.ok(first && second);
      // The computed backoff is 1-2 ms here, so a gap of about a second can only come from the header.
      assert.ok(second.at - first.at >= 950, `waited only ${second.at - first.at} ms`);
      assert.ok(logger.lines.some((l) => l.message.includes('-> 429, retrying in 1000 ms')));
    });

    it('does not wait out a Retry-After beyond the configured maximum', async () => {
      server.setHandler((_req, res) =>
        sendJson(res, 429, { error: { code: '0x80072322', message: 'slow down' } }, { 'retry-after': '300' }),
      );
      const e = await apiError(client({ maxRetryAfterSeconds: 60 }).get(`${server.url}/r`, { signal }));
      assert.equal(e.reason, 'throttled');
      assert.equal(e.retryAfterSeconds, 300);
      assert.equal(e.code, '0x80072322');
      assert.equal(server.requests.length, 1);
    });

    it('retries a GET whose connection was dropped', async () => {
      server.setHandler((_req, res, i) =>
        i === 0 ? res.socket?.destroy() : sendJson(res, 200, { ok: true }),
      );
      assert.deepEqual(await client().get(`${server.url}/r`, { signal }), { ok: true });
      assert.equal(server.requests.length, 2);
    });

    it('never retries a POST that may have reached the service', async () => {
      server.setHandler((_req, res) => res.socket?.destroy());
      const e = await apiError(client().post(`${server.url}/run`, { x: 1 }, { audience, signal }));
      assert.equal(e.reason, 'network');
      assert.equal(e.mayHaveReachedService, true);
      assert.equal(server.requests.length, 1);
    });

    it('never retries a POST answered with 503 or 429', async () => {
      for (const status of [503, 429]) {
        server.requests.length = 0;
        server.setHandler((_req, res) =>
          sendJson(res, status, { error: { code: 'x', message: 'no' } }, { 'retry-after': '0' }),
        );
        const e = await apiError(client().post(`${server.url}/run`, {}, { signal }));
        assert.equal(e.status, status);
        assert.equal(e.mayHaveReachedService, true);
        assert.equal(server.requests.length, 1);
      }
    });

    it('retries a POST explicitly marked idempotent', async () => {
      server.setHandler((_req, res, i) => (i === 0 ? sendJson(res, 503, {}) : sendJson(res, 200, { ok: 1 })));
      const r = await client().request(`${server.url}/fn`, {
        method: 'POST',
        body: {},
        idempotent: true,
        signal,
      });
      assert.equal(r.attempts, 2);
    });

    it('reports a refused connection as never having reached the service', async () => {
      const port = await unusedPort();
      const e = await apiError(
        client({ maxAttempts: 2 }).post(`http://127.0.0.1:${port}/run`, {}, { signal }),
      );
      assert.equal(e.reason, 'network');
      assert.equal(e.code, 'ECONNREFUSED');
      assert.equal(e.mayHaveReachedService, false);
    });

    it('reports a name that does not resolve (DNS) as never having reached the service', async () => {
      // `.invalid` never resolves (RFC 2606): ENOTFOUND at once, or EAI_AGAIN from a resolver that is offline.
      const e = await apiError(
        client({ maxAttempts: 2, connectTimeoutMs: 5_000 }).post(
          'https://does-not-exist.invalid/run',
          {},
          { signal },
        ),
      );
      assert.equal(e.reason, 'network');
      assert.ok(e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN', `code ${String(e.code)}`);
      assert.equal(e.mayHaveReachedService, false);
      assert.equal(e.status, undefined);
    });

    it('reports a DNS failure of an offline resolver (EAI_AGAIN) as never sent, and retries it (MockAgent fault)', async () => {
      const mock = new MockAgent();
      mock.disableNetConnect();
      const pool = mock.get('https://contoso.crm.dynamics.com');
      const dnsFailure = (): Error =>
        Object.assign(new Error('getaddrinfo EAI_AGAIN contoso.crm.dynamics.com'), { code: 'EAI_AGAIN' });
      pool.intercept({ path: '/run', method: 'POST' }).replyWithError(dnsFailure());
      pool.intercept({ path: '/run', method: 'POST' }).replyWithError(dnsFailure());
      const c = client({ dispatcher: mock, maxAttempts: 2 });
      const e = await apiError(c.post('https://contoso.crm.dynamics.com/run', {}, { signal }));
      assert.equal(e.reason, 'network');
      assert.equal(e.code, 'EAI_AGAIN');
      assert.equal(e.mayHaveReachedService, false);
      mock.assertNoPendingInterceptors();
      await mock.close();
    });

    it('reports a connect timeout as never sent, and retries even a POST (MockAgent fault)', async () => {
      const mock = new MockAgent();
      mock.disableNetConnect();
      const pool = mock.get('https://contoso.crm.dynamics.com');
      pool.intercept({ path: '/run', method: 'POST' }).replyWithError(new undiciErrors.ConnectTimeoutError());
      pool.intercept({ path: '/run', method: 'POST' }).replyWithError(new undiciErrors.ConnectTimeoutError());
      const c = client({ dispatcher: mock, maxAttempts: 2 });
      const e = await apiError(c.post('https://contoso.crm.dynamics.com/run', {}, { signal }));
      assert.equal(e.reason, 'timeout');
      assert.equal(e.mayHaveReachedService, false);
      mock.assertNoPendingInterceptors();
      await mock.close();
    });
  });

  describe('timeouts and cancellation', () => {
    it('raises a timeout when headers do not arrive in time', async () => {
      server.setHandler(() => undefined);
      const e = await apiError(
        client({ headersTimeoutMs: 150, maxAttempts: 1 }).get(`${server.url}/slow`, { signal }),
      );
      assert.equal(e.reason, 'timeout');
      assert.equal(e.code, 'UND_ERR_HEADERS_TIMEOUT');
      assert.equal(e.mayHaveReachedService, true);
    });

    it('aborts a request in flight with CancellationError', async () => {
      const controller = new AbortController();
      server.setHandler(() => controller.abort());
      const e = await rejection(client().get(`${server.url}/hang`, { signal: controller.signal }));
      assert.ok(e instanceof CancellationError);
      assert.equal(server.requests.length, 1);
    });

    it('aborts while waiting to retry', async () => {
      const controller = new AbortController();
      server.setHandler((_req, res) => {
        sendJson(res, 429, {}, { 'retry-after': '30' });
        setTimeout(() => controller.abort(), 20);
      });
      const e = await rejection(client().get(`${server.url}/r`, { signal: controller.signal }));
      assert.ok(CancellationError.is(e));
      assert.equal(server.requests.length, 1);
    });

    it('fails fast when the signal is already aborted', async () => {
      const controller = new AbortController();
      controller.abort();
      assert.ok(
        (await rejection(client().get(`${server.url}/x`, { signal: controller.signal }))) instanceof
          CancellationError,
      );
      assert.equal(server.requests.length, 0);
    });
  });

  describe('paging', () => {
    function pagedHandler(
      total: number,
    ): (req: { url: string; headers: Record<string, unknown> }, res: ServerResponse) => void {
      return (req, res) => {
        const url = new URL(req.url, server.url);
        const size = Number(/odata\.maxpagesize=(\d+)/.exec(String(req.headers.prefer))?.[1] ?? 5000);
        const skip = Number(url.searchParams.get('$skiptoken') ?? 0);
        const value = Array.from({ length: Math.min(size, total - skip) }, (_, i) => ({ id: skip + i }));
        const next =
          skip + size < total
            ? `${server.url}${url.pathname}?$select=id&$skiptoken=${skip + size}`
            : undefined;
        sendJson(
          res,
          200,
          { value, ...(next ? { '@odata.nextLink': next } : {}) },
          { 'preference-applied': `odata.maxpagesize=${size}` },
        );
      };
    }

    it('iterates every page with the same Prefer header and the other preferences kept', async () => {
      server.setHandler(pagedHandler(25));
      const ids: number[] = [];
      let pages = 0;
      for await (const page of client().paged<{ id: number }>(`${server.url}/items`, {
        signal,
        maxPageSize: 10,
        query: { $select: 'id' },
        headers: { Prefer: 'odata.include-annotations="*"' },
      })) {
        pages++;
        ids.push(...page.items.map((i) => i.id));
      }
      assert.equal(pages, 3);
      assert.deepEqual(
        ids,
        Array.from({ length: 25 }, (_, i) => i),
      );
      assert.equal(server.requests.length, 3);
      for (const r of server.requests) {
        assert.equal(r.headers.prefer, 'odata.include-annotations="*",odata.maxpagesize=10');
      }
    });

    it('fetches a page at a time for "Load more"', async () => {
      server.setHandler(pagedHandler(15));
      const c = client();
      const first = await c.getPage<{ id: number }>(`${server.url}/items`, { signal, maxPageSize: 10 });
      assert.equal(first.items.length, 10);
      assert.ok(first.nextLink);
      const second = await c.getPage<{ id: number }>(first.nextLink, { signal, maxPageSize: 10 });
      assert.equal(second.items.length, 5);
      assert.equal(second.nextLink, undefined);
      assert.equal(server.requests[1]?.url, '/items?$select=id&$skiptoken=10');
    });

    it('does not follow a next link to another host', async () => {
      server.setHandler((_req, res) =>
        sendJson(res, 200, { value: [], '@odata.nextLink': 'https://evil.example.com/steal' }),
      );
      const e = await apiError(client().getPage(`${server.url}/items`, { audience, signal }));
      assert.equal(e.reason, 'server');
    });

    it('follows the plain nextLink of BAP and Power Apps collections', async () => {
      server.setHandler((req, res) =>
        req.url.includes('page=2')
          ? sendJson(res, 200, { value: [2] })
          : sendJson(res, 200, { value: [1], nextLink: `${server.url}/envs?page=2` }),
      );
      assert.deepEqual(await client().getAll<number>(`${server.url}/envs`, { signal }), [1, 2]);
    });
  });

  describe('logging', () => {
    it('logs each request at debug with status, time and request id, and never the token', async () => {
      server.setHandler((_req, res) => sendJson(res, 200, {}, { 'x-ms-service-request-id': 'abc-1' }));
      await client().get(`${server.url}/api/data/v9.2/workflows?$select=name`, { audience, signal });
      const line = logger.lines.find((l) => l.level === 'debug' && l.message.startsWith('[http] GET'));
      assert.ok(line);
      assert.match(
        line.message,
        /^\[http\] GET http:\/\/127\.0\.0\.1:\d+\/api\/data\/v9\.2\/workflows\?\$select=name -> 200 \(\d+ ms, req abc-1\)$/,
      );
      const token = tokens.issued[0]?.token ?? '';
      assert.ok(token.length > 0);
      assert.ok(logger.lines.every((l) => !l.message.includes(token)));
    });
  });

  describe('fresh connections', () => {
    it('sends a fresh POST on a new connection, never on a kept-alive socket, and closes it after', async () => {
      const c = client();
      for (let i = 0; i < 3; i++) {
        await c.get(`${server.url}/warm-${i}`, { signal });
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      const pooled = new Set(server.requests.map((r) => r.socketId));
      await c.post(`${server.url}/run-1`, { n: 1 }, { fresh: true, signal });
      await c.post(`${server.url}/run-2`, { n: 2 }, { fresh: true, signal });
      for (let i = 0; i < 3; i++) {
        await c.get(`${server.url}/after-${i}`, { signal });
      }
      const runs = server.requests.filter((r) => r.method === 'POST');
      const after = server.requests.slice(5);
      assert.equal(runs.length, 2);
      for (const run of runs) {
        assert.ok(!pooled.has(run.socketId), 'a fresh POST never rides a kept-alive socket');
        assert.equal(run.headers.connection, 'close');
        assert.ok(
          after.every((r) => r.socketId !== run.socketId),
          'nothing else reuses its socket',
        );
      }
      assert.notEqual(runs[0]?.socketId, runs[1]?.socketId);
      // Everything else still shares the pool.
      assert.ok(after.some((r) => pooled.has(r.socketId)));
    });
  });

  describe('proxies', () => {
    it('tunnels through the configured proxy (VS Code http.proxy) and keeps the tunnel alive', async () => {
      const proxy = await startCountingProxy();
      try {
        // `<-loopback>` (as in Chromium) lets the proxy see loopback traffic, which it never does otherwise.
        const c = client({ proxy: { url: proxy.url, noProxy: '<-loopback>', env: {} } });
        for (let i = 0; i < 6; i++) {
          await c.get(`${server.url}/n${i}`, { signal });
        }
        assert.equal(server.requests.length, 6);
        assert.ok(proxy.tunnels.length >= 1 && proxy.tunnels.length <= 2, `${proxy.tunnels.length} tunnels`);
        assert.ok(proxy.tunnels.every((t) => t === `127.0.0.1:${server.port}`));
      } finally {
        await proxy.close();
      }
    });

    it('takes the proxy from HTTPS_PROXY/HTTP_PROXY and sends proxy credentials from the URL', async () => {
      const proxy = await startCountingProxy();
      try {
        const withAuth = proxy.url.replace('http://', 'http://user:p%40ss@');
        await client({ proxy: { env: { HTTP_PROXY: withAuth, NO_PROXY: '<-loopback>' } } }).get(
          `${server.url}/a`,
          { signal },
        );
        assert.equal(proxy.tunnels.length + proxy.forwarded.length, 1);
        assert.equal(proxy.authorizations[0], `Basic ${Buffer.from('user:p@ss').toString('base64')}`);
        assert.ok(logger.lines.every((l) => !l.message.includes('p%40ss')));
      } finally {
        await proxy.close();
      }
    });

    it('bypasses the proxy for NO_PROXY hosts, including loopback ranges', async () => {
      const proxy = await startCountingProxy();
      try {
        for (const noProxy of [
          '127.0.0.1,<-loopback>',
          'localhost,127.0.0.0/8,<-loopback>',
          `<-loopback> 127.0.0.1:${server.port}`,
        ]) {
          await client({ proxy: { env: { HTTP_PROXY: proxy.url, NO_PROXY: noProxy } } }).get(
            `${server.url}/a`,
            { signal },
          );
        }
        await client({ proxy: { url: proxy.url, noProxy: ['127.0.0.1', '<-loopback>'], env: {} } }).get(
          `${server.url}/b`,
          {
            signal,
          },
        );
        assert.equal(server.requests.length, 4);
        assert.equal(proxy.tunnels.length + proxy.forwarded.length, 0);
        // A NO_PROXY entry for another port does not match.
        await client({ proxy: { env: { HTTP_PROXY: proxy.url, NO_PROXY: '127.0.0.1:1,<-loopback>' } } }).get(
          `${server.url}/c`,
          { signal },
        );
        assert.equal(proxy.tunnels.length + proxy.forwarded.length, 1);
      } finally {
        await proxy.close();
      }
    });

    it('never sends loopback traffic through a proxy, even with HTTP(S)_PROXY set and no NO_PROXY', async () => {
      const proxy = await startCountingProxy();
      try {
        const env = { HTTP_PROXY: proxy.url, HTTPS_PROXY: proxy.url };
        const c = client({ proxy: { env } });
        await c.get(`${server.url}/a`, { audience, signal });
        await c.post(`${server.url}/run`, {}, { audience, fresh: true, signal });
        const localhostUrl = server.url.replace('127.0.0.1', 'localhost');
        await client({ proxy: { url: proxy.url, env } }).get(`${localhostUrl}/b`, { audience, signal });
        assert.equal(server.requests.length, 3);
        // The proxy saw nothing: no tunnel, no forwarded request, no bearer token in cleartext.
        assert.equal(proxy.tunnels.length + proxy.forwarded.length + proxy.authorizations.length, 0);
        assert.ok(server.requests.every((r) => r.headers.authorization?.startsWith('Bearer ')));
        // A name under .localhost is not loopback by fiat: plain http to it is refused before anything is sent.
        const e = await apiError(c.get(`http://sandbox.localhost:${server.port}/c`, { audience, signal }));
        assert.equal(e.reason, 'insecure');
        assert.equal(e.mayHaveReachedService, false);
      } finally {
        await proxy.close();
      }
    });

    it('reports an unreachable proxy as a network error that never reached the service', async () => {
      const port = await unusedPort();
      const e = await apiError(
        client({
          proxy: { url: `http://127.0.0.1:${port}`, noProxy: '<-loopback>', env: {} },
          maxAttempts: 1,
        }).post(`${server.url}/run`, {}, { signal }),
      );
      assert.equal(e.reason, 'network');
      assert.equal(e.mayHaveReachedService, false);
      assert.equal(server.requests.length, 0);
    });
  });

  describe('TLS', () => {
    it('rejects an unknown certificate and trusts it only with the explicit extra CA', async () => {
      const ca = await generate([{ name: 'commonName', value: 'Test CA' }], {
        keyType: 'ec',
        algorithm: 'sha256',
        extensions: [
          { name: 'basicConstraints', cA: true, critical: true },
          { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
        ],
      });
      const leaf = await generate([{ name: 'commonName', value: '127.0.0.1' }], {
        keyType: 'ec',
        algorithm: 'sha256',
        ca: { key: ca.private, cert: ca.cert },
        extensions: [
          { name: 'basicConstraints', cA: false },
          { name: 'extKeyUsage', serverAuth: true },
          { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] },
        ],
      });
      const tlsServer = https.createServer({ key: leaf.private, cert: leaf.cert }, (_req, res) =>
        sendJson(res, 200, { secure: true }),
      );
      tlsServer.listen(0, '127.0.0.1');
      await once(tlsServer, 'listening');
      const url = `https://127.0.0.1:${(tlsServer.address() as AddressInfo).port}/x`;
      try {
        const untrusted = await apiError(client().post(url, {}, { signal }));
        assert.equal(untrusted.reason, 'network');
        assert.equal(untrusted.mayHaveReachedService, false);
        assert.ok(untrusted.code);
        assert.deepEqual(await client({ extraCaPem: ca.cert }).get(url, { signal }), { secure: true });
      } finally {
        tlsServer.closeAllConnections();
        tlsServer.close();
      }
    });
  });
});
