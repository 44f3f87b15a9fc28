/**
 * A sandbox plus everything the runs core needs to talk to it over real HTTP on 127.0.0.1: an HttpClient
 * with sandbox tokens, the Dataverse runs backend of `contoso-dev`, the sandbox clock as the run clock,
 * and a log of every request the clients made (to count status polls and start requests).
 *
 * One harness serves a whole test file (the sandbox's signing key takes about half a second to make);
 * `reset` gives each test a clean slate: no faults, default settings, an empty request log, no active
 * runs, fresh rate-limit windows, and the speed the test asks for.
 */
import { RunsApi } from '../../../src/core/api/runsApi';
import type { TokenProvider } from '../../../src/core/auth/tokenProvider';
import { HttpClient, type HttpClientOptions, type RequestEvent } from '../../../src/core/http/httpClient';
import { DataverseRunsBackend } from '../../../src/core/runs/dataverseRunsBackend';
import { clockFrom, type RunClock } from '../../../src/core/runs/runClock';
import type { PreparedRun } from '../../../src/core/runs/prepareRun';
import type { EnvironmentRef } from '../../../src/core/runs/runJournal';
import { RunService, type RunServiceOptions, type StartedRun } from '../../../src/core/runs/runService';
import type { RunOptions } from '../../../src/core/runs/runOptions';
import type { RunsBackend } from '../../../src/core/runs/runsBackend';
import { isTerminalStatus } from '../../../src/sandbox/dataverseEntities';
import type { EnvironmentState } from '../../../src/sandbox/environmentState';
import { defaultSeed, seedEnvironmentNames, seedIds, seedNames } from '../../../src/sandbox/seed';
import { startSandbox, type Sandbox } from '../../../src/sandbox/server';
import { EventLog } from './eventLog';

/** A finished request attempt, stamped with the sandbox time it finished at. */
export type StampedRequest = RequestEvent & { readonly at: number };

export interface RunsHarness {
  readonly sandbox: Sandbox;
  /** The `contoso-dev` environment's live sandbox state. */
  readonly dev: EnvironmentState;
  readonly backend: RunsBackend;
  readonly environment: EnvironmentRef;
  readonly clock: RunClock;
  /** Every request attempt of every client of this harness, in order of completion. */
  readonly requests: StampedRequest[];
  /** Another backend: other HttpClient options, another user (`oid`), or another org URL. */
  backendWith(options: {
    readonly http?: HttpClientOptions;
    readonly oid?: string;
    readonly orgUrl?: string;
  }): RunsBackend;
  /** A clean slate for the next test, at `speed`. */
  reset(speed: number): void;
  stop(): Promise<void>;
}

export async function startRunsHarness(): Promise<RunsHarness> {
  // Only the environment these tests use: less to seed.
  const data = defaultSeed();
  data.environments = data.environments.filter((e) => e.name === seedEnvironmentNames.dev);
  const sandbox = await startSandbox({ identity: false, data, speed: 100 });
  const dev = sandbox.environments.get(seedEnvironmentNames.dev);
  if (dev === undefined) {
    throw new Error('The sandbox has no contoso-dev environment');
  }
  const settings = { ...sandbox.settings };
  const requests: StampedRequest[] = [];
  const clients: HttpClient[] = [];
  const orgUrl = sandbox.orgUrl(seedEnvironmentNames.dev);
  const backendWith = (options: { http?: HttpClientOptions; oid?: string; orgUrl?: string }): RunsBackend => {
    const { oid } = options;
    const tokens: TokenProvider = {
      getToken: (resource) => Promise.resolve(sandbox.token(resource, oid === undefined ? {} : { oid })),
    };
    const http = new HttpClient({ tokens, ...options.http });
    http.onDidRequest((e) => requests.push({ ...e, at: sandbox.clock.now() }));
    clients.push(http);
    return new DataverseRunsBackend(new RunsApi(http), options.orgUrl ?? orgUrl);
  };
  return {
    sandbox,
    dev,
    backend: backendWith({}),
    environment: { id: seedIds.environments.dev, orgUrl, displayName: 'Contoso Dev' },
    clock: clockFrom(sandbox.clock),
    requests,
    backendWith,
    reset(speed: number): void {
      sandbox.faults.clear();
      Object.assign(sandbox.settings, settings);
      delete (dev.seed as { licenseCheck?: string }).licenseCheck;
      for (const run of dev.runs.values()) {
        if (!isTerminalStatus(run.row.statuscode as number)) {
          sandbox.engine.cancel(dev, run);
        }
      }
      sandbox.clock.setSpeed(speed);
      // Past every rate-limit window of earlier tests.
      sandbox.clock.advance(5 * 60_000);
      requests.length = 0;
    },
    async stop(): Promise<void> {
      await Promise.all(clients.map((c) => c.close()));
      await sandbox.stop();
    },
  };
}

