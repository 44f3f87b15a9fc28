/**
 * The live state of one sandbox environment: its seed data turned into Dataverse rows, plus the
 * mutable parts (machines' online/session state, runs). Implements `EntityStore` so the generic OData
 * layer can read, filter and expand any entity set.
 */
import { isoSeconds } from './clock';
import type { SandboxClock } from './clock';
import { dataverseEntities } from './dataverseEntities';
import { inputsSchemaText, outputsSchemaText } from './flowSchema';
import { stableGuid } from './ids';
import type { EntityDef, EntityStore } from './odataQuery';
import type {
  SeedConnection,
  SeedConnectionReference,
  SeedEnvironment,
  SeedFlow,
  SeedMachine,
  SeedMachineGroup,
  SeedSession,
  SeedUser,
} from './seedTypes';

/** Dataverse's well-known "Active" solution id, which unmanaged components belong to. */
const activeSolutionId = 'fd140aaf-4df4-11dd-bd17-0019b9312238';

/** One V1 action-log record (reference 4.9, community shape). */
export interface ActionLogEntry {
  index: number;
  name: string;
  systemActionName: string;
  systemModuleName: string;
  localizedModuleName: string;
  functionName: string;
  startTime: string;
  endTime: string;
  status: 'Succeeded' | 'Failed';
  insideErrorHandling: boolean;
  inputs: Record<string, { localizedName: string; value: string; variableName: string }>;
  outputs: Record<string, { localizedName: string; value: string; variableName: string }>;
  error?: { code: string; message: string };
}

/** A run (flowsession) with the data the simulation needs besides its columns. */
export interface Run {
  /** The flowsession columns, as served. */
  row: Record<string, unknown>;
  flow: SeedFlow;
  connection: SeedConnection;
  inputs: Record<string, unknown>;
  outputs: Record<string, unknown> | undefined;
  actionLog: ActionLogEntry[];
  /** 0 high, 1 normal: lower runs first. */
  priority: number;
  /** Enqueue order, for FIFO among equal priorities. */
  seq: number;
  timeoutSeconds: number;
  runMode: 'attended' | 'unattended';
  /** Machine group whose queue holds the run. */
  groupId: string;
  /** Pending clock timers of this run. */
  timers: number[];
  callbackUrl: string | undefined;
}

/** Live state of a machine. */
export interface MachineState {
  seed: SeedMachine;
  online: boolean;
  maintenance: boolean;
  sessions: SeedSession[];
  /** Runs executing on the machine now (at most one). */
  running: Set<string>;
  version: number;
  /** Last time the machine reported in, epoch ms (for offline machines: when it went away). */
  lastHeartbeat: number;
}

export class EnvironmentState implements EntityStore {
  readonly seed: SeedEnvironment;
  readonly flows = new Map<string, SeedFlow>();
  readonly connections = new Map<string, SeedConnection>();
  readonly connectionReferences: SeedConnectionReference[];
  readonly groups = new Map<string, SeedMachineGroup>();
  readonly machines = new Map<string, MachineState>();
  readonly runs = new Map<string, Run>();
  /** Business unit of every user. */
  readonly businessUnitId: string;
  private readonly workflowRows: Record<string, unknown>[] = [];
  private readonly connectionReferenceRows: Record<string, unknown>[];
  private readonly userRows = new Map<string, Record<string, unknown>>();
  private readonly groupRows = new Map<string, Record<string, unknown>>();
  private version = 1_000_000;
  private readonly defs = new Map(dataverseEntities.map((d) => [d.set, d]));
  private readonly clock: SandboxClock;
  /** systemuser id of the first seeded user, who owns the seeded records. */
  readonly defaultOwnerId: string;

  constructor(seed: SeedEnvironment, users: readonly SeedUser[], clock: SandboxClock) {
    this.seed = seed;
    this.clock = clock;
    this.businessUnitId = stableGuid(`businessunit:${seed.name}`);
    for (const u of users) {
      this.ensureUser(u);
    }
    const owner = this.systemUserId(users[0]?.oid ?? 'a1b2c3d4-0000-4000-8000-000000000001');
    this.defaultOwnerId = owner;
    for (const f of [...seed.flows, ...generatedFlows(seed)]) {
      this.flows.set(f.id.toLowerCase(), f);
      this.workflowRows.push(this.workflowRow(f, owner));
    }
    for (const c of seed.connections) {
      this.connections.set(c.name.toLowerCase(), c);
    }
    for (const grp of seed.machineGroups) {
      this.groups.set(grp.id.toLowerCase(), grp);
      this.groupRows.set(grp.id.toLowerCase(), this.groupRow(grp, owner));
    }
    const now = clock.now();
    for (const m of seed.machines) {
      this.machines.set(m.id.toLowerCase(), {
        seed: m,
        online: m.online,
        maintenance: m.maintenance === true,
        sessions: [...(m.sessions ?? [])],
        running: new Set(),
        version: this.nextVersion(),
        // Offline machines last reported two days ago.
        lastHeartbeat: m.online ? now : now - 2 * 86_400_000,
      });
    }
    this.connectionReferences = seed.connectionReferences;
    this.connectionReferenceRows = seed.connectionReferences.map((r) => ({
      connectionreferenceid: r.id,
      connectionreferencelogicalname: r.logicalName,
      connectionreferencedisplayname: r.displayName,
      connectorid: r.connectorId ?? '/providers/Microsoft.PowerApps/apis/shared_uiflow',
      connectionid: r.connectionName ?? null,
      description: r.description ?? null,
      promptingbehavior: 0,
      statecode: 0,
      statuscode: 1,
      ismanaged: false,
      componentstate: 0,
      ...this.standardColumns(owner, '2025-01-06T09:00:00Z', '2025-01-06T09:00:00Z'),
    }));
  }

