/**
 * The core flow-schema cache: a shared load lives on its own lifetime, so a waiter that gives up only
 * stops waiting; the others still get the schemas (read from the sandbox over real HTTP).
 */
import assert from 'node:assert/strict';
import { CancellationError } from '../../../src/core/errors';
import { FlowSchemaCache, type FlowSchemaLoader } from '../../../src/core/inputs/flowSchemaCache';
import { flowKey, orgKey, runKey } from '../../../src/core/runs/runKeys';
import { ServiceSession } from '../../../src/core/serviceSession';
import { seedIds } from '../../../src/sandbox/seed';
import { startFixture, type SandboxFixture } from '../api/sandboxFixture';

describe('FlowSchemaCache', () => {
  let f: SandboxFixture;
  let session: ServiceSession;

  before(async () => {
    f = await startFixture();
    session = new ServiceSession({ cloud: f.cloud, tokens: f.tokens, logger: f.logger });
  });

  after(async () => {
    await session.dispose();
    await f.close();
  });

  /** A loader that reads the sandbox once `release` is called, recording the signals it got. */
  function gatedLoader(): {
    loader: FlowSchemaLoader;
    release: () => void;
    signals: AbortSignal[];
    calls: () => number;
  } {
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const signals: AbortSignal[] = [];
    return {
      signals,
      release: () => open(),
      calls: () => signals.length,
      loader: async (org, id, signal, options) => {
        signals.push(signal);
        await gate;
        return session.flows.getSchemas(org, id, signal, options);
      },
    };
  }

  it('a waiter that aborts stops waiting; the shared load goes on for the next waiter', async () => {
    const gated = gatedLoader();
    const cache = new FlowSchemaCache(gated.loader);
    const first = new AbortController();
    const request = { orgUrl: f.orgs.dev, flowId: seedIds.flows.echoText };
    const firstWait = cache.get(request, first.signal);
    // The same flow under another spelling of the org URL and id joins the same load.
    const secondWait = cache.get(
      { orgUrl: `${f.orgs.dev.toUpperCase()}/`, flowId: `{${seedIds.flows.echoText.toUpperCase()}}` },
      new AbortController().signal,
    );
    first.abort();
    await assert.rejects(firstWait, (e) => CancellationError.is(e));
    assert.equal(gated.signals[0]?.aborted, false, 'the shared load is not tied to the first caller');
    gated.release();
    const schemas = await secondWait;
    assert.deepEqual(
      schemas.inputs.schema.variables.map((v) => v.name),
      ['inputText', 'inputInteger'],
    );
    assert.equal(gated.calls(), 1, 'one load for both waiters');
    cache.dispose();
  });

  it('a refresh (a fresh load) that is aborted does not fail the runs and files that joined it', async () => {
    const gated = gatedLoader();
    const cache = new FlowSchemaCache(gated.loader);
    const request = { orgUrl: f.orgs.dev, flowId: seedIds.flows.invoice, includeDrafts: true };
    // The tree refreshes a flow (fresh), then the start path and an input file ask for the same flow.
    const tree = new AbortController();
    const treeWait = cache.get({ ...request, notBefore: Date.now() }, tree.signal);
    const runWait = cache.get(request, new AbortController().signal);
    const fileWait = cache.get(request, AbortSignal.timeout(30_000));
    // The tree is refreshed again before the load ends: its wait is aborted.
    tree.abort();
    await assert.rejects(treeWait, (e) => CancellationError.is(e));
    gated.release();
    const [forRun, forFile] = await Promise.all([runWait, fileWait]);
    assert.equal(forRun, forFile, 'both got the one load');
    assert.ok(forRun.inputs.schema.variables.some((v) => v.name === 'InvoiceId'));
    assert.ok(forRun.raw.inputs !== undefined, 'the raw schema is kept for the tree');
    assert.equal(gated.calls(), 1, 'one schema request for the three of them');
    cache.dispose();
  });

  it('fresh requests join a load in flight but not an older result; a failed load is not kept', async () => {
    let calls = 0;
    let fail = true;
    const cache = new FlowSchemaCache(async (org, id, signal, options) => {
      calls++;
      if (fail) {
        fail = false;
        return session.flows.getSchemas(org, '00000000-0000-0000-0000-000000000000', signal, options);
      }
      return session.flows.getSchemas(org, id, signal, options);
    });
    const request = { orgUrl: f.orgs.dev, flowId: seedIds.flows.quickPing };
    const signal = new AbortController().signal;
    await assert.rejects(cache.get(request, signal));
    await cache.get(request, signal);
    await cache.get(request, signal);
    assert.equal(calls, 2);
    await cache.get({ ...request, notBefore: Date.now() + 1 }, signal);
    assert.equal(calls, 3);
    cache.dispose();
    await assert.rejects(cache.get(request, signal), (e) => CancellationError.is(e));
  });

  it('keys normalise trailing slashes, case and braces', () => {
    assert.equal(orgKey('https://Org.crm.dynamics.com//'), orgKey('https://org.crm.dynamics.com'));
    assert.equal(
      flowKey('https://org.crm.dynamics.com/', '{ABC}'),
      flowKey('https://ORG.crm.dynamics.com', 'abc'),
    );
    assert.notEqual(
      flowKey('https://org.crm.dynamics.com', 'abc'),
      runKey('https://org.crm.dynamics.com', 'abc'),
    );
  });
});
