/**
 * The batch core against a sandbox on 127.0.0.1, as one "process" would build it: a signed-in
 * `ServiceSession`, a `RunService` on the sandbox clock (so rate windows, poll intervals and
 * reconciliation delays pass at the sandbox's speed), a `SessionBatchPort`, and `runBatchSession`.
 * `session()` builds a fresh set each time, like a new CLI invocation (nothing shared but the journal).
 * Used by the fault and rate tests; bench/batch.bench.ts builds the same stack (batchStack.ts) against a
 * sandbox in another process.
 */
import {
  runBatchSession,
  type BatchSessionOptions,
  type BatchSessionResult,
} from '../../../src/core/batch/batchSession';
import { sandboxCloud, type SandboxDescription } from '../../../src/core/clouds';
import { HttpClient, type RequestEvent } from '../../../src/core/http/httpClient';
import { silentLogger } from '../../../src/core/logger';
import { DataverseRunsBackend } from '../../../src/core/runs/dataverseRunsBackend';
import { clockFrom, type RunClock } from '../../../src/core/runs/runClock';
import type { EnvironmentRef } from '../../../src/core/runs/runJournal';
import type { RunConnection, RunMode } from '../../../src/core/runs/runOptions';
import { ServiceSession } from '../../../src/core/serviceSession';
import { batchStack, writeEchoItems } from './batchStack';
import type { EnvironmentState } from '../../../src/sandbox/environmentState';
import { defaultSeed, seedEnvironmentNames, seedIds } from '../../../src/sandbox/seed';
import { startSandbox, type Sandbox } from '../../../src/sandbox/server';

export interface BatchHarness {
  readonly sandbox: Sandbox;
  readonly dev: EnvironmentState;
  readonly environment: EnvironmentRef;
  readonly clock: RunClock;
  /** Every request of every session, with the sandbox time it finished at. */
  readonly requests: (RequestEvent & { readonly at: number })[];
  /** Writes `count` Echo Text input files (`inputText` = `<prefix>-<n>`), spread over subfolders. */
  writeEchoItems(root: string, count: number, prefix: string): Promise<void>;
  /** One invocation: a new session, run service and port; disposed when it ends. */
  session(
    options: Pick<BatchSessionOptions, 'paths' | 'journalFile' | 'onProgress' | 'wait' | 'rateLimit'> & {
      readonly resume: boolean;
      readonly connections: readonly RunConnection[];
      readonly runMode: RunMode;
      /** Signs in as this sandbox user (`oid`) instead of the default one. */
      readonly asUser?: string;
    },
    signal: AbortSignal,
  ): Promise<BatchSessionResult>;
  /** Echo Text runs in the sandbox, by `inputText`. */
  echoRuns(): Map<string, string[]>;
  stop(): Promise<void>;
}

export async function startBatchHarness(speed: number): Promise<BatchHarness> {
  const data = defaultSeed();
  data.environments = data.environments.filter((e) => e.name === seedEnvironmentNames.dev);
  const sandbox = await startSandbox({ port: 0, identity: false, data, speed });
  const dev = sandbox.environments.get(seedEnvironmentNames.dev);
  if (dev === undefined) {
    throw new Error('The sandbox has no contoso-dev environment');
  }
  const anonymous = new HttpClient();
  const description = await anonymous.get<SandboxDescription>(`${sandbox.url}/_sandbox`, {
    signal: new AbortController().signal,
  });
  await anonymous.close();
  const cloud = sandboxCloud(description);
  const orgUrl = sandbox.orgUrl(seedEnvironmentNames.dev);
  const environment: EnvironmentRef = { id: seedIds.environments.dev, orgUrl, displayName: 'Contoso Dev' };
  const clock = clockFrom(sandbox.clock);
  const requests: (RequestEvent & { at: number })[] = [];
  return {
    sandbox,
    dev,
    environment,
    clock,
    requests,
    writeEchoItems,
    async session(options, signal): Promise<BatchSessionResult> {
      const session = new ServiceSession({
        cloud,
        tokens: {
          getToken: (resource) =>
            Promise.resolve(
              sandbox.token(resource, options.asUser === undefined ? undefined : { oid: options.asUser }),
            ),
        },
        logger: silentLogger,
      });
      session.http.onDidRequest((e) => requests.push({ ...e, at: sandbox.clock.now() }));
      const { service, port } = batchStack(session, clock, environment, options.runMode);
      try {
        return await runBatchSession(
          {
            paths: options.paths,
            journalFile: options.journalFile,
            header: options.resume
              ? undefined
              : {
                  batchId: 'test',
                  environment,
                  runMode: options.runMode,
                  connections: options.connections,
                  wait: options.wait,
                },
            skipInvalid: false,
            wait: options.wait,
            port,
            service,
            backend: new DataverseRunsBackend(session.runs, orgUrl),
            clock,
            logger: silentLogger,
            ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
            ...(options.rateLimit === undefined ? {} : { rateLimit: options.rateLimit }),
          },
          signal,
        );
      } finally {
        port.dispose();
        service.dispose();
        await session.dispose();
      }
    },
    echoRuns(): Map<string, string[]> {
      const out = new Map<string, string[]>();
      for (const run of dev.runs.values()) {
        const text = run.inputs.inputText;
        if (run.flow.id === seedIds.flows.echoText && typeof text === 'string') {
          out.set(text, [...(out.get(text) ?? []), String(run.row.flowsessionid)]);
        }
      }
      return out;
    },
    stop: () => sandbox.stop(),
  };
}
