/**
 * `startSandbox`: the local Power Platform every test, benchmark and demo runs against. One HTTP origin
 * on 127.0.0.1 serves discovery (`/discovery`), BAP (`/bap`), Power Apps (`/powerapps`), each
 * environment's Dataverse (`/org/<name>`, and its ApiUrl `/orgapi/<name>`), the maker portal stand-in
 * (`/portal`) and the sandbox's controls (`/_sandbox`); the identity endpoint runs beside it over HTTPS.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../core/logger';
import { silentLogger } from '../core/logger';
import { cappedLogger } from './logLines';
import { handleBap } from './bapRoutes';
import { SandboxClock } from './clock';
import { describe, handleControl } from './controlRoutes';
import type { SandboxInfo } from './controlRoutes';
import { loadSandboxData } from './dataFile';
import { dataverseError, handleDataverse } from './dataverseRoutes';
import { handleDiscovery } from './discoveryRoutes';
import { EnvironmentState } from './environmentState';
import { FaultInjector } from './faults';
import type { Fault } from './faults';
import { jsonReply, ServiceError } from './httpUtil';
import type { Reply, RequestContext } from './httpUtil';
import { startIdentityServer } from './identity/identityServer';
import type { IdentityServer } from './identity/identityServer';
import { handlePowerApps } from './powerAppsRoutes';
import { RateLimiter } from './rateLimits';
import { RunEngine } from './runEngine';
import { defaultSettings, orgUrl, serviceUrls } from './sandboxRuntime';
import type { SandboxRuntime, SandboxSettings } from './sandboxRuntime';
import { defaultSeed } from './seed';
import type { SandboxData } from './seedTypes';
import { TokenIssuer } from './tokens';
import type { IssueRequest } from './tokens';

/** Options of `startSandbox`. Everything is optional. */
export interface SandboxOptions {
  /** Port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number;
  /** Sandbox time runs this many times faster than real time (default 1). */
  speed?: number;
  /** Data to serve instead of the default seed. */
  data?: SandboxData;
  /** JSON file with the data (shape of `SandboxData`); ignored when `data` is given. */
  dataFile?: string;
  /** Access-token lifetime in sandbox seconds (default 3600); short values exercise refresh. */
  tokenLifetimeSeconds?: number;
  /** Behaviour switches (see `SandboxSettings`); changeable later through `sandbox.settings`. */
  settings?: Partial<SandboxSettings>;
  /** Start the HTTPS identity endpoint (default true). Without it `identityUrl` is `<base>/identity`. */
  identity?: boolean;
  /**
   * Device codes are approved by themselves after this many sandbox milliseconds, as if the user had entered
   * the code (default 0: at once, so a sign-in does not wait out a polling interval; `null` waits for an
   * explicit approval through the identity endpoint).
   */
  deviceCodeAutoApproveAfterMs?: number | null;
  /** Sandbox time at start, epoch ms (default: now). */
  clockStart?: number;
  /** Seed of the probabilistic fault source (default 1). */
  faultSeed?: number;
  /** Request and run log (`[sandbox] …` lines). */
  logger?: Logger;
}

/** A running sandbox. */
export interface Sandbox {
  /** Base URL, `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** What `GET /_sandbox` returns now. */
  describe(): SandboxInfo;
  readonly clock: SandboxClock;
  readonly issuer: TokenIssuer;
  readonly faults: FaultInjector;
  /** Live settings; assign to change behaviour. */
  readonly settings: SandboxSettings;
  readonly engine: RunEngine;
  readonly environments: ReadonlyMap<string, EnvironmentState>;
  /** PEM of the identity endpoint's CA, when it runs. */
  readonly ca: string | undefined;
  readonly identity: IdentityServer | undefined;
  /** The org URL (Dataverse token audience) of an environment. */
  orgUrl(environmentName: string): string;
  /** A bearer token for `audience` (an org URL, `<base>/discovery` or `<base>/powerapps`). */
  token(audience: string, claims?: Omit<IssueRequest, 'audience'>): string;
  stop(): Promise<void>;
}

const maxBodyBytes = 16 * 1024 * 1024;

