import assert from 'node:assert/strict';
import { seedIds, seedNames } from '../../../src/sandbox/seed';
import { settle, startHarness } from './sandboxHarness';
import type { Harness } from './sandboxHarness';

describe('sandbox: flowsession queries', () => {
  let h: Harness;
  const ids: string[] = [];
  before(async () => {
    h = await startHarness();
    for (const [flow, connection] of [
      [seedIds.flows.quickPing, seedNames.connections.makerMachine],
      [seedIds.flows.quickPing, seedNames.connections.financeBots],
      [seedIds.flows.echoText, seedNames.connections.makerMachine],
      [seedIds.flows.quickPing, seedNames.connections.offlineMachine],
    ] as const) {
      const r = await h.dv(`workflows(${flow})/Microsoft.Dynamics.CRM.RunDesktopFlow`, {
        body: { runMode: 'unattended', connectionName: connection },
      });
      ids.push(r.json.flowsessionId as string);
      // Distinct creation times, a minute apart.
      h.sandbox.clock.advance(60_000);
      await settle();
    }
  });
  after(() => h.close());

  const values = async (query: string, prefer?: string): Promise<Record<string, unknown>[]> => {
    const r = await h.dv(`flowsessions?${query}`, prefer === undefined ? {} : { headers: { prefer } });
    assert.equal(r.status, 200, r.text);
    return r.json.value as Record<string, unknown>[];
  };
  const idsOf = (rows: Record<string, unknown>[]): string[] => rows.map((r) => r.flowsessionid as string);

  it('lists the run history of a flow, newest first, with the documented columns', async () => {
    const rows = await values(
      `$select=flowsessionid,name,statuscode,statecode,createdon,startedon,completedon,runmode,triggertype,errorcode,errormessage,_machineid_value,_machinegroupid_value,_ownerid_value,runduration&$filter=_regardingobjectid_value eq ${seedIds.flows.quickPing}&$orderby=createdon desc`,
      'odata.include-annotations="*",odata.maxpagesize=50',
    );
    assert.deepEqual(idsOf(rows), [ids[3], ids[1], ids[0]]);
    assert.equal(rows[0]?.['statuscode@OData.Community.Display.V1.FormattedValue'], 'Waiting');
    const seeded = await values(
      `$select=statuscode,errorcode&$filter=_regardingobjectid_value eq ${seedIds.flows.invoice}&$orderby=createdon asc`,
    );
    assert.deepEqual(
      seeded.map((r) => r.statuscode),
      [4, 8, 10],
    );
  });

  it('watches several runs with one request: or-ed ids and Microsoft.Dynamics.CRM.In', async () => {
    const some = [ids[0], ids[2], ids[3]] as string[];
    const ored = await values(
      `$select=statuscode&$filter=${some.map((id) => `flowsessionid eq ${id}`).join(' or ')}`,
    );
    assert.deepEqual(idsOf(ored).sort(), [...some].sort());
    const inList = await values(
      `$select=statuscode&$filter=Microsoft.Dynamics.CRM.In(PropertyName='flowsessionid',PropertyValues=[${some.map((id) => `'${id}'`).join(',')}])`,
    );
    assert.deepEqual(idsOf(inList).sort(), [...some].sort());
  });

  it('filters by status, creation time and connection', async () => {
    const active = await values('$select=statuscode&$filter=statuscode eq 2 or statuscode eq 3');
    assert.ok(idsOf(active).includes(ids[3] as string), 'the offline run is still queued');
    const created = (await h.dv(`flowsessions(${ids[2] as string})?$select=createdon`)).json
      .createdon as string;
    const recent = await values(`$select=createdon&$filter=createdon ge ${created} and triggertype eq 3`);
    assert.deepEqual(idsOf(recent).sort(), [ids[2], ids[3]].sort());
    const viaBots = await values(
      `$select=connectionid&$filter=connectionid eq '${seedNames.connections.financeBots}'`,
    );
    assert.deepEqual(idsOf(viaBots), [ids[1]]);
    const byGroup = await values(
      `$select=name&$filter=_machinegroupid_value eq ${seedIds.machineGroups.laptopOffline}`,
    );
    assert.deepEqual(idsOf(byGroup), [ids[3]]);
    const groupRuns = await h.dv(
      `flowmachinegroups(${seedIds.machineGroups.financeBots})/flowmachinegroup_flowsession_MachineGroupId?$select=name`,
    );
    assert.deepEqual(idsOf(groupRuns.json.value as Record<string, unknown>[]), [ids[1]]);
  });

  it('pages runs and honours $top and $select', async () => {
    const first = await h.dv('flowsessions?$select=name&$orderby=createdon desc', {
      headers: { prefer: 'odata.maxpagesize=3' },
    });
    assert.equal((first.json.value as unknown[]).length, 3);
    const next = await h.dv(first.json['@odata.nextLink'] as string);
    const total = (first.json.value as unknown[]).length + (next.json.value as unknown[]).length;
    assert.equal(total, 4 + 5, 'four new runs and five seeded');
    const top = await values('$select=name&$top=2');
    assert.equal(top.length, 2);
    assert.deepEqual(Object.keys(top[0] as object).sort(), ['@odata.etag', 'flowsessionid', 'name']);
  });

  it('rejects unknown columns in $filter and $select', async () => {
    const r = await h.dv('flowsessions?$filter=status eq 4');
    assert.equal(r.status, 400);
    assert.equal((r.json.error as { code: string }).code, '0x0');
  });
});