  /** A new row version (for `@odata.etag`). */
  nextVersion(): number {
    return ++this.version;
  }

  /** The systemuser id of an AAD user in this org; unknown users are provisioned on first use. */
  systemUserId(oid: string): string {
    return this.ensureUser({ oid, name: 'Sandbox User', upn: `${oid.slice(0, 8)}@sandbox.example` });
  }

  private ensureUser(u: SeedUser): string {
    const id = stableGuid(`systemuser:${this.seed.name}:${u.oid.toLowerCase()}`);
    if (!this.userRows.has(id)) {
      this.userRows.set(id, {
        systemuserid: id,
        fullname: u.name,
        domainname: u.upn,
        internalemailaddress: u.upn,
        azureactivedirectoryobjectid: u.oid,
        isdisabled: false,
        _businessunitid_value: this.businessUnitId,
        createdon: '2024-11-01T08:00:00Z',
        modifiedon: '2024-11-01T08:00:00Z',
        versionnumber: this.nextVersion(),
      });
    }
    return id;
  }

  private standardColumns(owner: string, createdon: string, modifiedon: string): Record<string, unknown> {
    return {
      createdon,
      modifiedon,
      versionnumber: this.nextVersion(),
      _ownerid_value: owner,
      _createdby_value: owner,
      _modifiedby_value: owner,
      _owningbusinessunit_value: this.businessUnitId,
    };
  }