function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= maxBodyBytes) {
        chunks.push(c);
      }
    });
    req.on('end', () => resolve(size > maxBodyBytes ? undefined : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

type Service = 'control' | 'discovery' | 'bap' | 'powerapps' | 'dataverse' | 'none';

function serviceOf(path: string): Service {
  if (
    path === '/_sandbox' ||
    path.startsWith('/_sandbox/') ||
    path === '/portal' ||
    path.startsWith('/portal/')
  ) {
    return 'control';
  }
  const first = path.split('/')[1] ?? '';
  switch (first) {
    case 'discovery':
      return 'discovery';
    case 'bap':
      return 'bap';
    case 'powerapps':
      return 'powerapps';
    case 'org':
    case 'orgapi':
      return 'dataverse';
    default:
      return 'none';
  }
}

const faultCodes: Record<number, [string, string]> = {
  429: ['0x80072322', 'TooManyRequests'],
  500: ['0x80040216', 'InternalServerError'],
  502: ['0x80040216', 'BadGateway'],
  503: ['0x80040216', 'ServiceUnavailable'],
  504: ['0x80040216', 'GatewayTimeout'],
};

/** The reply of a `status` fault, in the error format of the service the path belongs to. */
function faultReply(ctx: RequestContext, service: Service, fault: Fault): Reply {
  const status = fault.status as number;
  const retryAfter = fault.retryAfterSeconds ?? (status === 429 || status === 503 ? 1 : undefined);
  const headers: Record<string, string> =
    retryAfter === undefined ? {} : { 'retry-after': String(retryAfter) };
  const [hex, arm] = faultCodes[status] ?? ['0x80040216', `Http${status}`];
  const message =
    status === 429
      ? 'Number of requests exceeded the limit (injected fault).'
      : `The service answered ${status} (injected fault).`;
  if (service === 'dataverse' || service === 'discovery') {
    return dataverseError(ctx, new ServiceError(status, hex, message, headers));
  }
  return jsonReply(status, { error: { code: arm, message } }, headers);
}

/** Starts a sandbox on 127.0.0.1. */
export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const logger = cappedLogger(options.logger ?? silentLogger);
  const data =
    options.data ?? (options.dataFile !== undefined ? loadSandboxData(options.dataFile) : defaultSeed());
  const clock = new SandboxClock({
    speed: options.speed ?? 1,
    ...(options.clockStart !== undefined ? { start: options.clockStart } : {}),
  });
  const firstUser = data.users[0];
  const issuer = new TokenIssuer({
    clock,
    tenantId: data.tenantId,
    lifetimeSeconds: options.tokenLifetimeSeconds ?? 3600,
    ...(firstUser ? { defaultUser: { oid: firstUser.oid, name: firstUser.name, upn: firstUser.upn } } : {}),
  });
  const settings: SandboxSettings = {
    ...defaultSettings,
    requestBudget: { ...defaultSettings.requestBudget },
    ...options.settings,
  };
  const engine = new RunEngine(clock, settings, logger);
  const environments = new Map<string, EnvironmentState>();
  for (const seedEnv of data.environments) {
    const env = new EnvironmentState(seedEnv, data.users, clock);
    environments.set(seedEnv.name, env);
    for (const r of seedEnv.runs ?? []) {
      engine.restore(env, r);
    }
  }
  const rt: SandboxRuntime = {
    origin: '',
    clock,
    issuer,
    data,
    environments,
    settings,
    logger,
    faults: new FaultInjector(options.faultSeed ?? 1),
    limits: new RateLimiter(clock, settings),
    engine,
    identityUrl: '',
  };
  let ca: string | undefined;

  const server = createServer((req, res) => {
    void handle(req, res).catch((e: unknown) => {
      logger.error(e instanceof Error ? e : String(e));
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            error: { code: '0x80040216', message: 'An unexpected error occurred in the sandbox.' },
          }),
        );
      } else {
        res.destroy();
      }
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = Date.now();
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', rt.origin);
    const path = url.pathname;
    const service = serviceOf(path);
    const fault = service === 'control' ? undefined : rt.faults.match(method, path);
    if (fault?.kind === 'drop') {
      logger.debug(`[sandbox] ${method} ${path}: connection dropped (fault)`);
      req.socket.destroy();
      return;
    }
    const body = await readBody(req);
    if (fault?.kind === 'stall') {
      // The service works on the request for a while and only then acts on it, whether or not the client
      // is still waiting (a request that finishes after the client's response timeout).
      await new Promise((resolve) => setTimeout(resolve, fault.delayMs ?? 0));
    }
    const rawUrl = req.url ?? '/';
    const q = rawUrl.indexOf('?');
    const ctx: RequestContext = {
      method,
      url,
      rawQuery: q < 0 ? '' : rawUrl.slice(q + 1),
      headers: req.headers,
      body: body ?? Buffer.alloc(0),
      origin: rt.origin,
      requestId: randomUUID(),
    };
    let reply: Reply;
    if (body === undefined) {
      reply = jsonReply(413, { error: { code: '0x80040216', message: 'The request body is too large.' } });
    } else if (fault?.kind === 'status') {
      reply = faultReply(ctx, service, fault);
    } else {
      reply = route(ctx, service, path);
    }
    if (fault?.kind === 'delay') {
      await new Promise((resolve) => setTimeout(resolve, fault.delayMs ?? 0));
    }
    if (fault?.kind === 'responseLost') {
      // The request took effect (e.g. a run was queued); the client only sees the connection drop.
      logger.debug(`[sandbox] ${method} ${path}: ${reply.status} processed, response dropped (fault)`);
      reply.done?.();
      req.socket.destroy();
      return;
    }
    res.on('close', () => reply.done?.());
    // The `Date` header tells the service's time (RFC 9110); clients use it to place the runs they look for,
    // so it comes from the sandbox clock like every timestamp the API returns.
    res.writeHead(reply.status, { date: rt.clock.date().toUTCString(), ...reply.headers });
    res.end(reply.body);
    logger.debug(`[sandbox] ${method} ${path} ${reply.status} (${Date.now() - started} ms)`);
  }

  function route(ctx: RequestContext, service: Service, path: string): Reply {
    switch (service) {
      case 'control':
        return handleControl(ctx, rt, ca);
      case 'discovery':
        return handleDiscovery(ctx, rt, path.slice('/discovery'.length));
      case 'bap':
        return handleBap(ctx, rt, path.slice('/bap'.length));
      case 'powerapps':
        return handlePowerApps(ctx, rt, path.slice('/powerapps'.length));
      case 'dataverse': {
        const m = /^\/org(?:api)?\/([^/]+)(.*)$/.exec(path);
        if (m === null) {
          // `/org//api…` or `/org`: no organization to route to; a Dataverse-shaped 400, not a crash.
          return dataverseError(
            ctx,
            new ServiceError(
              400,
              '0x80060888',
              `Bad Request - Error in query syntax: the URL '${path}' names no organization (use /org/<name>/api/data/v9.2/…).`,
            ),
          );
        }
        return handleDataverse(ctx, rt, m[1] as string, m[2] as string);
      }
      case 'none':
        return jsonReply(404, {
          error: { code: 'NotFound', message: `The sandbox serves nothing at ${path}. See GET /_sandbox.` },
        });
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const origin = `http://127.0.0.1:${port}`;
  (rt as { origin: string }).origin = origin;
  rt.identityUrl = `${origin}/identity`;

  let identity: IdentityServer | undefined;
  if (options.identity !== false) {
    try {
      identity = await startIdentityServer({
        issuer,
        clock,
        tenantId: data.tenantId,
        users: data.users,
        logger,
        accessTokenLifetimeSeconds: issuer.lifetimeSeconds,
        ...(options.deviceCodeAutoApproveAfterMs === null
          ? {}
          : { deviceCodeAutoApproveAfterMs: options.deviceCodeAutoApproveAfterMs ?? 0 }),
      });
      rt.identityUrl = identity.url;
      ca = identity.ca;
    } catch (e) {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      throw e;
    }
  }
  logger.info(`[sandbox] listening on ${origin} (identity ${rt.identityUrl}, speed ${clock.speed})`);

  let stopped: Promise<void> | undefined;
  return {
    url: origin,
    describe: () => describe(rt, ca),
    clock,
    issuer,
    faults: rt.faults,
    settings,
    engine,
    environments,
    ca,
    identity,
    orgUrl: (name) => orgUrl(origin, name),
    token: (audience, claims = {}) => issuer.issue({ ...claims, audience }),
    stop: () => {
      stopped ??= (async () => {
        clock.dispose();
        engine.dispose();
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await identity?.stop();
      })();
      return stopped;
    },
  };
}

/** The URLs of a sandbox's services, for callers that only know its base URL. */
export const sandboxServiceUrls = serviceUrls;
