/**
 * One sandbox and a `ServiceSession` on it for a suite (and, when asked, the flow schema cache the start
 * path uses): started in `before`, closed in `after`. Call it inside `describe`; read the fields in hooks and
 * tests (they throw before the suite started).
 */
import { FlowSchemaCache } from '../../../src/core/inputs/flowSchemaCache';
import { ServiceSession } from '../../../src/core/serviceSession';
import { seedIds, seedNames } from '../../../src/sandbox/seed';
import type { SandboxOptions } from '../../../src/sandbox/server';
import { startFixture, type SandboxFixture } from '../api/sandboxFixture';

export interface SandboxSessionSuite {
  readonly f: SandboxFixture;
  readonly session: ServiceSession;
  /** Every request `session` made (each attempt), as `METHOD url`. */
  readonly requests: readonly string[];
  /** A schema cache reading through `session` (only with `{ schemas: true }`). */
  readonly schemas: FlowSchemaCache;
}

export function sandboxSessionSuite(
  options: { readonly sandbox?: SandboxOptions; readonly schemas?: boolean } = {},
): SandboxSessionSuite {
  let state:
    | {
        f: SandboxFixture;
        session: ServiceSession;
        requests: string[];
        schemas: FlowSchemaCache | undefined;
      }
    | undefined;
  before(async () => {
    const f = await startFixture(options.sandbox);
    const session = new ServiceSession({ cloud: f.cloud, tokens: f.tokens, logger: f.logger });
    const requests: string[] = [];
    session.http.onDidRequest((e) => requests.push(`${e.method} ${e.url}`));
    const schemas =
      options.schemas === true
        ? new FlowSchemaCache((org, id, s, o) => session.flows.getSchemas(org, id, s, o))
        : undefined;
    state = { f, session, requests, schemas };
  });
  after(async () => {
    const s = state;
    state = undefined;
    s?.schemas?.dispose();
    await s?.session.dispose();
    await s?.f.close();
  });
  const started = (): NonNullable<typeof state> => {
    if (state === undefined) {
      throw new Error('The sandbox suite has not started: read its fields in hooks and tests only.');
    }
    return state;
  };
  return {
    get f() {
      return started().f;
    },
    get session() {
      return started().session;
    },
    get requests() {
      return started().requests;
    },
    get schemas() {
      const schemas = started().schemas;
      if (schemas === undefined) {
        throw new Error('Ask sandboxSessionSuite({ schemas: true }) for a schema cache.');
      }
      return schemas;
    },
  };
}

/** Cancels runs a test started (whatever state they reached), so none stays queued for the next test. */
export async function cancelRuns(
  session: ServiceSession,
  org: string,
  runIds: readonly string[],
): Promise<void> {
  for (const id of runIds) {
    await session.runs.cancelRun(org, id, AbortSignal.timeout(30_000)).catch(() => undefined);
  }
}

/**
 * Fills the group Finance Bots (two machines) with four runs of "Long Report" through the run-owner
 * connection: two run, two wait. `lastLater` queues the fourth a second after the others (`createdon` has
 * one-second resolution); `priority` gives each run its priority by start index. Returns the run ids in start
 * order (cancel them with `cancelRuns`).
 */
export async function fillFinanceBots(
  session: ServiceSession,
  org: string,
  options: { readonly lastLater?: boolean; readonly priority?: (index: number) => string } = {},
): Promise<string[]> {
  const started: string[] = [];
  for (let i = 0; i < 4; i++) {
    if (i === 3 && options.lastLater === true) {
      await new Promise((r) => setTimeout(r, 1100));
    }
    const s = await session.runs.runDesktopFlow(
      org,
      seedIds.flows.longReport,
      {
        runMode: 'unattended',
        connectionName: seedNames.connections.runOwner,
        ...(options.priority === undefined ? {} : { runPriority: options.priority(i) }),
      },
      AbortSignal.timeout(30_000),
    );
    started.push(s.sessionId);
  }
  return started;
}
