import assert from 'node:assert/strict';
import { RunsApi } from '../../../src/core/api/runsApi';
import type { Run } from '../../../src/core/model/run';
import { DataverseRunsBackend, runQueryFilter } from '../../../src/core/runs/dataverseRunsBackend';
import { mergeFeed, RunsFeed, type FeedRun, type RunsFeedSource } from '../../../src/core/runs/runsFeed';
import { startFixture, type SandboxFixture } from '../api/sandboxFixture';

function feedRun(id: string, createdOn: string): FeedRun {
  return {
    environment: { id: 'e', orgUrl: 'https://x' },
    run: { id, createdOn } as Run,
    createdOn,
    startedOn: undefined,
    completedOn: undefined,
    queueWaitMs: undefined,
    runTimeMs: undefined,
  };
}

describe('runs feed (Runs view data)', function () {
  this.timeout(30_000);
  let fx: SandboxFixture;
  let api: RunsApi;
  const signal = new AbortController().signal;

  before(async () => {
    fx = await startFixture();
    api = new RunsApi(fx.http);
  });
  after(async () => {
    await fx.close();
  });

  function source(org: string, name: string): RunsFeedSource {
    return {
      environment: { id: name, orgUrl: org, displayName: name },
      backend: new DataverseRunsBackend(api, org),
      userId: async (s) => (await api.whoAmI(org, s)).userId,
    };
  }

  it('filters on the service by creator and status code, in plain OData', () => {
    assert.equal(
      runQueryFilter({
        columns: 'feed',
        createdBy: '{AAAAAAAA-0000-4000-8000-000000000001}',
        statusCodes: [8, 9],
      }),
      '_createdby_value eq aaaaaaaa-0000-4000-8000-000000000001 and (statuscode eq 8 or statuscode eq 9)',
    );
    assert.equal(runQueryFilter({ columns: 'feed', statusCodes: [4] }), 'statuscode eq 4');
  });

  it('follows its queued and running runs through one observer, keeping what the status rows lack', async () => {
    const loaded = (id: string, status: Run['status'], createdOn: string): Run =>
      ({
        id,
        status,
        createdOn,
        flowId: 'f1',
        flowName: 'Echo Text',
        createdByName: 'Other Maker',
        machineName: undefined,
      }) as Run;
    const rows = [
      loaded('run-running', 'running', '2026-12-03T10:02:00Z'),
      loaded('run-queued', 'waiting', '2026-12-03T10:01:00Z'),
      loaded('run-done', 'succeeded', '2026-12-03T10:00:00Z'),
    ];
    const feedSource: RunsFeedSource = {
      environment: { id: 'e', orgUrl: 'https://x.example/', displayName: 'X' },
      backend: {
        listRuns: () => Promise.resolve({ runs: rows, nextPage: undefined }),
      } as unknown as RunsFeedSource['backend'],
      userId: () => Promise.resolve(undefined),
    };
    const feed = new RunsFeed([feedSource], { mine: false, status: 'all' }, 10);
    await feed.load(signal);
    const observed = new Map<string, (row: Run) => void>();
    const disposed: string[] = [];
    let changes = 0;
    const following = feed.follow(
      (subject, onRow) => {
        observed.set(subject.runId, onRow);
        return { dispose: () => disposed.push(subject.runId) };
      },
      () => changes++,
      (_env, runId) => runId === 'run-queued', // e.g. a run this window watches itself
    );
    assert.deepEqual([...observed.keys()], ['run-running'], 'only active runs not followed otherwise');
    // What a status poll returns: status, times and machine; no names.
    observed.get('run-running')?.({
      id: 'run-running',
      status: 'succeeded',
      createdOn: '2026-12-03T10:02:00Z',
      startedOn: '2026-12-03T10:02:05Z',
      completedOn: '2026-12-03T10:02:25Z',
      flowName: undefined,
      createdByName: undefined,
      machineName: 'DESKTOP-MAKER01',
    } as Run);
    assert.equal(changes, 1);
    const now = feed.merged().runs.find((r) => r.run.id === 'run-running');
    assert.equal(now?.run.status, 'succeeded');
    assert.equal(now?.run.flowName, 'Echo Text', 'the loaded name stays');
    assert.equal(now?.run.createdByName, 'Other Maker');
    assert.equal(now?.run.machineName, 'DESKTOP-MAKER01');
    assert.equal(now?.runTimeMs, 20_000, 'times worked out again');
    assert.deepEqual(
      feed.activeRuns().map((r) => r.run.id),
      ['run-queued'],
    );
    following.dispose();
    assert.deepEqual(disposed, ['run-running']);
  });

  it('never shows a row above a newer one that another environment has not loaded yet', () => {
    const merged = mergeFeed([
      {
        environment: { id: 'a', orgUrl: 'https://a' },
        runs: [feedRun('a1', '2026-12-03T10:00:00Z'), feedRun('a2', '2026-12-03T08:00:00Z')],
        nextPage: 'more',
        error: undefined,
      },
      {
        environment: { id: 'b', orgUrl: 'https://b' },
        runs: [feedRun('b1', '2026-12-03T09:00:00Z'), feedRun('b2', '2026-12-03T07:00:00Z')],
        nextPage: undefined,
        error: undefined,
      },
    ]);
    // b2 (07:00) waits: environment a may have runs between 08:00 and 07:00 on its next page.
    assert.deepEqual(
      merged.runs.map((r) => r.run.id),
      ['a1', 'b1', 'a2'],
    );
    assert.equal(merged.hasMore, true);
  });

  it('lists runs across environments newest first, with flow and creator names, a page at a time', async () => {
    const feed = new RunsFeed(
      [source(fx.orgs.dev, 'Contoso Dev'), source(fx.orgs.empty, 'Contoso (default)')],
      { mine: false, status: 'all' },
      2,
    );
    await feed.load(signal);
    const first = feed.merged();
    assert.equal(first.runs.length, 2);
    assert.equal(first.hasMore, true);
    assert.ok(first.runs[0]?.run.flowName, 'the flow name comes with the row (formatted value)');
    assert.ok(first.runs[0]?.run.createdByName, 'who started the run comes with the row');
    const seen = new Set(first.runs.map((r) => r.run.id));
    for (let i = 0; i < 10 && feed.merged().hasMore; i++) {
      await feed.loadMore(signal);
    }
    const all = feed.merged().runs;
    assert.ok(all.length >= 5, `the seeded history is listed (${all.length})`);
    assert.ok(
      [...seen].every((id) => all.some((r) => r.run.id === id)),
      'earlier rows stay',
    );
    const times = all.map((r) => Date.parse(r.run.createdOn ?? ''));
    assert.deepEqual(
      times,
      [...times].sort((a, b) => b - a),
      'newest first',
    );
    assert.equal(new Set(all.map((r) => r.run.id)).size, all.length, 'no duplicates');
  });

  it('filters by status and by the signed-in user (WhoAmI)', async () => {
    const failed = new RunsFeed([source(fx.orgs.dev, 'Contoso Dev')], { mine: false, status: 'failed' }, 50);
    await failed.load(signal);
    const statuses = failed.merged().runs.map((r) => r.run.status);
    assert.ok(statuses.length >= 2, 'the seeded failed and timed-out runs');
    assert.ok(
      statuses.every((s) => s === 'failed' || s === 'timedOut' || s === 'faulted'),
      statuses.join(),
    );

    const mine = new RunsFeed([source(fx.orgs.dev, 'Contoso Dev')], { mine: true, status: 'all' }, 50);
    await mine.load(signal);
    const me = (await api.whoAmI(fx.orgs.dev, signal)).userId;
    assert.ok(me);
    const runs = mine.merged().runs;
    assert.ok(
      runs.every((r) => r.run.createdById?.toLowerCase() === me),
      'only runs I created',
    );
  });

  it('keeps an environment that cannot be read as an error, and shows the others', async () => {
    const broken: RunsFeedSource = {
      ...source(fx.orgs.dev, 'Broken'),
      backend: {
        ...new DataverseRunsBackend(api, fx.orgs.dev),
        listRuns: () => Promise.reject(new Error('The service is unavailable.')),
      } as unknown as DataverseRunsBackend,
    };
    const feed = new RunsFeed(
      [broken, source(fx.orgs.dev, 'Contoso Dev')],
      { mine: false, status: 'all' },
      5,
    );
    await feed.load(signal);
    assert.ok(feed.environments[0]?.error instanceof Error);
    assert.ok(feed.merged().runs.length > 0);
  });
});
