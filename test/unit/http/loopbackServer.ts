/**
 * Tiny HTTP servers on 127.0.0.1 for the HTTP client's mechanics tests: a scripted origin that records
 * what it receives, and a forward proxy (CONNECT tunnels and absolute-URI forwarding) that counts requests.
 */
import { once } from 'node:events';
import * as http from 'node:http';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';

/** What the origin saw for one request. */
export interface SeenRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
  readonly socketId: number;
  readonly at: number;
}

/** Decides the response for one request; may end the socket instead of answering. */
export type Handler = (req: SeenRequest, res: http.ServerResponse, index: number) => unknown;

/** A running origin server. */
export interface LoopbackServer {
  readonly url: string;
  readonly port: number;
  readonly requests: SeenRequest[];
  /** TCP connections accepted so far. */
  connections(): number;
  setHandler(handler: Handler): void;
  close(): Promise<void>;
}

/** Send a JSON body. */
export function sendJson(
  res: http.ServerResponse,
  status: number,
  body: unknown,
  headers: http.OutgoingHttpHeaders = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; odata.metadata=minimal',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/** Start an origin on 127.0.0.1 with a random port. */
export async function startLoopbackServer(
  handler: Handler = (_r, res) => sendJson(res, 200, {}),
): Promise<LoopbackServer> {
  let current = handler;
  const requests: SeenRequest[] = [];
  const sockets = new Set<net.Socket>();
  let socketCount = 0;
  const ids = new WeakMap<net.Socket, number>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const seen: SeenRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        socketId: ids.get(req.socket) ?? -1,
        at: Date.now(),
      };
      requests.push(seen);
      Promise.resolve(current(seen, res, requests.length - 1) as Promise<unknown>).catch((e: unknown) => {
        res.destroy(e instanceof Error ? e : new Error(String(e)));
      });
    });
  });
  server.keepAliveTimeout = 30_000;
  server.on('connection', (socket: net.Socket) => {
    socketCount++;
    ids.set(socket, socketCount);
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    connections: () => socketCount,
    setHandler: (h) => {
      current = h;
    },
    close: async () => {
      for (const s of sockets) {
        s.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A forward proxy on 127.0.0.1 that counts what passes through it. */
export interface CountingProxy {
  readonly url: string;
  /** `host:port` targets of CONNECT tunnels. */
  readonly tunnels: string[];
  /** Absolute URIs of forwarded plain requests. */
  readonly forwarded: string[];
  /** Proxy-Authorization headers seen (tunnels and forwards). */
  readonly authorizations: (string | undefined)[];
  close(): Promise<void>;
}

/** Start a forward proxy: CONNECT tunnels for https (and tunnelled http), absolute-URI forwarding for http. */
export async function startCountingProxy(): Promise<CountingProxy> {
  const tunnels: string[] = [];
  const forwarded: string[] = [];
  const authorizations: (string | undefined)[] = [];
  const sockets = new Set<net.Socket>();
  const server = http.createServer((req, res) => {
    forwarded.push(req.url ?? '');
    authorizations.push(req.headers['proxy-authorization']);
    const target = new URL(req.url ?? '');
    const headers = { ...req.headers };
    delete headers['proxy-authorization'];
    delete headers['proxy-connection'];
    const upstream = http.request(
      {
        host: target.hostname,
        port: target.port,
        path: `${target.pathname}${target.search}`,
        method: req.method,
        headers,
      },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  server.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    tunnels.push(req.url ?? '');
    authorizations.push(req.headers['proxy-authorization']);
    const [host, port] = (req.url ?? '').split(':');
    const upstream = net.connect(Number(port), host ?? '127.0.0.1', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  server.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    tunnels,
    forwarded,
    authorizations,
    close: async () => {
      for (const s of sockets) {
        s.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A port on 127.0.0.1 with nothing listening (bound, then released). */
export async function unusedPort(): Promise<number> {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A logger that records lines, for asserting what is (and is not) logged. */
export class RecordingLogger {
  readonly lines: { level: string; message: string }[] = [];
  trace = (m: string): void => void this.lines.push({ level: 'trace', message: m });
  debug = (m: string): void => void this.lines.push({ level: 'debug', message: m });
  info = (m: string): void => void this.lines.push({ level: 'info', message: m });
  warn = (m: string): void => void this.lines.push({ level: 'warn', message: m });
  error = (m: string | Error): void => void this.lines.push({ level: 'error', message: String(m) });
}

/** A token provider handing out numbered tokens per audience, recording invalidations. */
export class CountingTokens {
  private counter = 0;
  readonly issued: { resource: string; token: string }[] = [];
  readonly invalidated: { resource: string; token: string }[] = [];
  private readonly current = new Map<string, string>();

  getToken(resource: string, _signal: AbortSignal): Promise<string> {
    let token = this.current.get(resource);
    if (token === undefined) {
      this.counter++;
      token = `tok-${this.counter}-${resource.replace(/\W/g, '')}`;
      this.current.set(resource, token);
      this.issued.push({ resource, token });
    }
    return Promise.resolve(token);
  }

  invalidate(resource: string, token: string): void {
    this.invalidated.push({ resource, token });
    if (this.current.get(resource) === token) {
      this.current.delete(resource);
    }
  }
}