  private workflowRow(f: SeedFlow, owner: string): Record<string, unknown> {
    const published = f.state === 'published';
    const category = f.category ?? 6;
    const desktop = category === 6;
    const slug = f.name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '_')
      .replace(/^_|_$/g, '');
    return {
      workflowid: f.id,
      workflowidunique: stableGuid(`workflowidunique:${f.id}`),
      name: f.name,
      uniquename: `cr_${slug}`,
      description: f.description ?? null,
      category,
      statecode: published ? 1 : 0,
      statuscode: published ? 2 : 1,
      uiflowtype: desktop ? 2 : null,
      modernflowtype: category === 5 ? 0 : null,
      clientdata: desktop ? clientData(f) : null,
      clientdataiscompressed: false,
      definition: null,
      inputs: desktop ? inputsSchemaText(f) : null,
      outputs: desktop ? outputsSchemaText(f) : null,
      schemaversion: desktop ? '2' : null,
      desktopflowmodules: desktop
        ? JSON.stringify([
            ...new Set((f.behaviour.actions ?? []).map((a) => a.systemActionName.split('.')[0])),
          ])
        : null,
      connectionreferences: null,
      dependencies: null,
      metadata: null,
      ismanaged: f.ismanaged === true,
      solutionid: activeSolutionId,
      componentstate: published ? 0 : 1,
      _parentworkflowid_value: null,
      type: 1,
      mode: 0,
      scope: 4,
      primaryentity: 'none',
      ...this.standardColumns(
        owner,
        f.createdon ?? '2025-01-06T09:00:00Z',
        f.modifiedon ?? f.createdon ?? '2025-01-06T09:00:00Z',
      ),
    };
  }

  private groupRow(grp: SeedMachineGroup, owner: string): Record<string, unknown> {
    return {
      flowmachinegroupid: grp.id,
      name: grp.name,
      description: grp.description ?? null,
      flowgrouptype: grp.type === 'default' ? 545940002 : 545940001,
      managementtype: 0,
      preferredqueuingtype: 1,
      usagetype: 0,
      domainsetting: 0,
      trytoreusewindowssession: grp.trytoreusewindowssession === true,
      provisioningstate: null,
      lastrundate: null,
      statecode: 0,
      statuscode: 1,
      ismanaged: false,
      ...this.standardColumns(owner, '2024-12-02T10:00:00Z', '2024-12-02T10:00:00Z'),
    };
  }

  /** Records that a run started on a group now (for `lastrundate`). */
  touchGroup(groupId: string): void {
    const row = this.groupRows.get(groupId.toLowerCase());
    if (row) {
      row.lastrundate = this.clock.iso();
      row.versionnumber = this.nextVersion();
    }
  }

  private machineRow(m: MachineState): Record<string, unknown> {
    const maintenance = m.maintenance;
    return {
      flowmachineid: m.seed.id,
      name: m.seed.name,
      description: m.seed.description ?? null,
      _flowmachinegroupid_value: m.seed.groupId,
      agentversion: m.seed.agentversion ?? '2.52.62.25009',
      // Online agents report in every few seconds; the sandbox reports "now" for them.
      lastheartbeatdate: isoSeconds(m.online ? this.clock.now() : m.lastHeartbeat),
      statecode: maintenance ? 2 : 0,
      statuscode: maintenance ? 4 : 1,
      hostingtype: 0,
      hostedmachinestate: null,
      sessioncapacity: 1,
      keydeliverystatus: 1,
      lastknownpictureinpicturesupport: 0,
      overcapacitysince: null,
      createdon: '2024-12-02T10:00:00Z',
      modifiedon: '2024-12-02T10:00:00Z',
      versionnumber: m.version,
      _ownerid_value: this.defaultOwnerId,
      _createdby_value: null,
      _modifiedby_value: null,
      _owningbusinessunit_value: this.businessUnitId,
    };
  }

  // EntityStore

  def(set: string): EntityDef | undefined {
    return this.defs.get(set);
  }

  defByLogicalName(logicalName: string): EntityDef | undefined {
    return dataverseEntities.find((d) => d.logicalName === logicalName);
  }

  rows(set: string): readonly Record<string, unknown>[] {
    switch (set) {
      case 'workflows':
        return this.workflowRows;
      case 'flowsessions':
        return [...this.runs.values()].map((r) => r.row);
      case 'flowmachines':
        return [...this.machines.values()].map((m) => this.machineRow(m));
      case 'flowmachinegroups':
        return [...this.groupRows.values()];
      case 'connectionreferences':
        return this.connectionReferenceRows;
      case 'systemusers':
        return [...this.userRows.values()];
      default:
        return [];
    }
  }

  /** The row of one record, or undefined. */
  row(set: string, id: string): Record<string, unknown> | undefined {
    const def = this.defs.get(set);
    if (def === undefined) {
      return undefined;
    }
    const lower = id.toLowerCase();
    return this.rows(set).find((r) => String(r[def.key] as string).toLowerCase() === lower);
  }

  /** Whether a published-or-draft flow row is visible with the given `MSCRM.IncludeUnpublished` choice. */
  visibleWorkflows(includeUnpublished: boolean): readonly Record<string, unknown>[] {
    return includeUnpublished ? this.workflowRows : this.workflowRows.filter((r) => r.componentstate === 0);
  }
}

/** The flows of `generatedFlows`, e.g. 2,000 echo flows for paging tests. */
function generatedFlows(seed: SeedEnvironment): SeedFlow[] {
  const spec = seed.generatedFlows;
  if (spec === undefined) {
    return [];
  }
  const base = Date.parse('2024-06-01T00:00:00Z');
  const width = String(spec.count).length;
  return Array.from({ length: spec.count }, (_, i) => {
    const at = new Date(base + i * 3_600_000).toISOString().replace('.000Z', 'Z');
    return {
      id: stableGuid(`generated-flow:${seed.name}:${i}`),
      name: `${spec.namePrefix} ${String(i + 1).padStart(Math.max(4, width), '0')}`,
      state: 'published',
      inputs: [{ name: 'payload', type: 'text', default: '' }],
      outputs: [{ name: 'payload', type: 'text' }],
      behaviour: { durationSeconds: 5, outcome: 'succeed', outputs: 'echo' },
      createdon: at,
      modifiedon: at,
    } satisfies SeedFlow;
  });
}

/** A small schema-v1 style `clientdata` (reference 3.5): the Robin script's declarations, base64. */
function clientData(f: SeedFlow): string {
  const lines = [
    ...f.inputs.map((v) => `@@'${v.sensitive === true ? 'sensitive' : 'plain'}' INPUT ${v.name}: ${v.type}`),
    ...f.outputs.map((v) => `@@OUTPUT ${v.name}: ${v.type}`),
    ...(f.behaviour.actions ?? []).map((a) => a.systemActionName),
  ];
  return JSON.stringify({
    properties: { definition: { package: Buffer.from(lines.join('\n')).toString('base64'), name: f.name } },
  });
}