/** Status polls: GETs of the `flowsessions` collection filtered by run ids. */
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

/** What core tests start: a run with everything already checked (as `prepareRun` would return it). */
export interface TestRunRequest {
  readonly environment: EnvironmentRef;
  readonly flowId: string;
  readonly flowName?: string;
  readonly options: RunOptions;
  /** The exact inputs string to send. */
  readonly inputs?: string;
  readonly followActionLog?: boolean;
  readonly triggerId?: string;
}

/** A `PreparedRun` for core tests that exercise starting, watching and reviewing rather than preparation. */
export function testPreparedRun(r: TestRunRequest): PreparedRun {
  return {
    origin: 'test',
    environment: r.environment,
    flow: { id: r.flowId, name: r.flowName ?? r.flowId, isUnpublished: false },
    options: r.options,
    connectionDisplayName:
      r.options.connection.kind === 'connection'
        ? r.options.connection.name
        : r.options.connection.logicalName,
    inputs: r.inputs,
    maskedInputs: r.inputs,
    sensitiveInputNames: [],
    bytes: r.inputs === undefined ? 0 : Buffer.byteLength(r.inputs),
    limitBytes: 2 * 1024 * 1024,
    outputsSchema: { direction: 'outputs', variables: [], complete: true },
  };
}

/** Starts a run through `RunService.start`, the only way core sends one. */
export function startTestRun(
  service: RunService,
  r: TestRunRequest,
  signal: AbortSignal,
): Promise<StartedRun> {
  return service.start(testPreparedRun(r), signal, {
    ...(r.followActionLog === undefined ? {} : { followActionLog: r.followActionLog }),
    ...(r.triggerId === undefined ? {} : { triggerId: r.triggerId }),
  });
}

/** One test's runs: the harness, a `RunService` over it, and the events that service emitted. */
export interface RunsSetup {
  readonly h: RunsHarness;
  readonly service: RunService;
  readonly log: EventLog;
}

/** How one test wants its `RunService`. */
export interface RunsSetupOptions {
  /** The backend (default: the harness's own, or one with `http` options). */
  readonly backend?: (h: RunsHarness) => RunsBackend;
  readonly http?: HttpClientOptions;
  /** `RunService` options over the defaults (a function: options that need the harness, e.g. its clock). */
  readonly service?: Partial<RunServiceOptions> | ((h: RunsHarness) => Partial<RunServiceOptions>);
}

/**
 * The runs harness of one test file, started on first use: each `setup` gives a clean slate at `speed` and a
 * new `RunService` polling within `poll`.
 */
export class RunsFixture {
  private harness: RunsHarness | undefined;

  constructor(private readonly poll: { readonly minMs: number; readonly maxMs: number }) {}

  async setup(speed: number, options: RunsSetupOptions = {}): Promise<RunsSetup> {
    this.harness ??= await startRunsHarness();
    const h = this.harness;
    h.reset(speed);
    const backend =
      options.backend?.(h) ??
      (options.http === undefined ? h.backend : h.backendWith({ http: options.http }));
    const service = new RunService({
      backendFor: () => backend,
      clock: h.clock,
      poll: this.poll,
      ...(typeof options.service === 'function' ? options.service(h) : options.service),
    });
    return { h, service, log: new EventLog(service) };
  }

  async stop(): Promise<void> {
    await this.harness?.stop();
    this.harness = undefined;
  }
}
