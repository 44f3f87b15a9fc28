/**
 * What one batch invocation builds over a signed-in session (a `RunService` on the given clock and a
 * `SessionBatchPort`), and Echo Text input files to run: shared by the unit-tier batch harness and
 * bench/batch.bench.ts. Imports nothing of the sandbox server, so the bench's RSS stays the client's.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { SessionBatchPort } from '../../../src/core/batch/sessionBatchPort';
import { silentLogger } from '../../../src/core/logger';
import { DataverseRunsBackend } from '../../../src/core/runs/dataverseRunsBackend';
import type { RunClock } from '../../../src/core/runs/runClock';
import type { EnvironmentRef } from '../../../src/core/runs/runJournal';
import type { RunMode } from '../../../src/core/runs/runOptions';
import { RunService } from '../../../src/core/runs/runService';
import type { ServiceSession } from '../../../src/core/serviceSession';
import { seedIds } from '../../../src/sandbox/seed';

/** Writes `count` Echo Text input files (`inputText` = `<prefix>-<n>`), 100 to a subfolder. */
export async function writeEchoItems(root: string, count: number, prefix: string): Promise<void> {
  for (let i = 0; i < count; i++) {
    const folder = path.join(root, `part-${String(Math.floor(i / 100)).padStart(3, '0')}`);
    await mkdir(folder, { recursive: true });
    await writeFile(
      path.join(folder, `item-${String(i).padStart(5, '0')}.json`),
      JSON.stringify({
        $schema: `desktopflows-schema:/${seedIds.flows.echoText}.json`,
        inputText: `${prefix}-${i}`,
        inputInteger: i,
      }),
    );
  }
}

/** The run service and batch port one invocation builds over its session. */
export function batchStack(
  session: ServiceSession,
  clock: RunClock,
  environment: EnvironmentRef,
  runMode: RunMode,
): { service: RunService; port: SessionBatchPort } {
  const service = new RunService({
    backendFor: (env) => new DataverseRunsBackend(session.runs, env.orgUrl),
    clock,
    poll: { minMs: 2_000, maxMs: 30_000 },
  });
  const port = new SessionBatchPort({
    session,
    service,
    environment,
    environmentNames: [seedIds.environments.dev, 'contoso-dev'],
    options: { runMode },
    resolver: () => Promise.resolve(undefined),
    logger: silentLogger,
  });
  return { service, port };
}
