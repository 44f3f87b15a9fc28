import assert from 'node:assert/strict';
import { ConnectionReferencesApi } from '../../../src/core/api/connectionReferencesApi';
import { ConnectionsApi } from '../../../src/core/api/connectionsApi';
import { MachineGroupsApi } from '../../../src/core/api/machineGroupsApi';
import { MachinesApi } from '../../../src/core/api/machinesApi';
import { ApiError } from '../../../src/core/errors';
import { seedIds, seedNames } from '../../../src/sandbox/seed';
import { startFixture, type SandboxFixture } from './sandboxFixture';

describe('connections, connection references, machines and groups (sandbox)', function () {
  let fx: SandboxFixture;
  const signal = new AbortController().signal;

  before(async () => {
    fx = await startFixture();
  });
  after(async () => {
    await fx.close();
  });

  describe('ConnectionsApi', () => {
    it('lists the desktop-flow connections of an environment with health and target', async () => {
      const list = await new ConnectionsApi(fx.http, fx.cloud).listDesktopFlowConnections(
        seedIds.environments.dev,
        signal,
      );
      const byName = new Map(list.map((c) => [c.name, c]));
      assert.equal(list.length, Object.keys(seedNames.connections).length - 1);
      const maker = byName.get(seedNames.connections.makerMachine);
      assert.equal(maker?.status, 'connected');
      assert.equal(maker?.displayName, 'CONTOSO\\maker (DESKTOP-MAKER01)');
      assert.equal(maker?.environmentId?.toLowerCase(), seedIds.environments.dev.toLowerCase());
      assert.equal(maker?.targetMachineGroupId, seedIds.machineGroups.maker01);
      const broken = byName.get(seedNames.connections.broken);
      assert.equal(broken?.status, 'error');
      assert.equal(broken?.statuses[0]?.errorCode, 'WindowsIdentityIncorrect');
      assert.ok(!byName.has(seedNames.connections.bulk));
    });

    it('gives an empty list for an environment without connections', async () => {
      assert.deepEqual(
        await new ConnectionsApi(fx.http, fx.cloud).listDesktopFlowConnections(
          seedIds.environments.empty,
          signal,
        ),
        [],
      );
    });

    it('maps the API-hub error of an unknown environment', async () => {
      const e = await new ConnectionsApi(fx.http, fx.cloud)
        .listDesktopFlowConnections('00000000-0000-4000-8000-00000000beef', signal)
        .catch((x: unknown) => x);
      assert.ok(ApiError.is(e, 'notFound'));
      assert.equal(e.code, 'EnvironmentNotFound');
    });
  });

  describe('ConnectionReferencesApi', () => {
    it('lists references to desktop-flow connections only, bound or not', async () => {
      const list = await new ConnectionReferencesApi(fx.http).listDesktopFlowReferences(fx.orgs.dev, signal);
      const names = list.map((r) => r.logicalName).sort();
      assert.deepEqual(names, ['cr_finance_bots', 'cr_maker_machine', 'cr_unbound']);
      const maker = list.find((r) => r.logicalName === 'cr_maker_machine');
      assert.equal(maker?.connectionName, seedNames.connections.makerMachine);
      assert.equal(maker?.id, seedIds.connectionReferences.makerMachine);
      assert.equal(list.find((r) => r.logicalName === 'cr_unbound')?.connectionName, undefined);
    });
  });

  describe('MachinesApi and MachineGroupsApi', () => {
    it('lists machines with their group, state and heartbeat', async () => {
      const machines = await new MachinesApi(fx.http).list(fx.orgs.dev, signal);
      const names = machines.map((m) => m.name);
      assert.deepEqual(names, ['DESKTOP-MAKER01', 'FIN-BOT-01', 'FIN-BOT-02', 'LAPTOP-OLD', 'VM-LOCKED']);
      const finBot = machines.find((m) => m.id === seedIds.machines.finBot01);
      assert.equal(finBot?.groupId, seedIds.machineGroups.financeBots);
      assert.equal(finBot?.state, 'active');
      assert.ok(finBot?.lastHeartbeatOn);
      const one = await new MachinesApi(fx.http).get(fx.orgs.dev, seedIds.machines.laptopOffline, signal);
      assert.equal(one?.agentVersion, '2.41.178.24');
    });

    it("lists groups, marks implicit per-machine groups, and lists a group's members", async () => {
      const api = new MachineGroupsApi(fx.http);
      const groups = await api.list(fx.orgs.dev, signal);
      const finance = groups.find((g) => g.id === seedIds.machineGroups.financeBots);
      assert.equal(finance?.groupType, 'standard');
      assert.equal(finance?.isImplicit, false);
      assert.equal(groups.find((g) => g.id === seedIds.machineGroups.maker01)?.isImplicit, true);
      const members = await api.listMembers(fx.orgs.dev, seedIds.machineGroups.financeBots, signal);
      assert.deepEqual(
        members.map((m) => m.name),
        ['FIN-BOT-01', 'FIN-BOT-02'],
      );
      assert.deepEqual(await api.listMembers(fx.orgs.dev, seedIds.machineGroups.emptyPool, signal), []);
    });
  });
});
