import assert from 'node:assert/strict';
import { seedIds, seedNames } from '../../../src/sandbox/seed';
import { errorOf, startHarness } from './sandboxHarness';
import type { DvResponse, Harness } from './sandboxHarness';

describe('sandbox: connections, connection references, machines and groups', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => h.close());

  async function powerApps(path: string, token = h.token(`${h.sandbox.url}/powerapps`)): Promise<DvResponse> {
    return h.dv(`${h.sandbox.url}/powerapps/providers/Microsoft.PowerApps${path}`, { token });
  }
  const envFilter = (id: string): string => `$filter=${encodeURIComponent(`environment eq '${id}'`)}`;

  it('lists the shared_uiflow connections of one environment with the documented shape', async () => {
    const r = await powerApps(
      `/apis/shared_uiflow/connections?api-version=2016-11-01&${envFilter(seedIds.environments.dev)}`,
    );
    assert.equal(r.status, 200);
    const value = r.json.value as {
      name: string;
      id: string;
      type: string;
      properties: Record<string, unknown>;
    }[];
    assert.equal(value.length, 8);
    const maker = value.find((c) => c.name === seedNames.connections.makerMachine);
    assert.ok(maker);
    assert.equal(maker.id, `/providers/Microsoft.PowerApps/apis/shared_uiflow/connections/${maker.name}`);
    assert.equal(maker.type, 'Microsoft.PowerApps/apis/connections');
    assert.equal(maker.properties.apiId, '/providers/Microsoft.PowerApps/apis/shared_uiflow');
    assert.deepEqual(maker.properties.statuses, [{ status: 'Connected' }]);
    assert.deepEqual(
      (maker.properties.environment as Record<string, unknown>).name,
      seedIds.environments.dev,
    );
    assert.deepEqual(maker.properties.connectionParametersSet, {
      name: 'azureRelay',
      values: { targetId: { value: seedIds.machineGroups.maker01 }, username: { value: 'CONTOSO\\maker' } },
    });
    const broken = value.find((c) => c.name === seedNames.connections.broken);
    assert.equal((broken?.properties.statuses as { status: string }[])[0]?.status, 'Error');
    const kinds = new Set(value.map((c) => (c.properties.connectionParametersSet as { name: string }).name));
    assert.deepEqual([...kinds].sort(), ['azureRelay', 'azureRelayRunOwner', 'azureRelaySignIn']);
    const all = await powerApps(`/connections?api-version=2016-11-01&${envFilter(seedIds.environments.dev)}`);
    assert.equal((all.json.value as unknown[]).length, 8);
    const bulk = await powerApps(
      `/apis/shared_uiflow/connections?api-version=2016-11-01&${envFilter(seedIds.environments.bulk)}`,
    );
    assert.deepEqual(
      (bulk.json.value as { name: string }[]).map((c) => c.name),
      [seedNames.connections.bulk],
    );
  });

  it('can hide connectionParametersSet, whose presence on real GETs is unconfirmed', async () => {
    h.sandbox.settings.connectionParametersOnGet = false;
    try {
      const r = await powerApps(
        `/apis/shared_uiflow/connections?api-version=2016-11-01&${envFilter(seedIds.environments.dev)}`,
      );
      const first = (r.json.value as { properties: Record<string, unknown> }[])[0];
      assert.equal(first?.properties.connectionParametersSet, undefined);
    } finally {
      h.sandbox.settings.connectionParametersOnGet = true;
    }
  });

  it('requires api-version and the environment filter, and reports unknown connections API-hub style', async () => {
    const noVersion = await powerApps(
      `/apis/shared_uiflow/connections?${envFilter(seedIds.environments.dev)}`,
    );
    assert.equal(noVersion.status, 400);
    assert.equal(errorOf(noVersion).code, 'MissingApiVersionParameter');
    const noFilter = await powerApps('/apis/shared_uiflow/connections?api-version=2016-11-01');
    assert.equal(noFilter.status, 400);
    assert.equal(errorOf(noFilter).code, 'MissingEnvironmentFilter');
    const otherFilter = await powerApps(
      `/apis/shared_uiflow/connections?api-version=2016-11-01&$filter=${encodeURIComponent("name eq 'x'")}`,
    );
    assert.equal(otherFilter.status, 400);
    const one = await powerApps(
      `/apis/shared_uiflow/connections/${seedNames.connections.financeBots}?api-version=2016-11-01&${envFilter(seedIds.environments.dev)}`,
    );
    assert.equal(one.status, 200);
    assert.equal(one.json.name, seedNames.connections.financeBots);
    const missing = await powerApps(
      `/apis/shared_uiflow/connections/shared-uiflow-nope?api-version=2016-11-01&${envFilter(seedIds.environments.dev)}`,
    );
    assert.equal(missing.status, 404);
    assert.equal(errorOf(missing).code, 'ConnectionNotFound');
    const unauthorized = await powerApps(
      '/apis/shared_uiflow/connections?api-version=2016-11-01',
      h.token('contoso-dev'),
    );
    assert.equal(unauthorized.status, 401);
    assert.equal(errorOf(unauthorized).code, 'InvalidAuthenticationTokenAudience');
  });

  it('answers the documented connection reference query', async () => {
    const r = await h.dv(
      "connectionreferences?$select=connectionreferenceid,connectionreferencelogicalname,connectionreferencedisplayname,connectionid,statecode&$filter=connectorid eq '/providers/Microsoft.PowerApps/apis/shared_uiflow'",
    );
    assert.equal(r.status, 200);
    const refs = r.json.value as Record<string, unknown>[];
    assert.deepEqual(refs.map((x) => x.connectionreferencelogicalname).sort(), [
      'cr_finance_bots',
      'cr_maker_machine',
      'cr_unbound',
    ]);
    assert.equal(refs.find((x) => x.connectionreferencelogicalname === 'cr_unbound')?.connectionid, null);
    const ends = await h.dv(
      "connectionreferences?$select=connectionreferencelogicalname&$filter=endswith(connectorid,'shared_uiflow')",
    );
    assert.equal((ends.json.value as unknown[]).length, 3);
  });

  it('lists machines with status and heartbeat, online and offline', async () => {
    const r = await h.dv(
      'flowmachines?$select=flowmachineid,name,statecode,statuscode,agentversion,lastheartbeatdate,hostingtype,sessioncapacity,_flowmachinegroupid_value&$orderby=name',
      { headers: { prefer: 'odata.include-annotations="*"' } },
    );
    const machines = r.json.value as Record<string, unknown>[];
    assert.deepEqual(
      machines.map((m) => m.name),
      ['DESKTOP-MAKER01', 'FIN-BOT-01', 'FIN-BOT-02', 'LAPTOP-OLD', 'VM-LOCKED'],
    );
    const offline = machines.find((m) => m.name === 'LAPTOP-OLD') as Record<string, unknown>;
    const online = machines.find((m) => m.name === 'FIN-BOT-01') as Record<string, unknown>;
    assert.ok(
      Date.parse(offline.lastheartbeatdate as string) <
        Date.parse(online.lastheartbeatdate as string) - 3_600_000,
    );
    assert.equal(online._flowmachinegroupid_value, seedIds.machineGroups.financeBots);
    assert.equal(
      online['_flowmachinegroupid_value@OData.Community.Display.V1.FormattedValue'],
      'Finance Bots',
    );
  });

  it('lists machine groups and their membership through the navigation property', async () => {
    const groups = await h.dv(
      'flowmachinegroups?$select=flowmachinegroupid,name,description,flowgrouptype,managementtype,preferredqueuingtype,statecode,statuscode,trytoreusewindowssession&$orderby=name',
    );
    const value = groups.json.value as Record<string, unknown>[];
    assert.equal(value.filter((g) => g.flowgrouptype === 545940001).length, 2);
    assert.equal(value.find((g) => g.name === 'Finance Bots')?.preferredqueuingtype, 1);
    const members = await h.dv(
      `flowmachinegroups(${seedIds.machineGroups.financeBots})/flowmachinegroup_flowmachine?$select=name,statuscode,lastheartbeatdate`,
    );
    assert.deepEqual((members.json.value as { name: string }[]).map((m) => m.name).sort(), [
      'FIN-BOT-01',
      'FIN-BOT-02',
    ]);
    const empty = await h.dv(
      `flowmachinegroups(${seedIds.machineGroups.emptyPool})/flowmachinegroup_flowmachine`,
    );
    assert.deepEqual(empty.json.value, []);
    const byGroup = await h.dv(
      `flowmachines?$select=name&$filter=_flowmachinegroupid_value eq ${seedIds.machineGroups.financeBots}`,
    );
    assert.equal((byGroup.json.value as unknown[]).length, 2);
  });

  it('changes machine state through /_sandbox/machines', async () => {
    const url = `${h.sandbox.url}/_sandbox/machines/contoso-dev/${seedIds.machines.laptopOffline}`;
    const r = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ maintenance: true }),
    });
    assert.equal(r.status, 200);
    const m = await h.dv(`flowmachines(${seedIds.machines.laptopOffline})?$select=statecode,statuscode`);
    assert.deepEqual([m.json.statecode, m.json.statuscode], [2, 4]);
    await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ maintenance: false }),
    });
  });
});
