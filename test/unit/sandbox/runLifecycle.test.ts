import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { seedIds, seedNames } from '../../../src/sandbox/seed';
import { errorOf, settle, startHarness, waitFor } from './sandboxHarness';
import type { Harness } from './sandboxHarness';

const select = 'statuscode,statecode,startedon,completedon,errorcode,errormessage,_machineid_value';

describe('sandbox: runs behave like runs', () => {
  let h: Harness;
  // One sandbox for the file (starting one costs a key generation); tests use separate connections or
  // let their runs finish, so they do not disturb each other's queues.
  before(async () => {
    h = await startHarness();
  });
  after(() => h.close());
  afterEach(async () => {
    Object.assign(h.sandbox.settings, { cancelFinishedRun: 'error', allowLoopbackCallbacks: false });
    // Let every run of the test finish (or time out in the queue) so the machines are free again.
    for (let i = 0; i < 8; i++) {
      h.sandbox.clock.advance(3_600_000);
      await settle();
    }
  });

  async function trigger(
    flow: string,
    connectionName: string,
    extra: Record<string, unknown> = {},
    token?: string,
  ): Promise<string> {
    const r = await h.dv(`workflows(${flow})/Microsoft.Dynamics.CRM.RunDesktopFlow`, {
      body: { runMode: 'unattended', connectionName, ...extra },
      ...(token === undefined ? {} : { token }),
    });
    assert.equal(r.status, 200, r.text);
    return r.json.flowsessionId as string;
  }
  async function session(id: string): Promise<Record<string, unknown>> {
    const r = await h.dv(`flowsessions(${id})?$select=${select}`);
    assert.equal(r.status, 200, r.text);
    return r.json;
  }
  async function advance(seconds: number): Promise<void> {
    h.sandbox.clock.advance(seconds * 1000);
    await settle();
  }

  it('goes Waiting → Running → Succeeded, with machine, times and echoed outputs', async () => {
    const inputs = { inputText: 'hello', inputInteger: 42 };
    const id = await trigger(seedIds.flows.echoText, seedNames.connections.makerMachine, {
      inputs: JSON.stringify(inputs),
    });
    assert.equal((await session(id)).statuscode, 3);
    const early = await h.dv(`flowsessions(${id})/outputs/$value`);
    assert.equal(early.status, 404, 'no outputs before success');
    await advance(1);
    const running = await session(id);
    assert.equal(running.statuscode, 2);
    assert.equal(running._machineid_value, seedIds.machines.maker01);
    assert.equal(typeof running.startedon, 'string');
    assert.equal(running.completedon, null);
    await advance(20);
    const doc = await h.dv(`flowsessions(${id})?$select=statuscode,statecode,startedon,completedon`);
    assert.equal(
      doc.json['@odata.context'],
      `${h.api()}$metadata#flowsessions(statuscode,statecode,startedon,completedon)/$entity`,
    );
    assert.match(doc.json['@odata.etag'] as string, /^W\/"\d+"$/);
    const done = await session(id);
    assert.deepEqual([done.statuscode, done.statecode, done.errorcode], [4, 0, null]);
    assert.ok(Date.parse(done.completedon as string) - Date.parse(done.startedon as string) >= 19_000);
    const outputs = await h.dv(`flowsessions(${id})/outputs/$value`);
    assert.equal(outputs.status, 200);
    assert.deepEqual(JSON.parse(outputs.text), { outputText: 'hello', outputInteger: 42 });
    assert.equal(outputs.headers.get('x-ms-file-name'), 'outputs.json');
    assert.equal(outputs.headers.get('x-ms-file-size'), String(Buffer.byteLength(outputs.text)));
    const ranged = await h.dv(`flowsessions(${id})/outputs/$value`, { headers: { range: 'bytes=0-9' } });
    assert.equal(ranged.status, 206);
    assert.equal(ranged.text, outputs.text.slice(0, 10));
    const v2 = await h.dv(`flowsessions(${id})/flowsession_flowlog_parentobjectid?$select=data,type,level`);
    assert.deepEqual(v2.json.value, [], 'API-triggered runs write no V2 logs');
  });

  it('round-trips every variable type, and hides sensitive values in logs and stored inputs', async () => {
    const inputs = {
      Text: 'abc',
      Number: 3.5,
      Flag: true,
      Customer: { name: 'Fabrikam', id: 7 },
      Items: ['a', 'b'],
      Table: [{ Col: 1 }, { Col: 2 }],
      Secret: 'hunter2',
    };
    const id = await trigger(seedIds.flows.echoAllTypes, seedNames.connections.makerMachine, {
      inputs: JSON.stringify(inputs),
    });
    await advance(1);
    await advance(10);
    assert.deepEqual(JSON.parse((await h.dv(`flowsessions(${id})/outputs/$value`)).text), inputs);
    const stored = JSON.parse((await h.dv(`flowsessions(${id})/inputs/$value`)).text) as Record<
      string,
      unknown
    >;
    assert.equal(stored.Secret, '***');
    assert.equal(stored.Text, 'abc');
    const log = (await h.dv(`flowsessions(${id})/additionalcontext/$value`)).text;
    assert.ok(!log.includes('hunter2'));
    const optional = await trigger(seedIds.flows.optionalInputs, seedNames.connections.makerMachine, {
      inputs: JSON.stringify({ Required: 'r' }),
    });
    await advance(1);
    await advance(5);
    assert.deepEqual(JSON.parse((await h.dv(`flowsessions(${optional})/outputs/$value`)).text), {
      Required: 'r',
      OptionalText: 'fallback',
      OptionalNumber: 5,
      OptionalList: ['a'],
    });
  });

  it('writes V1 action logs as the run goes, and fails with the flow error code', async () => {
    const id = await trigger(seedIds.flows.scrapePortal, seedNames.connections.makerMachine);
    await advance(1);
    await advance(17);
    const partial = JSON.parse((await h.dv(`flowsessions(${id})/additionalcontext/$value`)).text) as {
      actions: { status: string }[];
      childFlowsLogStatus: string;
    };
    assert.equal(partial.childFlowsLogStatus, 'Default');
    assert.equal(partial.actions.length, 2);
    await advance(30);
    const failed = await session(id);
    assert.equal(failed.statuscode, 8);
    assert.equal(failed.errorcode, 'ActionFailed');
    assert.match(failed.errormessage as string, /Next page/);
    const log = JSON.parse((await h.dv(`flowsessions(${id})/additionalcontext/$value`)).text) as {
      actions: {
        index: number;
        name: string;
        status: string;
        startTime: string;
        endTime: string;
        error?: { code: string };
      }[];
    };
    assert.deepEqual(
      log.actions.map((a) => [a.index, a.status]),
      [
        [1, 'Succeeded'],
        [2, 'Succeeded'],
        [3, 'Succeeded'],
        [4, 'Failed'],
      ],
    );
    assert.equal(log.actions[3]?.error?.code, 'ActionFailed');
    const legacy = await trigger(seedIds.flows.legacySchema, seedNames.connections.makerMachine);
    await advance(1);
    await advance(3);
    assert.equal((await session(legacy)).errorcode, 'UnsupportedRpaScriptSchemaVersion');
  });

  it('fails attended runs without an unlocked session, unattended runs over an existing one, and empty groups', async () => {
    const attended = await trigger(seedIds.flows.quickPing, seedNames.connections.lockedMachine, {
      runMode: 'attended',
    });
    const unattended = await trigger(seedIds.flows.quickPing, seedNames.connections.lockedMachine);
    const empty = await trigger(seedIds.flows.quickPing, seedNames.connections.emptyGroup);
    const broken = await trigger(seedIds.flows.quickPing, seedNames.connections.broken);
    const attendedOk = await trigger(seedIds.flows.quickPing, seedNames.connections.signIn, {
      runMode: 'attended',
    });
    await advance(1);
    assert.equal((await session(attended)).errorcode, 'NoUnlockedActiveSessionForAttended');
    assert.equal((await session(unattended)).errorcode, 'SessionExistsForTheUserWhenUnattended');
    assert.equal((await session(empty)).errorcode, 'GroupIsEmpty');
    assert.equal((await session(broken)).errorcode, 'WindowsIdentityIncorrect');
    for (const id of [attended, unattended, empty, broken]) {
      const s = await session(id);
      assert.equal(s.statuscode, 8);
      assert.equal(typeof s.completedon, 'string');
    }
    assert.equal((await session(attendedOk)).statuscode, 2);
  });

  it('keeps runs for an offline machine queued, then fails them with NoCandidateMachine after 6 h', async () => {
    const id = await trigger(seedIds.flows.quickPing, seedNames.connections.offlineMachine);
    await advance(3600);
    assert.equal((await session(id)).statuscode, 3);
    await advance(5 * 3600);
    const s = await session(id);
    assert.equal(s.statuscode, 8);
    assert.equal(s.errorcode, 'NoCandidateMachine');
    assert.equal(s.startedon, null);
  });

  it('enforces the timeout with TimedOut', async () => {
    const id = await trigger(seedIds.flows.longReport, seedNames.connections.makerMachine, { timeout: 60 });
    await advance(1);
    await advance(59);
    assert.equal((await session(id)).statuscode, 2);
    await advance(2);
    const s = await session(id);
    assert.equal(s.statuscode, 10);
    assert.equal(s.errorcode, 'DesktopFlowsActionTimeout');
  });

  it('runs one at a time per machine: high priority first, then first in first out', async () => {
    // FIN-BOT-01 is the only machine of Finance Bots without a CONTOSO\botuser session.
    const started: string[] = [];
    const subscription = h.sandbox.engine.onDidChangeRun(
      (c) => c.statuscode === 2 && started.push(c.flowsessionId),
    );
    const n1 = await trigger(seedIds.flows.quickPing, seedNames.connections.financeBots);
    const n2 = await trigger(seedIds.flows.quickPing, seedNames.connections.financeBots);
    const hi = await trigger(seedIds.flows.quickPing, seedNames.connections.financeBots, {
      runPriority: 'high',
    });
    const n3 = await trigger(seedIds.flows.quickPing, seedNames.connections.financeBots);
    for (let i = 0; i < 4; i++) {
      await advance(1);
      await advance(2);
    }
    subscription.dispose();
    assert.deepEqual(started, [hi, n1, n2, n3]);
    for (const id of [n1, n2, hi, n3]) {
      const s = await session(id);
      assert.equal(s.statuscode, 4);
      assert.equal(s._machineid_value, seedIds.machines.finBot01);
    }
  });

  it('cancels queued and running runs (204 → Cancelled) and refuses finished ones unless switched to 204', async () => {
    const cancel = (id: string, token?: string): ReturnType<Harness['dv']> =>
      h.dv(`flowsessions(${id})/Microsoft.Dynamics.CRM.CancelDesktopFlowRun`, {
        method: 'POST',
        ...(token === undefined ? {} : { token }),
      });
    const running = await trigger(seedIds.flows.longReport, seedNames.connections.makerMachine);
    const queued = await trigger(seedIds.flows.quickPing, seedNames.connections.offlineMachine);
    await advance(1);
    assert.equal((await session(running)).statuscode, 2);
    assert.equal((await cancel(running)).status, 204);
    assert.equal((await cancel(queued)).status, 204);
    for (const id of [running, queued]) {
      const s = await session(id);
      assert.equal(s.statuscode, 7);
      assert.equal(typeof s.completedon, 'string');
    }
    const again = await cancel(running);
    assert.equal(again.status, 400);
    assert.match(errorOf(again).message, /already finished/);
    h.sandbox.settings.cancelFinishedRun = 'noContent';
    assert.equal((await cancel(running)).status, 204);
    assert.equal((await cancel('00000000-0000-4000-8000-000000000000')).status, 404);
    assert.equal((await cancel('nope')).status, 400);
    const body = await h.dv(`flowsessions(${running})/Microsoft.Dynamics.CRM.CancelDesktopFlowRun`, {
      body: { reason: 'x' },
    });
    assert.equal(body.status, 400);
  });

  it("keeps other users' runs private: not listed, 403 to read or cancel", async () => {
    const mine = await trigger(seedIds.flows.quickPing, seedNames.connections.makerMachine);
    const stranger = h.sandbox.token(h.sandbox.orgUrl('contoso-dev'), {
      oid: seedIds.otherUser,
      name: 'Other Maker',
    });
    const listed = await h.dv('flowsessions?$select=flowsessionid', { token: stranger });
    assert.deepEqual(listed.json.value, []);
    const read = await h.dv(`flowsessions(${mine})`, { token: stranger });
    assert.equal(read.status, 403);
    assert.equal(errorOf(read).code, '0x80040220');
    const cancel = await h.dv(`flowsessions(${mine})/Microsoft.Dynamics.CRM.CancelDesktopFlowRun`, {
      method: 'POST',
      token: stranger,
    });
    assert.equal(cancel.status, 403);
    const theirs = await trigger(seedIds.flows.quickPing, seedNames.connections.makerMachine, {}, stranger);
    const admin = h.sandbox.token(h.sandbox.orgUrl('contoso-dev'), {
      oid: 'a1b2c3d4-0000-4000-8000-000000000002',
    });
    const all = await h.dv('flowsessions?$select=flowsessionid', { token: admin });
    const ids = (all.json.value as { flowsessionid: string }[]).map((v) => v.flowsessionid);
    assert.ok(ids.includes(mine) && ids.includes(theirs));
  });

  it('POSTs the completion callback with the documented headers and body', async () => {
    h.sandbox.settings.allowLoopbackCallbacks = true;
    const received: { headers: Record<string, unknown>; body: string }[] = [];
    const hook = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push({ headers: req.headers, body });
        // The first attempt fails with 503 so the retry is exercised.
        res.writeHead(received.length === 1 ? 503 : 200).end();
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/done`;
      const id = await trigger(seedIds.flows.quickPing, seedNames.connections.makerMachine, {
        callbackUrl: url,
      });
      await advance(1);
      await advance(2);
      await waitFor(() => (received.length >= 1 ? true : undefined), 5000, 'first callback');
      await advance(1);
      await waitFor(() => (received.length >= 2 ? true : undefined), 5000, 'retried callback');
      const first = received[0] as { headers: Record<string, unknown>; body: string };
      assert.equal(first.headers['user-agent'], 'EnterpriseConnectors/1.0');
      assert.equal(first.headers['x-ms-workflow-id'], seedIds.flows.quickPing);
      assert.equal(first.headers['x-ms-run-id'], id);
      const body = JSON.parse(first.body) as Record<string, unknown>;
      assert.deepEqual(Object.keys(body).sort(), [
        'completedon',
        'flowsessionid',
        'startedon',
        'statecode',
        'statuscode',
      ]);
      assert.equal(body.statuscode, 4);
      assert.equal(received.length, 2);
    } finally {
      await new Promise<void>((r) => hook.close(() => r()));
    }
  });
});
