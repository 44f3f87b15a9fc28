import assert from 'node:assert/strict';
import { seedFlowNames, seedIds } from '../../../src/sandbox/seed';
import { errorOf, startHarness } from './sandboxHarness';
import type { Harness } from './sandboxHarness';

interface Page {
  value: Record<string, unknown>[];
  '@odata.nextLink'?: string;
  '@odata.context': string;
  '@odata.count'?: number;
}

describe('sandbox: workflows (desktop flows)', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => h.close());

  it('answers the documented list query with the documented shape', async () => {
    const r = await h.dv('workflows?$filter=category eq 6&$select=name,workflowid&$orderby=name');
    assert.equal(r.status, 200);
    const body = r.json as unknown as Page;
    assert.equal(body['@odata.context'], `${h.api()}$metadata#workflows(name,workflowid)`);
    const first = body.value[0] as Record<string, unknown>;
    assert.deepEqual(Object.keys(first), ['@odata.etag', 'name', 'workflowid']);
    assert.match(first['@odata.etag'] as string, /^W\/"\d+"$/);
    const names = body.value.map((v) => v.name as string);
    assert.deepEqual(
      names,
      [...names].sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase())),
    );
    assert.ok(!names.includes(seedFlowNames.cloudFlow), 'category 5 is filtered out');
    assert.equal(r.headers.get('odata-version'), '4.0');
  });

  it('answers the recommended richer query with annotations and paging', async () => {
    const r = await h.dv(
      'workflows?$select=workflowid,name,description,statecode,statuscode,modifiedon,createdon,uiflowtype,schemaversion,ismanaged,_ownerid_value,_modifiedby_value,workflowidunique&$filter=category eq 6&$orderby=modifiedon desc',
      { env: 'contoso-bulk', headers: { prefer: 'odata.include-annotations="*",odata.maxpagesize=250' } },
    );
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('preference-applied'), 'odata.maxpagesize=250,odata.include-annotations="*"');
    const rows = r.json.value as Record<string, unknown>[];
    assert.equal(rows.length, 250);
    const modified = rows.map((x) => Date.parse(x.modifiedon as string));
    assert.deepEqual(
      modified,
      [...modified].sort((a, b) => b - a),
    );
    assert.equal(rows[0]?.['uiflowtype@OData.Community.Display.V1.FormattedValue'], 'Power Automate Desktop');
    assert.equal(typeof rows[0]?.['modifiedon@OData.Community.Display.V1.FormattedValue'], 'string');
  });

  it('lists drafts only with MSCRM.IncludeUnpublished: true', async () => {
    const q = 'workflows?$filter=category eq 6&$select=name';
    const published = ((await h.dv(q)).json as unknown as Page).value.map((v) => v.name);
    const all = (
      (await h.dv(q, { headers: { 'MSCRM.IncludeUnpublished': 'true' } })).json as unknown as Page
    ).value.map((v) => v.name);
    assert.ok(!published.includes(seedFlowNames.draftOnboarding));
    assert.ok(all.includes(seedFlowNames.draftOnboarding));
    assert.equal(all.length, published.length + 2);
    const draft = await h.dv(`workflows(${seedIds.flows.draftOnboarding})`);
    assert.equal(draft.status, 404);
  });

  it('pages through all 2,000 flows with odata.maxpagesize, following nextLink unchanged', async () => {
    let url: string | undefined =
      `${h.api('contoso-bulk')}workflows?$filter=category eq 6&$select=name&$orderby=name desc`;
    const seen = new Set<string>();
    let pages = 0;
    while (url !== undefined) {
      const r = await h.dv(url, { env: 'contoso-bulk', headers: { prefer: 'odata.maxpagesize=300' } });
      assert.equal(r.status, 200);
      assert.equal(r.headers.get('preference-applied'), 'odata.maxpagesize=300');
      const page = r.json as unknown as Page;
      page.value.forEach((v) => seen.add(v.workflowid as string));
      url = page['@odata.nextLink'];
      if (url !== undefined) {
        assert.equal(page.value.length, 300);
        assert.match(url, /\$skiptoken=/);
        assert.ok(url.includes('$orderby=name desc') || url.includes('$orderby=name%20desc'));
      }
      pages++;
      assert.ok(pages <= 10, 'bounded');
    }
    assert.equal(seen.size, 2000);
    assert.equal(pages, 7);
  });

  it('returns at most 5,000 rows without a page size, honours $top alone, ignores $top with maxpagesize', async () => {
    const all = (await h.dv('workflows?$select=name', { env: 'contoso-bulk' })).json as unknown as Page;
    assert.equal(all.value.length, 2000);
    assert.equal(all['@odata.nextLink'], undefined);
    const top = (await h.dv('workflows?$select=name&$top=5', { env: 'contoso-bulk' }))
      .json as unknown as Page;
    assert.equal(top.value.length, 5);
    assert.equal(top['@odata.nextLink'], undefined);
    const both = (
      await h.dv('workflows?$select=name&$top=5', {
        env: 'contoso-bulk',
        headers: { prefer: 'odata.maxpagesize=10' },
      })
    ).json as unknown as Page;
    assert.equal(both.value.length, 10);
    assert.ok(both['@odata.nextLink']);
    const clamped = await h.dv('workflows?$select=name', {
      env: 'contoso-bulk',
      headers: { prefer: 'odata.maxpagesize=9000' },
    });
    assert.equal(clamped.headers.get('preference-applied'), 'odata.maxpagesize=5000');
    const counted = (await h.dv('workflows?$select=name&$count=true&$top=1', { env: 'contoso-bulk' }))
      .json as unknown as Page;
    assert.equal(counted['@odata.count'], 2000);
  });

  it('returns one record with /$entity context, only the selected columns plus the key', async () => {
    const r = await h.dv(`workflows(${seedIds.flows.invoice})?$select=name,statecode`);
    assert.equal(r.status, 200);
    assert.equal(r.json['@odata.context'], `${h.api()}$metadata#workflows(name,statecode)/$entity`);
    assert.deepEqual(Object.keys(r.json).sort(), [
      '@odata.context',
      '@odata.etag',
      'name',
      'statecode',
      'workflowid',
    ]);
    const full = await h.dv(`workflows(${seedIds.flows.invoice})`);
    assert.equal(full.json.category, 6);
    assert.equal(full.json.uiflowtype, 2);
  });

  it('serves inputs/$value as raw JSON text: the documented sample verbatim, and typed schemas', async () => {
    const sample = await h.dv(`workflows(${seedIds.flows.echoText})/inputs/$value`);
    assert.equal(sample.status, 200);
    const schema = JSON.parse(sample.text) as {
      schema: { type: string; properties: Record<string, Record<string, unknown>> };
    };
    assert.equal(schema.schema.type, 'object');
    assert.deepEqual(schema.schema.properties.inputInteger, {
      default: '',
      description: '',
      format: null,
      title: 'inputInteger',
      type: 'number',
      value: '0',
    });
    const typed = JSON.parse((await h.dv(`workflows(${seedIds.flows.echoAllTypes})/inputs/$value`)).text) as {
      schema: { properties: Record<string, Record<string, unknown>>; required: string[] };
    };
    const p = typed.schema.properties;
    assert.deepEqual(
      ['Text', 'Number', 'Flag', 'Customer', 'Items', 'Table', 'Secret'].map((n) => p[n]?.type),
      ['string', 'number', 'boolean', 'object', 'array', 'array', 'string'],
    );
    assert.equal(p.Table?.format, 'datatable');
    assert.equal(p.Secret?.['x-ms-sensitive'], true);
    assert.ok(!typed.schema.required.includes('Comment'), 'optional input is not required');
    const outputs = JSON.parse(
      (await h.dv(`workflows(${seedIds.flows.echoAllTypes})/outputs/$value`)).text,
    ) as {
      schema: { properties: Record<string, Record<string, unknown>> };
    };
    assert.equal(outputs.schema.properties.Text?.value, null);
    const missing = await h.dv('workflows(00000000-0000-4000-8000-000000000000)/inputs/$value');
    assert.equal(missing.status, 404);
    assert.equal(errorOf(missing).code, '0x80040217');
  });

  it('returns property values and formatted annotations on request', async () => {
    const name = await h.dv(`workflows(${seedIds.flows.invoice})/name`);
    assert.equal(name.json.value, seedFlowNames.invoice);
    const annotated = await h.dv(`workflows(${seedIds.flows.invoice})?$select=statecode,_ownerid_value`, {
      headers: { prefer: 'odata.include-annotations="*"' },
    });
    assert.equal(annotated.json['statecode@OData.Community.Display.V1.FormattedValue'], 'Activated');
    assert.equal(annotated.json['_ownerid_value@Microsoft.Dynamics.CRM.lookuplogicalname'], 'systemuser');
    assert.equal(annotated.json['_ownerid_value@OData.Community.Display.V1.FormattedValue'], 'Sandbox Maker');
    const plain = await h.dv(`workflows(${seedIds.flows.invoice})?$select=statecode`);
    assert.equal(plain.json['statecode@OData.Community.Display.V1.FormattedValue'], undefined);
  });

  it('rejects unknown properties, malformed keys, unknown ids, sets and query options with Dataverse errors', async () => {
    const cases: [string, number, string][] = [
      ['workflows?$select=nmae', 400, '0x0'],
      ["workflows?$filter=colour eq 'red'", 400, '0x0'],
      ['workflows?$orderby=nope', 400, '0x0'],
      ['workflows(not-a-guid)', 400, '0x80060888'],
      [`workflows({${seedIds.flows.invoice}})`, 400, '0x80060888'],
      ['workflows(00000000-0000-4000-8000-000000000000)', 404, '0x80040217'],
      ['Workflows', 404, '0x8006088a'],
      ['workflowz?$top=1', 404, '0x8006088a'],
      ['workflows?$skip=10', 400, '0x0'],
      ['workflows?$search=x', 400, '0x0'],
      ['workflows?$filter=category eq', 400, '0x80060888'],
      [`workflows(${seedIds.flows.invoice})/Microsoft.Dynamics.CRM.NoSuchAction`, 404, '0x8006088a'],
    ];
    for (const [path, status, code] of cases) {
      const r = await h.dv(path);
      assert.equal(r.status, status, path);
      assert.equal(errorOf(r).code, code, path);
      assert.equal(typeof errorOf(r).message, 'string');
    }
    const annotated = await h.dv('workflows?$select=nmae', {
      headers: { prefer: 'odata.include-annotations="*"' },
    });
    assert.ok('@Microsoft.PowerApps.CDS.TraceText' in (annotated.json.error as Record<string, unknown>));
    assert.equal((await h.dv('workflows', { method: 'DELETE' })).status, 405);
  });

  it('expands single-valued and collection navigations with nested $select', async () => {
    const groups = await h.dv(
      `flowmachinegroups?$select=name&$filter=flowgrouptype eq 545940001&$orderby=name&$expand=flowmachinegroup_flowmachine($select=name)`,
    );
    const value = groups.json.value as { name: string; flowmachinegroup_flowmachine: { name: string }[] }[];
    assert.deepEqual(
      value.map((g) => [g.name, g.flowmachinegroup_flowmachine.map((m) => m.name).sort()]),
      [
        ['Empty Pool', []],
        ['Finance Bots', ['FIN-BOT-01', 'FIN-BOT-02']],
      ],
    );
    const machine = await h.dv(
      `flowmachines(${seedIds.machines.finBot01})?$select=name&$expand=FlowMachineGroupId($select=name)`,
    );
    assert.deepEqual((machine.json.FlowMachineGroupId as Record<string, unknown>).name, 'Finance Bots');
  });
});
