import assert from 'node:assert/strict';
import { DesktopFlowsApi } from '../../../src/core/api/desktopFlowsApi';
import { ApiError } from '../../../src/core/errors';
import { seedFlowNames, seedIds } from '../../../src/sandbox/seed';
import { startFixture, type SandboxFixture } from './sandboxFixture';

describe('DesktopFlowsApi (sandbox)', function () {
  let fx: SandboxFixture;
  let flows: DesktopFlowsApi;
  const signal = new AbortController().signal;

  before(async () => {
    fx = await startFixture();
    flows = new DesktopFlowsApi(fx.http);
  });
  beforeEach(() => {
    fx.requests.length = 0;
  });
  after(async () => {
    await fx.close();
  });

  it('lists published desktop flows only, by name, without cloud flows or drafts', async () => {
    const list = await flows.listAll(fx.orgs.dev, {}, signal);
    const names = list.map((f) => f.name);
    assert.ok(names.includes(seedFlowNames.echoText));
    assert.ok(!names.includes(seedFlowNames.cloudFlow));
    assert.ok(!names.includes(seedFlowNames.draftOnboarding));
    assert.deepEqual(
      names,
      [...names].sort((a, b) => a.localeCompare(b)),
    );
    const echo = list.find((f) => f.id === seedIds.flows.echoText);
    assert.equal(echo?.name, seedFlowNames.echoText);
    assert.equal(echo?.uiFlowType, 'powerAutomateDesktop');
    assert.ok(echo?.modifiedOn);
    // Listing never touches schemas.
    assert.ok(fx.requests.every((r) => !r.includes('$value')));
  });

  it('includes drafts when asked (MSCRM.IncludeUnpublished)', async () => {
    const list = await flows.listAll(fx.orgs.dev, { includeDrafts: true }, signal);
    const drafts = list.filter(
      (f) => f.name === seedFlowNames.draftOnboarding || f.name === seedFlowNames.draftExpense,
    );
    assert.equal(drafts.length, 2);
    assert.ok(drafts.every((f) => f.state === 'draft'));
  });

  it('pages through the 2,000-flow environment: one request per page, every flow once', async () => {
    const seen = new Set<string>();
    let pages = 0;
    for await (const page of flows.iterate(fx.orgs.bulk, { pageSize: 250 }, signal)) {
      pages++;
      assert.ok(page.length <= 250);
      for (const f of page) {
        seen.add(f.id);
      }
    }
    assert.equal(seen.size, 2000);
    assert.equal(pages, 8);
    assert.equal(fx.requests.length, 8);
  });

  it('loads a page at a time for "Load more", following the next link as given', async () => {
    const first = await flows.listPage(fx.orgs.bulk, { pageSize: 100 }, signal);
    assert.equal(first.items.length, 100);
    assert.ok(first.nextLink);
    const second = await flows.listPage(fx.orgs.bulk, { pageSize: 100, nextLink: first.nextLink }, signal);
    assert.equal(second.items.length, 100);
    assert.ok(second.items.every((f) => !first.items.some((g) => g.id === f.id)));
    assert.equal(fx.requests[1], `GET ${first.nextLink}`);
  });

  it('filters by name on the server', async () => {
    const list = await flows.listAll(fx.orgs.dev, { nameContains: 'echo' }, signal);
    assert.ok(list.length >= 2);
    assert.ok(list.every((f) => f.name.toLowerCase().includes('echo')));
  });

  it('gets one flow, and says notFound for an unknown id or a cloud flow', async () => {
    const echo = await flows.get(fx.orgs.dev, seedIds.flows.echoText, signal);
    assert.equal(echo.name, seedFlowNames.echoText);
    const missing = await flows
      .get(fx.orgs.dev, '00000000-0000-4000-8000-000000000000', signal)
      .catch((e: unknown) => e);
    assert.ok(ApiError.is(missing, 'notFound'));
    assert.equal(missing.code, '0x80040217');
    assert.equal(missing.status, 404);
    assert.ok(missing.requestId);
    await assert.rejects(flows.get(fx.orgs.dev, seedIds.flows.cloudFlow, signal), (e: unknown) =>
      ApiError.is(e, 'notFound'),
    );
  });

  it('refuses a malformed id before sending anything', async () => {
    await assert.rejects(
      flows.get(fx.orgs.dev, 'not-a-guid', signal),
      (e: unknown) => ApiError.is(e, 'badRequest') && !e.mayHaveReachedService,
    );
    assert.equal(fx.requests.length, 0);
  });

  it('reads input and output schemas, parsed but raw', async () => {
    const schemas = await flows.getSchemas(fx.orgs.dev, seedIds.flows.echoText, signal);
    assert.equal(schemas.inputs?.schema?.type, 'object');
    assert.deepEqual(Object.keys(schemas.inputs?.schema?.properties ?? {}).sort(), [
      'inputInteger',
      'inputText',
    ]);
    assert.equal(schemas.inputs?.schema?.properties?.inputText?.type, 'string');
    assert.deepEqual(Object.keys(schemas.outputs?.schema?.properties ?? {}).sort(), [
      'outputInteger',
      'outputText',
    ]);
    assert.equal(
      fx.requests.filter((r) => r.includes('/inputs/$value') || r.includes('/outputs/$value')).length,
      2,
    );
  });

  it('returns an object schema without properties for a flow without variables', async () => {
    const schemas = await flows.getSchemas(fx.orgs.dev, seedIds.flows.legacySchema, signal);
    assert.deepEqual(schemas, {
      inputs: { schema: { type: 'object', properties: {} } },
      outputs: { schema: { type: 'object', properties: {} } },
    });
  });

  it('reads the schemas of a draft-only flow when drafts are included', async () => {
    await assert.rejects(flows.getSchemas(fx.orgs.dev, seedIds.flows.draftExpense, signal), (e: unknown) =>
      ApiError.is(e, 'notFound'),
    );
    const schemas = await flows.getSchemas(fx.orgs.dev, seedIds.flows.draftExpense, signal, {
      includeDrafts: true,
    });
    assert.deepEqual(Object.keys(schemas.outputs?.schema?.properties ?? {}), ['Flagged']);
  });

  it('says notFound for the schema of an unknown flow', async () => {
    await assert.rejects(
      flows.getSchema(fx.orgs.dev, '00000000-0000-4000-8000-000000000000', 'inputs', signal),
      (e: unknown) => ApiError.is(e, 'notFound') && e.code === '0x80040217',
    );
  });
});
