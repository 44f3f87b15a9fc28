/**
 * The default sandbox data: three environments (a realistic one, one with 2,000 desktop flows for
 * paging, an empty default one), connections of every kind, connection references, machines and
 * machine groups. Ids are stable across runs (`stableGuid`), and exported by name so other tests can
 * use them: `seedIds.flows.echoText`, `seedNames.connections.makerMachine`, …
 *
 * Input/output schemas follow reference 3.4. Where the reference says the shape is undocumented
 * (boolean, object, list, datatable, sensitive, optional), `flowSchema.ts` picks a plausible shape.
 */
import { sandboxSecondUser } from './identity/identitySeed';
import { stableGuid } from './ids';
import { defaultSandboxUser } from './tokens';
import { devFlows } from './seedFlows';
import type { SandboxData, SeedEnvironment } from './seedTypes';

export const seedTenantId = '7f3a9c2e-5b1d-4e8a-9c6f-0d2b4a6e8c10';

/** Environment URL names (`<base>/org/<name>`). */
export const seedEnvironmentNames = {
  dev: 'contoso-dev',
  bulk: 'contoso-bulk',
  empty: 'contoso-empty',
} as const;

/** Display names of the seeded flows in `contoso-dev`. */
export const seedFlowNames = {
  echoText: 'Echo Text',
  invoice: 'Invoice Processing',
  echoAllTypes: 'Echo All Types',
  legacySchema: 'Legacy Schema Flow',
  scrapePortal: 'Scrape Supplier Portal',
  longReport: 'Long Running Report',
  nightlyBatch: 'Nightly Batch',
  quickPing: 'Quick Ping',
  credentials: 'Sensitive Credentials',
  optionalInputs: 'Optional Inputs',
  exportTable: 'Export Data Table',
  draftOnboarding: 'Onboarding (draft)',
  draftExpense: 'Expense Audit (draft)',
  cloudFlow: 'Approval Cloud Flow',
} as const;

/** Windows accounts used by seeded connections and machine sessions. */
export const seedAccounts = {
  maker: 'CONTOSO\\maker',
  bot: 'CONTOSO\\botuser',
  service: 'CONTOSO\\svc-rpa',
} as const;

const envIds = {
  dev: stableGuid('env:contoso-dev'),
  bulk: stableGuid('env:contoso-bulk'),
  empty: `Default-${seedTenantId}`,
};

const key = (kind: string, name: string): string => stableGuid(`${kind}:${name}`);

/** Stable ids of everything seeded, by short name. */
export const seedIds = {
  environments: envIds,
  organizations: {
    dev: key('org', 'dev'),
    bulk: key('org', 'bulk'),
    empty: key('org', 'empty'),
  },
  flows: Object.fromEntries(Object.keys(seedFlowNames).map((k) => [k, key('flow', k)])) as Record<
    keyof typeof seedFlowNames,
    string
  >,
  machines: {
    maker01: key('machine', 'DESKTOP-MAKER01'),
    finBot01: key('machine', 'FIN-BOT-01'),
    finBot02: key('machine', 'FIN-BOT-02'),
    laptopOffline: key('machine', 'LAPTOP-OLD'),
    lockedVm: key('machine', 'VM-LOCKED'),
    bulkVm: key('machine', 'BULK-VM01'),
  },
  machineGroups: {
    financeBots: key('group', 'Finance Bots'),
    emptyPool: key('group', 'Empty Pool'),
    maker01: key('group', 'DESKTOP-MAKER01'),
    laptopOffline: key('group', 'LAPTOP-OLD'),
    lockedVm: key('group', 'VM-LOCKED'),
    bulkVm: key('group', 'BULK-VM01'),
  },
  connectionReferences: {
    makerMachine: key('connref', 'cr_maker_machine'),
    financeBots: key('connref', 'cr_finance_bots'),
    unbound: key('connref', 'cr_unbound'),
    outlook: key('connref', 'cr_outlook'),
    bulk: key('connref', 'cr_bulk'),
  },
  otherUser: key('user', 'other'),
};

