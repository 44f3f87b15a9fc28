/**
 * Connection ranking: healthy connections first, each saying what the service will do with a run sent
 * through it; the facts come from the sandbox over real HTTP, as from the documented service.
 */
import assert from 'node:assert/strict';
import type { DesktopFlowConnection } from '../../../src/core/model/connection';
import type { Machine } from '../../../src/core/model/machine';
import type { MachineGroup } from '../../../src/core/model/machineGroup';
import {
  loadConnectionFacts,
  rankConnections,
  type ConnectionFacts,
  type GroupFacts,
} from '../../../src/core/runs/connectionRanking';
import { seedIds } from '../../../src/sandbox/seed';
import { sandboxSessionSuite } from '../helpers/sandboxSession';

const now = Date.parse('2026-03-01T12:00:00Z');
const recent = new Date(now - 60_000).toISOString();
const stale = new Date(now - 3 * 60 * 60_000).toISOString();

function connection(name: string, groupId: string | undefined, error?: string): DesktopFlowConnection {
  return {
    name: `shared-uiflow-${name}`,
    id: undefined,
    displayName: `CONTOSO\\bot (${name})`,
    apiId: undefined,
    environmentId: undefined,
    status: error === undefined ? 'connected' : 'error',
    statuses:
      error === undefined
        ? [{ status: 'Connected', target: undefined, errorCode: undefined, errorMessage: undefined }]
        : [{ status: 'Error', target: 'token', errorCode: error, errorMessage: 'The password expired.' }],
    parameterSetName: undefined,
    targetMachineGroupId: groupId,
    username: 'CONTOSO\\bot',
    createdBy: undefined,
    createdTime: undefined,
    lastModifiedTime: undefined,
  };
}

function machine(id: string, heartbeat: string | undefined, state: Machine['state'] = 'active'): Machine {
  return {
    id,
    name: id.toUpperCase(),
    description: undefined,
    state,
    status: 'active',
    statusLabel: undefined,
    agentVersion: undefined,
    lastHeartbeatOn: heartbeat,
    hosting: 'customer',
    sessionCapacity: undefined,
    groupId: undefined,
  };
}

function group(name: string, implicit: boolean): MachineGroup {
  return {
    id: name,
    name,
    description: undefined,
    groupType: implicit ? 'default' : 'standard',
    isImplicit: implicit,
    management: 'unknown',
    state: 'active',
    status: 'active',
    reuseWindowsSession: undefined,
  };
}

function facts(connections: DesktopFlowConnection[], groups: Record<string, GroupFacts>): ConnectionFacts {
  return { connections, groups: new Map(Object.entries(groups)) };
}

