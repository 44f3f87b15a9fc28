/**
 * A sandbox plus the client stack the extension uses (HttpClient + SandboxTokenProvider), for the API
 * tests. Each test file starts its own sandbox so faults and runs never leak between files.
 */
import type { SandboxTokenProviderOptions } from './sandboxTokenProvider';
import { SandboxTokenProvider } from './sandboxTokenProvider';
import { sandboxCloud, type CloudEndpoints, type SandboxDescription } from '../../../src/core/clouds';
import { HttpClient, type HttpClientOptions } from '../../../src/core/http/httpClient';
import { startSandbox, type Sandbox, type SandboxOptions } from '../../../src/sandbox/server';
import { seedEnvironmentNames } from '../../../src/sandbox/seed';
import type { FaultSpec } from '../../../src/sandbox/faults';
import { RecordingLogger } from '../http/loopbackServer';

export interface SandboxFixture {
  readonly sandbox: Sandbox;
  readonly cloud: CloudEndpoints;
  readonly http: HttpClient;
  readonly tokens: SandboxTokenProvider;
  readonly logger: RecordingLogger;
  /** Org URLs by seed name. */
  readonly orgs: { readonly dev: string; readonly bulk: string; readonly empty: string };
  /** Every request the client made (each attempt), as `METHOD url`. */
  readonly requests: string[];
  /** Add a fault through the sandbox's HTTP faults API; returns its id. */
  addFault(spec: FaultSpec): Promise<string>;
  /** How many requests a fault has hit. */
  faultHits(id: string): Promise<number>;
  clearFaults(): Promise<void>;
  /** Another client on the same sandbox (fresh pools), closed with the fixture. */
  client(options?: HttpClientOptions): HttpClient;
  close(): Promise<void>;
}

const signal = new AbortController().signal;

/** Start a sandbox and the client stack. Retries are fast here (a few ms) unless `Retry-After` says otherwise. */
export async function startFixture(
  sandboxOptions: SandboxOptions = {},
  clientOptions: HttpClientOptions = {},
  tokenOptions: Partial<SandboxTokenProviderOptions> = {},
): Promise<SandboxFixture> {
  // The identity (HTTPS sign-in) endpoint is not needed here: tokens come from `/_sandbox/token`.
  const sandbox = await startSandbox({ port: 0, identity: false, ...sandboxOptions });
  const logger = new RecordingLogger();
  const control = new HttpClient({ proxy: { env: {} } });
  const tokens = new SandboxTokenProvider({ baseUrl: sandbox.url, http: control, ...tokenOptions });
  const extra: HttpClient[] = [];
  const make = (options: HttpClientOptions = {}): HttpClient =>
    new HttpClient({
      tokens,
      logger,
      retryBaseDelayMs: 2,
      retryMaxDelayMs: 20,
      proxy: { env: {} },
      ...clientOptions,
      ...options,
    });
  const http = make();
  const requests: string[] = [];
  http.onDidRequest((e) => requests.push(`${e.method} ${e.url}`));
  const description = await control.get<SandboxDescription>(`${sandbox.url}/_sandbox`, { signal });
  return {
    sandbox,
    cloud: sandboxCloud(description),
    http,
    tokens,
    logger,
    orgs: {
      dev: sandbox.orgUrl(seedEnvironmentNames.dev),
      bulk: sandbox.orgUrl(seedEnvironmentNames.bulk),
      empty: sandbox.orgUrl(seedEnvironmentNames.empty),
    },
    requests,
    addFault: async (spec) =>
      (await control.post<{ id: string }>(`${sandbox.url}/_sandbox/faults`, spec, { signal })).id,
    faultHits: async (id) => {
      const list = await control.get<{ value: { id: string; hits: number }[] }>(
        `${sandbox.url}/_sandbox/faults`,
        { signal },
      );
      return list.value.find((f) => f.id === id)?.hits ?? 0;
    },
    clearFaults: async () => {
      await control.request(`${sandbox.url}/_sandbox/faults`, { method: 'DELETE', signal });
    },
    client: (options) => {
      const c = make(options);
      extra.push(c);
      return c;
    },
    close: async () => {
      await Promise.all([http.close(), control.close(), ...extra.map((c) => c.close())]);
      await sandbox.stop();
    },
  };
}