/** Connection names (`connectionName` for RunDesktopFlow with `connectionType` 1). */
export const seedNames = {
  connections: {
    /**
     * Username/password, to the standalone machine DESKTOP-MAKER01: CONTOSO\maker is signed in there and
     * its group reuses the Windows session, so both attended and unattended runs work.
     */
    makerMachine: `shared-uiflow-${key('conn', 'maker-machine')}`,
    /** Username/password, to the group Finance Bots (FIN-BOT-01 free, FIN-BOT-02 has a botuser session). */
    financeBots: `shared-uiflow-${key('conn', 'finance-bots')}`,
    /** "Connect with sign in": attended only, to DESKTOP-MAKER01. */
    signIn: `shared-uiflow-${key('conn', 'sign-in')}`,
    /** Run owner (service principal), to Finance Bots. */
    runOwner: `shared-uiflow-${key('conn', 'run-owner')}`,
    /** To the group Empty Pool: runs fail with GroupIsEmpty. */
    emptyGroup: `shared-uiflow-${key('conn', 'empty-group')}`,
    /** To the offline LAPTOP-OLD: runs stay queued, then NoCandidateMachine after 6 h. */
    offlineMachine: `shared-uiflow-${key('conn', 'offline')}`,
    /**
     * To VM-LOCKED, whose CONTOSO\maker session is locked: attended runs fail with
     * NoUnlockedActiveSessionForAttended, unattended ones with SessionExistsForTheUserWhenUnattended.
     */
    lockedMachine: `shared-uiflow-${key('conn', 'locked')}`,
    /** Status Error (WindowsIdentityIncorrect): runs through it fail. */
    broken: `shared-uiflow-${key('conn', 'broken')}`,
    /** The bulk environment's connection, to BULK-VM01. */
    bulk: `shared-uiflow-${key('conn', 'bulk')}`,
  },
  connectionReferences: {
    makerMachine: 'cr_maker_machine',
    financeBots: 'cr_finance_bots',
    unbound: 'cr_unbound',
    outlook: 'cr_outlook',
    bulk: 'cr_bulk',
  },
} as const;

const m = seedIds.machines;
const g = seedIds.machineGroups;
const c = seedNames.connections;

function devEnvironment(): SeedEnvironment {
  return {
    name: seedEnvironmentNames.dev,
    friendlyName: 'Contoso Dev',
    environmentId: envIds.dev,
    organizationId: seedIds.organizations.dev,
    region: 'NA',
    sku: 'Sandbox',
    flows: devFlows(seedFlowNames, seedIds.flows),
    machineGroups: [
      { id: g.financeBots, name: 'Finance Bots', type: 'standard', description: 'Unattended finance robots' },
      { id: g.emptyPool, name: 'Empty Pool', type: 'standard', description: 'No machines yet' },
      { id: g.maker01, name: 'DESKTOP-MAKER01', type: 'default', trytoreusewindowssession: true },
      { id: g.laptopOffline, name: 'LAPTOP-OLD', type: 'default' },
      { id: g.lockedVm, name: 'VM-LOCKED', type: 'default' },
    ],
    machines: [
      {
        id: m.maker01,
        name: 'DESKTOP-MAKER01',
        groupId: g.maker01,
        online: true,
        sessions: [{ username: seedAccounts.maker }],
      },
      { id: m.finBot01, name: 'FIN-BOT-01', groupId: g.financeBots, online: true },
      {
        id: m.finBot02,
        name: 'FIN-BOT-02',
        groupId: g.financeBots,
        online: true,
        sessions: [{ username: seedAccounts.bot }],
      },
      {
        id: m.laptopOffline,
        name: 'LAPTOP-OLD',
        groupId: g.laptopOffline,
        online: false,
        agentversion: '2.41.178.24',
      },
      {
        id: m.lockedVm,
        name: 'VM-LOCKED',
        groupId: g.lockedVm,
        online: true,
        sessions: [{ username: seedAccounts.maker, unlocked: false }],
      },
    ],
    connections: [
      {
        name: c.makerMachine,
        displayName: `${seedAccounts.maker} (DESKTOP-MAKER01)`,
        kind: 'usernamePassword',
        targetGroupId: g.maker01,
        username: seedAccounts.maker,
      },
      {
        name: c.financeBots,
        displayName: `${seedAccounts.bot} (Finance Bots)`,
        kind: 'usernamePassword',
        targetGroupId: g.financeBots,
        username: seedAccounts.bot,
      },
      {
        name: c.signIn,
        displayName: `${defaultSandboxUser.upn} (sign in)`,
        kind: 'signIn',
        targetGroupId: g.maker01,
        username: seedAccounts.maker,
      },
      {
        name: c.runOwner,
        displayName: 'Run owner: rpa-service-principal',
        kind: 'runOwner',
        targetGroupId: g.financeBots,
        username: seedAccounts.service,
      },
      {
        name: c.emptyGroup,
        displayName: `${seedAccounts.bot} (Empty Pool)`,
        kind: 'usernamePassword',
        targetGroupId: g.emptyPool,
        username: seedAccounts.bot,
      },
      {
        name: c.offlineMachine,
        displayName: `${seedAccounts.maker} (LAPTOP-OLD)`,
        kind: 'usernamePassword',
        targetGroupId: g.laptopOffline,
        username: seedAccounts.maker,
      },
      {
        name: c.lockedMachine,
        displayName: `${seedAccounts.maker} (VM-LOCKED)`,
        kind: 'usernamePassword',
        targetGroupId: g.lockedVm,
        username: seedAccounts.maker,
      },
      {
        name: c.broken,
        displayName: `${seedAccounts.maker} (password expired)`,
        kind: 'usernamePassword',
        targetGroupId: g.maker01,
        username: seedAccounts.maker,
        status: 'Error',
        errorCode: 'WindowsIdentityIncorrect',
      },
    ],
    connectionReferences: [
      {
        id: seedIds.connectionReferences.makerMachine,
        logicalName: 'cr_maker_machine',
        displayName: 'Maker machine',
        connectionName: c.makerMachine,
      },
      {
        id: seedIds.connectionReferences.financeBots,
        logicalName: 'cr_finance_bots',
        displayName: 'Finance bots',
        connectionName: c.financeBots,
      },
      {
        id: seedIds.connectionReferences.unbound,
        logicalName: 'cr_unbound',
        displayName: 'Not configured yet',
      },
      {
        id: seedIds.connectionReferences.outlook,
        logicalName: 'cr_outlook',
        displayName: 'Office 365 Outlook',
        connectorId: '/providers/Microsoft.PowerApps/apis/shared_office365',
        connectionName: 'shared-office365-8f2c',
      },
    ],
    runs: [
      historic('h1', 'invoice', 4, '2025-03-10T08:00:00Z', 30, 60),
      historic(
        'h2',
        'invoice',
        8,
        '2025-03-11T08:00:00Z',
        12,
        20,
        'ActionFailed',
        'Failed to log in to ERP.',
      ),
      historic('h3', 'echoText', 4, '2025-03-12T09:15:00Z', 5, 20),
      historic('h4', 'longReport', 7, '2025-03-12T10:00:00Z', 3, 600),
      historic(
        'h5',
        'invoice',
        10,
        '2025-03-13T22:00:00Z',
        2,
        7200,
        'DesktopFlowsActionTimeout',
        'The run exceeded its timeout of 7200 seconds.',
      ),
    ],
  };
}