describe('rankConnections: healthy first, each row says what the service will do', () => {
  const pool: Record<string, GroupFacts> = {
    bots: {
      group: group('Finance Bots', false),
      machines: [machine('b1', recent), machine('b2', recent), machine('b3', recent)],
      busyMachineIds: ['B1', 'b2'],
      queued: 0,
    },
    empty: { group: group('Empty Pool', false), machines: [], busyMachineIds: [], queued: 0 },
    laptop: {
      group: group('LAPTOP', true),
      machines: [machine('laptop', stale)],
      busyMachineIds: [],
      queued: 0,
    },
    vm: { group: group('VM', true), machines: [machine('vm', recent)], busyMachineIds: ['vm'], queued: 2 },
    busy: {
      group: group('Busy Bots', false),
      machines: [machine('x1', recent), machine('x2', recent)],
      busyMachineIds: ['x1', 'x2'],
      queued: 3,
    },
  };

  it('puts an empty group last although its name sorts first, and says why it fails', () => {
    const ranked = rankConnections(
      facts([connection('a-empty', 'empty'), connection('z-bots', 'bots')], pool),
      now,
    );
    assert.deepEqual(
      ranked.map((r) => [r.connection.name, r.verdict, r.summary]),
      [
        ['shared-uiflow-z-bots', 'ready', '3 machines online, 1 free'],
        ['shared-uiflow-a-empty', 'willFail', 'group is empty'],
      ],
    );
    assert.equal(ranked[1]?.errorCode, 'GroupIsEmpty');
    assert.match(
      ranked[1]?.reason ?? '',
      /Empty Pool, which has no machines: the run fails with GroupIsEmpty/,
    );
  });

  it('words an offline machine, a machine in use, a busy group with a queue and a credentials error', () => {
    const ranked = rankConnections(
      facts(
        [
          connection('broken', 'bots', 'WindowsIdentityIncorrect'),
          connection('laptop', 'laptop'),
          connection('vm', 'vm'),
          connection('busy', 'busy'),
        ],
        pool,
      ),
      now,
    );
    const byName = new Map(ranked.map((r) => [r.connection.name.replace('shared-uiflow-', ''), r]));
    assert.equal(byName.get('laptop')?.summary, 'machine offline');
    assert.equal(byName.get('laptop')?.verdict, 'willWait');
    assert.equal(byName.get('vm')?.summary, 'machine in use: expect to queue (2 ahead)');
    assert.equal(byName.get('busy')?.summary, '2 machines online, all busy: expect to queue (3 ahead)');
    assert.match(
      byName.get('busy')?.reason ?? '',
      /will wait: all 2 online machines in Busy Bots are busy, 3 runs ahead/,
    );
    assert.equal(byName.get('broken')?.summary, 'credentials error');
    assert.equal(byName.get('broken')?.verdict, 'willFail');
    assert.match(byName.get('broken')?.reason ?? '', /WindowsIdentityIncorrect/);
    assert.equal(ranked[ranked.length - 1]?.connection.name, 'shared-uiflow-broken', 'surely failing last');
  });

  it('keeps a connection whose target is not known in the list, after those that will run or wait', () => {
    const ranked = rankConnections(
      facts(
        [connection('nowhere', undefined), connection('laptop', 'laptop'), connection('bots', 'bots')],
        pool,
      ),
      now,
    );
    assert.deepEqual(
      ranked.map((r) => r.verdict),
      ['ready', 'willWait', 'unknown'],
    );
    assert.equal(ranked[2]?.summary, 'connected; machines not known');
  });

  it('treats a machine in maintenance as unable to take the run', () => {
    const ranked = rankConnections(
      facts([connection('m', 'm')], {
        m: {
          group: group('M', true),
          machines: [machine('m', recent, 'maintenance')],
          busyMachineIds: [],
          queued: 0,
        },
      }),
      now,
    );
    assert.equal(ranked[0]?.summary, 'machine in maintenance');
    assert.equal(ranked[0]?.verdict, 'willWait');
  });
});

describe('loadConnectionFacts: from the sandbox over real HTTP', () => {
  const suite = sandboxSessionSuite();

  it('ranks the seeded connections: the empty pool and the broken connection last, the maker machine first', async () => {
    const env = (await suite.session.environments.list(AbortSignal.timeout(30_000))).find(
      (e) => e.id === seedIds.environments.dev,
    );
    assert.ok(env, 'Contoso Dev');
    const loaded = await loadConnectionFacts(suite.session, env, AbortSignal.timeout(30_000));
    const ranked = rankConnections(loaded, Date.now());
    const rows = ranked.map((r) => `${r.connection.displayName}: ${r.summary}`);
    assert.equal(ranked[0]?.verdict, 'ready', rows.join('\n'));
    const empty = ranked.find((r) => r.connection.displayName.endsWith('(Empty Pool)'));
    assert.equal(empty?.summary, 'group is empty');
    const offline = ranked.find((r) => r.connection.displayName.endsWith('(LAPTOP-OLD)'));
    assert.equal(offline?.summary, 'machine offline');
    const broken = ranked.find((r) => r.connection.displayName.endsWith('(password expired)'));
    assert.equal(broken?.summary, 'credentials error');
    assert.ok(
      ranked.findIndex((r) => r === empty) > ranked.findIndex((r) => r === offline),
      'a run that will wait ranks above one that will fail',
    );
  });
});
