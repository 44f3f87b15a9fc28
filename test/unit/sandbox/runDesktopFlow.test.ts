import assert from 'node:assert/strict';
import { seedIds, seedNames } from '../../../src/sandbox/seed';
import { errorOf, settle, startHarness } from './sandboxHarness';
import type { DvResponse, Harness } from './sandboxHarness';

const run = (flowId: string): string => `workflows(${flowId})/Microsoft.Dynamics.CRM.RunDesktopFlow`;

describe('sandbox: RunDesktopFlow validation and response', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => h.close());

  const start = (body: unknown, flow = seedIds.flows.quickPing, env = 'contoso-dev'): Promise<DvResponse> =>
    h.dv(run(flow), { env, body });
  const ok = { runMode: 'unattended', connectionName: seedNames.connections.makerMachine };

  it('answers the documented request with flowsessionId and an inline licenseCheck', async () => {
    const r = await start(
      {
        runMode: 'attended',
        runPriority: 'normal',
        connectionName: seedNames.connections.makerMachine,
        timeout: 7200,
        inputs: JSON.stringify({ inputText: 'Value', inputInteger: 3 }),
      },
      seedIds.flows.echoText,
    );
    assert.equal(r.status, 200);
    assert.deepEqual(Object.keys(r.json), ['@odata.context', 'flowsessionId', 'licenseCheck']);
    assert.equal(
      r.json['@odata.context'],
      `${h.api()}$metadata#Microsoft.Dynamics.CRM.RunDesktopFlowResponse`,
    );
    assert.deepEqual(r.json.licenseCheck, {
      '@odata.context': '#Microsoft.Dynamics.CRM.expando',
      code: 'ValidLicenseCoverage',
      message: 'Valid License Coverage',
    });
    const s = await h.dv(
      `flowsessions(${r.json.flowsessionId as string})?$select=statuscode,statecode,triggertype,runmode,_regardingobjectid_value,connectionid,startedon`,
    );
    assert.deepEqual(
      [
        s.json.statuscode,
        s.json.statecode,
        s.json.triggertype,
        s.json.runmode,
        s.json._regardingobjectid_value,
        s.json.connectionid,
        s.json.startedon,
      ],
      [3, 0, 3, 1, seedIds.flows.echoText, seedNames.connections.makerMachine, null],
    );
  });

  it('resolves a connection reference with connectionType 2', async () => {
    const r = await start({
      runMode: 'unattended',
      connectionName: seedNames.connectionReferences.financeBots,
      connectionType: 2,
    });
    assert.equal(r.status, 200);
    const s = await h.dv(
      `flowsessions(${r.json.flowsessionId as string})?$select=connectionid,_machinegroupid_value`,
    );
    assert.equal(s.json.connectionid, seedNames.connections.financeBots);
    assert.equal(s.json._machinegroupid_value, seedIds.machineGroups.financeBots);
  });

  it('rejects every invalid parameter with a Dataverse 400', async () => {
    const big = (bytes: number): string => JSON.stringify({ inputText: 'x'.repeat(bytes) });
    const cases: [string, unknown, string][] = [
      ['missing runMode', { connectionName: ok.connectionName }, '0x80048d19'],
      ['missing connectionName', { runMode: 'attended' }, '0x80048d19'],
      ['unknown runMode', { ...ok, runMode: 'background' }, '0x80040203'],
      ['connectionType 3', { ...ok, connectionType: 3 }, '0x80040203'],
      ['timeout 0', { ...ok, timeout: 0 }, '0x80040203'],
      ['timeout over 24 h', { ...ok, timeout: 86_401 }, '0x80040203'],
      ['timeout not an integer', { ...ok, timeout: 'soon' }, '0x80048d19'],
      ['inputs not a string', { ...ok, inputs: { a: 1 } }, '0x80048d19'],
      ['inputs not JSON', { ...ok, inputs: '{nope' }, '0x80040203'],
      ['inputs a JSON array', { ...ok, inputs: '[1]' }, '0x80040203'],
      ['inputs over 2 MB', { ...ok, inputs: big(2 * 1024 * 1024) }, '0x80040203'],
      ['unknown parameter', { ...ok, priority: 'high' }, '0x80048d19'],
      ['unknown connection', { ...ok, connectionName: 'shared-uiflow-nope' }, '0x80040203'],
      ['unknown connection reference', { ...ok, connectionName: 'cr_nope', connectionType: 2 }, '0x80040203'],
      [
        'unbound connection reference',
        { ...ok, connectionName: 'cr_unbound', connectionType: 2 },
        '0x80040203',
      ],
      [
        'non-desktop-flow reference',
        { ...ok, connectionName: 'cr_outlook', connectionType: 2 },
        '0x80040203',
      ],
      [
        'sign-in connection unattended',
        { ...ok, connectionName: seedNames.connections.signIn },
        '0x80040203',
      ],
      ['callback on loopback', { ...ok, callbackUrl: 'https://127.0.0.1/cb' }, '0x80040203'],
      ['callback over http', { ...ok, callbackUrl: 'http://hooks.example.com/cb' }, '0x80040203'],
      ['body not JSON', '{', '0x80048d19'],
    ];
    for (const [what, body, code] of cases) {
      const r = await start(body);
      assert.equal(r.status, 400, what);
      assert.equal(errorOf(r).code, code, what);
    }
    assert.equal((await start(ok, seedIds.flows.draftOnboarding)).status, 400, 'draft-only flow');
    assert.equal((await start(ok, seedIds.flows.cloudFlow)).status, 400, 'cloud flow');
    const unknown = await start(ok, '00000000-0000-4000-8000-000000000000');
    assert.equal(unknown.status, 404);
    assert.equal(errorOf(unknown).code, '0x80040217');
    const get = await h.dv(run(seedIds.flows.quickPing));
    assert.equal(get.status, 404);
    assert.equal(errorOf(get).code, '');
  });

  it('accepts inputs up to 2 MB, but only 1 MB in the China-cloud environment', async () => {
    const inputs = JSON.stringify({ payload: 'x'.repeat(1536 * 1024) });
    const bulkFlow = (await h.dv('workflows?$select=workflowid&$top=1', { env: 'contoso-bulk' })).json
      .value as { workflowid: string }[];
    const flowId = bulkFlow[0]?.workflowid as string;
    const china = await start(
      { runMode: 'unattended', connectionName: seedNames.connections.bulk, inputs },
      flowId,
      'contoso-bulk',
    );
    assert.equal(china.status, 400);
    assert.match(errorOf(china).message, /1048576 bytes/);
    const small = await start(
      {
        runMode: 'unattended',
        connectionName: seedNames.connections.bulk,
        inputs: JSON.stringify({ payload: 'x' }),
      },
      flowId,
      'contoso-bulk',
    );
    assert.equal(small.status, 200);
    const public_ = await start({ ...ok, inputs });
    assert.equal(public_.status, 200);
  });

  it('limits RunDesktopFlow to 70 calls per minute per connection with 429 and Retry-After', async () => {
    const limited = await startHarness();
    try {
      const body = { runMode: 'unattended', connectionName: seedNames.connections.financeBots };
      for (let i = 0; i < 70; i++) {
        const r = await limited.dv(run(seedIds.flows.quickPing), { body });
        assert.equal(r.status, 200, `call ${i + 1}`);
      }
      const over = await limited.dv(run(seedIds.flows.quickPing), { body });
      assert.equal(over.status, 429);
      assert.equal(errorOf(over).code, '0x80072322');
      assert.ok(Number(over.headers.get('retry-after')) <= 60);
      // Sped up tenfold, the rest of the minute is a few real seconds: Retry-After is in real seconds.
      limited.sandbox.clock.setSpeed(10);
      const faster = await limited.dv(run(seedIds.flows.quickPing), { body });
      assert.equal(faster.status, 429);
      const retryAfter = Number(faster.headers.get('retry-after'));
      assert.ok(
        Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 6,
        `Retry-After ${retryAfter}`,
      );
      const otherConnection = await limited.dv(run(seedIds.flows.quickPing), {
        body: { ...body, connectionName: seedNames.connections.makerMachine },
      });
      assert.equal(otherConnection.status, 200, 'the limit is per connection');
      limited.sandbox.clock.advance(60_000);
      await settle();
      assert.equal((await limited.dv(run(seedIds.flows.quickPing), { body })).status, 200, 'a minute later');
    } finally {
      await limited.close();
    }
  });
});
