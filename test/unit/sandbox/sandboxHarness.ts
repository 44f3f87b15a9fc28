/**
 * Helpers for the sandbox's own tests: start a sandbox (without the HTTPS identity endpoint unless asked,
 * which keeps start-up fast), and make authenticated requests over real HTTP with global fetch.
 */
import { startSandbox } from '../../../src/sandbox/server';
import type { Sandbox, SandboxOptions } from '../../../src/sandbox/server';

export interface Harness {
  sandbox: Sandbox;
  /** Web API root of an environment, e.g. `http://127.0.0.1:1234/org/contoso-dev/api/data/v9.2/`. */
  api(env?: string): string;
  /** A valid bearer token for an org (by environment name) or any audience URL. */
  token(audienceOrEnv?: string): string;
  /** GET/POST with a bearer token for the environment's org; parses JSON when there is a body. */
  dv(path: string, init?: DvInit): Promise<DvResponse>;
  close(): Promise<void>;
}

export interface DvInit {
  method?: string;
  env?: string;
  headers?: Record<string, string>;
  body?: unknown;
  /** Override the token (empty string: none). */
  token?: string;
}

export interface DvResponse {
  status: number;
  headers: Headers;
  text: string;
  json: Record<string, unknown>;
}

export async function startHarness(options: SandboxOptions = {}): Promise<Harness> {
  const sandbox = await startSandbox({ port: 0, identity: false, ...options });
  const token = (audienceOrEnv = 'contoso-dev'): string =>
    sandbox.token(audienceOrEnv.startsWith('http') ? audienceOrEnv : sandbox.orgUrl(audienceOrEnv));
  const api = (env = 'contoso-dev'): string => `${sandbox.orgUrl(env)}/api/data/v9.2/`;
  return {
    sandbox,
    api,
    token,
    dv: async (path, init = {}) => {
      const env = init.env ?? 'contoso-dev';
      const url = path.startsWith('http') ? path : `${api(env)}${path}`;
      const bearer = init.token ?? token(env);
      const headers: Record<string, string> = { accept: 'application/json', ...init.headers };
      if (bearer !== '') {
        headers.authorization = `Bearer ${bearer}`;
      }
      let body: string | undefined;
      if (init.body !== undefined) {
        body = typeof init.body === 'string' ? init.body : JSON.stringify(init.body);
        headers['content-type'] = 'application/json';
      }
      const res = await fetch(url, {
        method: init.method ?? (body === undefined ? 'GET' : 'POST'),
        headers,
        body,
      });
      const text = await res.text();
      let json: Record<string, unknown> = {};
      if (text !== '' && (res.headers.get('content-type') ?? '').includes('json')) {
        json = JSON.parse(text) as Record<string, unknown>;
      }
      return { status: res.status, headers: res.headers, text, json };
    },
    close: () => sandbox.stop(),
  };
}

/** Polls `check` every few ms until it returns a value, failing after `timeoutMs` (bounded waits only). */
export async function waitFor<T>(
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 5000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) {
      return v;
    }
    if (Date.now() > deadline) {
      throw new Error(`Timed out waiting for ${what}`);
    }
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Lets timers the sandbox clock scheduled at real delay 0 fire (after `clock.advance`). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    await new Promise((r) => setTimeout(r, 1));
  }
}

/** The `error` object of a Dataverse/ARM error body. */
export function errorOf(r: DvResponse): { code: string; message: string } {
  return r.json.error as { code: string; message: string };
}