function historic(
  tag: string,
  flowKey: keyof typeof seedFlowNames,
  statuscode: number,
  createdon: string,
  waitSeconds: number,
  runSeconds: number,
  errorcode?: string,
  errormessage?: string,
): NonNullable<SeedEnvironment['runs']>[number] {
  const start = Date.parse(createdon) + waitSeconds * 1000;
  const iso = (ms: number): string => new Date(ms).toISOString().replace('.000Z', 'Z');
  return {
    id: key('run', tag),
    flowId: seedIds.flows[flowKey],
    connectionName: c.makerMachine,
    machineId: m.maker01,
    runMode: 'unattended',
    statuscode,
    createdon,
    startedon: iso(start),
    completedon: iso(start + runSeconds * 1000),
    ...(errorcode === undefined ? { outputs: {} } : { errorcode, errormessage }),
  };
}

function bulkEnvironment(): SeedEnvironment {
  return {
    name: seedEnvironmentNames.bulk,
    friendlyName: 'Contoso Bulk (China)',
    environmentId: envIds.bulk,
    organizationId: seedIds.organizations.bulk,
    region: 'CHN',
    sku: 'Production',
    chinaCloud: true,
    flows: [],
    generatedFlows: { count: 2000, namePrefix: 'Bulk Flow' },
    machineGroups: [{ id: g.bulkVm, name: 'BULK-VM01', type: 'default' }],
    machines: [{ id: m.bulkVm, name: 'BULK-VM01', groupId: g.bulkVm, online: true }],
    connections: [
      {
        name: c.bulk,
        displayName: `${seedAccounts.service} (BULK-VM01)`,
        kind: 'usernamePassword',
        targetGroupId: g.bulkVm,
        username: seedAccounts.service,
      },
    ],
    connectionReferences: [
      {
        id: seedIds.connectionReferences.bulk,
        logicalName: 'cr_bulk',
        displayName: 'Bulk VM',
        connectionName: c.bulk,
      },
    ],
  };
}

function emptyEnvironment(): SeedEnvironment {
  return {
    name: seedEnvironmentNames.empty,
    friendlyName: 'Contoso (default)',
    environmentId: envIds.empty,
    organizationId: seedIds.organizations.empty,
    region: 'NA',
    sku: 'Default',
    isDefault: true,
    flows: [],
    machineGroups: [],
    machines: [],
    connections: [],
    connectionReferences: [],
  };
}

/** A fresh copy of the default data (callers may mutate it before starting a sandbox). */
export function defaultSeed(): SandboxData {
  return {
    tenantId: seedTenantId,
    users: [
      { ...defaultSandboxUser },
      { ...sandboxSecondUser, systemAdministrator: true },
      { oid: seedIds.otherUser, name: 'Other Maker', upn: 'other@sandbox.example' },
    ],
    environments: [devEnvironment(), bulkEnvironment(), emptyEnvironment()],
  };
}
