/**
 * A sandbox plus everything the runs core needs to talk to it over real HTTP on 127.0.0.1: an HttpClient
 * with sandbox tokens, the Dataverse runs backend of `contoso-dev`, the sandbox clock as the run clock,
 * and a log of every request the client made (to count status polls).
 */
import { RunsApi } from '../../../src/core/api/runsApi';
import type { TokenProvider } from '../../../src/core/auth/tokenProvider';
import { HttpClient, type HttpClientOptions, type RequestEvent } from '../../../src/core/http/httpClient';
import { DataverseRunsBackend } from '../../../src/core/runs/dataverseRunsBackend';
import { clockFrom, type RunClock } from '../../../src/core/runs/runClock';
import type { EnvironmentRef } from '../../../src/core/runs/runJournal';
import type { RunOptions } from '../../../src/core/runs/runOptions';
import type { RunsBackend } from '../../../src/core/runs/runsBackend';
import { seedEnvironmentNames, seedIds, seedNames } from '../../../src/sandbox/seed';
import { startSandbox, type Sandbox, type SandboxOptions } from '../../../src/sandbox/server';

export interface RunsHarness {
  readonly sandbox: Sandbox;
  readonly http: HttpClient;
  readonly backend: RunsBackend;
  readonly environment: EnvironmentRef;
  readonly clock: RunClock;
  /** Every request attempt the client made, in order. */
  readonly requests: RequestEvent[];
  /** A backend for the same org acting as another (non-owner, non-admin) user. */
  backendAs(oid: string): RunsBackend;
  stop(): Promise<void>;
}

/** Options for the harness: sandbox options, and HttpClient options for the runs client. */
export interface HarnessOptions extends SandboxOptions {
  readonly http?: HttpClientOptions;
}

export async function startRunsHarness(options: HarnessOptions = {}): Promise<RunsHarness> {
  const { http: httpOptions, ...sandboxOptions } = options;
  const sandbox = await startSandbox({ identity: false, ...sandboxOptions });
  const tokens: TokenProvider = { getToken: (resource) => Promise.resolve(sandbox.token(resource)) };
  const http = new HttpClient({ tokens, ...httpOptions });
  const requests: RequestEvent[] = [];
  http.onDidRequest((e) => requests.push(e));
  const orgUrl = sandbox.orgUrl(seedEnvironmentNames.dev);
  const others: HttpClient[] = [];
  return {
    sandbox,
    http,
    backend: new DataverseRunsBackend(new RunsApi(http), http, orgUrl),
    environment: { id: seedIds.environments.dev, orgUrl, displayName: 'Contoso Dev' },
    clock: clockFrom(sandbox.clock),
    requests,
    backendAs(oid: string): RunsBackend {
      const other = new HttpClient({
        tokens: { getToken: (resource) => Promise.resolve(sandbox.token(resource, { oid })) },
        ...httpOptions,
      });
      others.push(other);
      return new DataverseRunsBackend(new RunsApi(other), other, orgUrl);
    },
    async stop(): Promise<void> {
      await Promise.all([http.close(), ...others.map((o) => o.close())]);
      await sandbox.stop();
    },
  };
}

/** Status polls: GETs of the `flowsessions` collection. */
export function statusPolls(requests: readonly RequestEvent[]): RequestEvent[] {
  return requests.filter(
    (r) =>
      r.method === 'GET' &&
      /\/flowsessions\?/.test(r.url) &&
      /flowsessionid eq/.test(decodeURIComponent(r.url)),
  );
}

/** Attended runs on DESKTOP-MAKER01, where the maker has an unlocked session. */
export const makerAttended: RunOptions = {
  connection: { kind: 'connection', name: seedNames.connections.makerMachine },
  runMode: 'attended',
};

/** Unattended runs on the Finance Bots group. */
export const financeUnattended: RunOptions = {
  connection: { kind: 'connection', name: seedNames.connections.financeBots },
  runMode: 'unattended',
};

export const flows = seedIds.flows;
export const connections = seedNames.connections;
