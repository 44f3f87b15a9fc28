// The reload session's sandbox seen from outside the extension: its description, fault injection and the
// flowsessions rows of an environment, over HTTP with a token from the sandbox's own endpoint.
import { sandboxSecondUser } from '../../../src/sandbox/identity/identitySeed';
import { seedEnvironmentNames } from '../../../src/sandbox/seed';
import { reloadSandboxUrl } from './reloadNotes';

async function json<T>(url: string, init?: RequestInit): Promise<T> {
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(15_000) });
  if (!response.ok) {
    throw new Error(`${init?.method ?? 'GET'} ${url}: ${response.status} ${await response.text()}`);
  }
  return (await response.json()) as T;
}

/** The dev environment's org URL and Web API URL. */
export async function devEnvironment(): Promise<{ orgUrl: string; webApiUrl: string }> {
  const info = await json<{ environments: { name: string; orgUrl: string; webApiUrl: string }[] }>(
    `${reloadSandboxUrl()}/_sandbox`,
  );
  const dev = info.environments.find((e) => e.name === seedEnvironmentNames.dev);
  if (dev === undefined) {
    throw new Error('the sandbox has no contoso-dev environment');
  }
  return dev;
}

/** Adds a fault (src/sandbox/faults.ts); returns its id. */
export async function addFault(spec: Record<string, unknown>): Promise<string> {
  return (
    await json<{ id: string }>(`${reloadSandboxUrl()}/_sandbox/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(spec),
    })
  ).id;
}

/** The active faults with their hits. */
export async function faults(): Promise<{ id: string; hits: number }[]> {
  return (await json<{ value: { id: string; hits: number }[] }>(`${reloadSandboxUrl()}/_sandbox/faults`))
    .value;
}

export async function clearFaults(): Promise<void> {
  await fetch(`${reloadSandboxUrl()}/_sandbox/faults`, {
    method: 'DELETE',
    signal: AbortSignal.timeout(15_000),
  });
}

/** Every run of a flow in the dev environment (id and status code), as an administrator sees them. */
export async function runsOfFlow(flowId: string): Promise<{ id: string; statuscode: number }[]> {
  const dev = await devEnvironment();
  const token = await json<{ access_token: string }>(
    `${reloadSandboxUrl()}/_sandbox/token?aud=${encodeURIComponent(dev.orgUrl)}&oid=${sandboxSecondUser.oid}`,
  );
  const rows = await json<{ value: { flowsessionid: string; statuscode: number }[] }>(
    `${dev.webApiUrl}flowsessions?$select=flowsessionid,statuscode&$filter=${encodeURIComponent(`_regardingobjectid_value eq ${flowId}`)}`,
    { headers: { authorization: `Bearer ${token.access_token}`, accept: 'application/json' } },
  );
  return rows.value.map((r) => ({ id: r.flowsessionid, statuscode: r.statuscode }));
}
