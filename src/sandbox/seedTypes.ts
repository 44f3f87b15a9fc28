/**
 * The shape of sandbox data: what `--data FILE` holds (JSON) and what `seed.ts` builds by default.
 * Ids are GUID strings; times are ISO 8601 strings. Everything optional has a documented default.
 */

/** PAD variable data types (reference 3.6). */
export type VariableType = 'text' | 'number' | 'boolean' | 'object' | 'list' | 'datatable';

/** One input or output variable of a desktop flow, as PAD declares it. */
export interface SeedVariable {
  /** External name: the key callers pass in `inputs` and read from outputs. */
  name: string;
  type: VariableType;
  description?: string;
  /** Default value (any JSON). */
  default?: unknown;
  /** "Mark as sensitive": hidden in action logs and in the run's stored inputs. */
  sensitive?: boolean;
  /** "Mark as optional" (inputs only). */
  optional?: boolean;
}

/** One action a simulated run performs; each becomes a V1 action-log record when it completes. */
export interface SeedAction {
  name: string;
  /** e.g. `Variables.SetVariable`. */
  systemActionName: string;
  /** Share of the run's duration this action takes (weights are normalised). Default 1. */
  weight?: number;
}

/** What a run of the flow does once it is running on a machine. */
export interface FlowBehaviour {
  /** Execution time in sandbox seconds. */
  durationSeconds: number;
  /** `succeed` writes outputs; `fail` ends Failed with `errorcode`/`errormessage`. */
  outcome: 'succeed' | 'fail';
  errorcode?: string;
  errormessage?: string;
  /** With `fail`: how many actions succeed before the failing one (default: all but the last). */
  failAfterActions?: number;
  /**
   * Outputs on success. `echo` copies each input whose name matches an output name (else the output's
   * default). An object gives each output's value; a value `{ "$input": "<input name>" }` copies that
   * input (or its default when the caller left it out).
   */
  outputs?: 'echo' | Record<string, unknown>;
  /** Actions logged as the run proceeds. Default: one "Run subflow Main" action. */
  actions?: SeedAction[];
}

/** A desktop flow (workflow row with category 6) or, with `category`, another workflow kind. */
export interface SeedFlow {
  id: string;
  name: string;
  description?: string;
  /** `published` rows are always listed; `draft` only with `MSCRM.IncludeUnpublished: true`. */
  state: 'published' | 'draft';
  /** Workflow category; default 6 (desktop flow). */
  category?: number;
  inputs: SeedVariable[];
  outputs: SeedVariable[];
  /** Exact JSON text served for `inputs/$value`, instead of the schema built from `inputs`. */
  rawInputsSchema?: string;
  rawOutputsSchema?: string;
  behaviour: FlowBehaviour;
  createdon?: string;
  modifiedon?: string;
  ismanaged?: boolean;
}

/** Connection kinds of the `shared_uiflow` connector (reference 5.3). */
export type ConnectionKind = 'usernamePassword' | 'signIn' | 'runOwner';

/** A desktop-flow connection (API Hub, Power Apps host). */
export interface SeedConnection {
  /** Connection name, e.g. `shared-uiflow-<guid>`; RunDesktopFlow's `connectionName`. */
  name: string;
  displayName: string;
  kind: ConnectionKind;
  /** Machine group the connection targets (standalone machines through their implicit group). */
  targetGroupId: string;
  /** Windows account, e.g. `CONTOSO\\maker`. Sessions on machines are matched against it. */
  username: string;
  /** `Connected` unless given; anything else makes runs through it fail. */
  status?: 'Connected' | 'Error';
  /** With status `Error`: the API Hub error code, and the run error code used on dispatch. */
  errorCode?: string;
  createdTime?: string;
  /** AAD object id of the owner; default: the sandbox user. */
  ownerOid?: string;
}

export interface SeedConnectionReference {
  id: string;
  logicalName: string;
  displayName: string;
  /** Bound connection name; empty when not configured. */
  connectionName?: string;
  /** Default `/providers/Microsoft.PowerApps/apis/shared_uiflow`. */
  connectorId?: string;
  description?: string;
}

/** A signed-in Windows session on a machine. */
export interface SeedSession {
  username: string;
  /** Locked sessions don't count for attended runs. Default true. */
  unlocked?: boolean;
}

export interface SeedMachine {
  id: string;
  name: string;
  /** Its group; a standalone machine points at its own implicit (Default) group. */
  groupId: string;
  online: boolean;
  /** Active Windows sessions (attended runs need one for the connection's user). */
  sessions?: SeedSession[];
  agentversion?: string;
  /** Maintenance mode: no new runs start, runs stay queued. */
  maintenance?: boolean;
  description?: string;
}

export interface SeedMachineGroup {
  id: string;
  name: string;
  description?: string;
  /** `standard` (user-created) or `default` (a standalone machine's implicit group). */
  type: 'standard' | 'default';
  trytoreusewindowssession?: boolean;
}

/** A finished run shown in history from the start. */
export interface SeedRun {
  id: string;
  flowId: string;
  connectionName: string;
  machineId?: string;
  runMode: 'attended' | 'unattended';
  statuscode: number;
  createdon: string;
  startedon?: string;
  completedon?: string;
  errorcode?: string;
  errormessage?: string;
  inputs?: Record<string, unknown>;
  outputs?: Record<string, unknown>;
}

export interface SeedEnvironment {
  /** URL name: the org is served at `<base>/org/<name>`. */
  name: string;
  friendlyName: string;
  /** Power Platform environment id (BAP `name`). */
  environmentId: string;
  /** Dataverse organization id (GDS `Id`). */
  organizationId: string;
  uniqueName?: string;
  region?: string;
  sku?: 'Production' | 'Sandbox' | 'Developer' | 'Trial' | 'Default';
  isDefault?: boolean;
  /** Marks a China-cloud environment: RunDesktopFlow inputs limited to 1 MB instead of 2 MB. */
  chinaCloud?: boolean;
  /** False for an environment without Dataverse (listed by BAP only). Default true. */
  dataverse?: boolean;
  /** `licenseCheck.code` returned by RunDesktopFlow (default `ValidLicenseCoverage`). */
  licenseCheck?: 'ValidLicenseCoverage' | 'LicensingCheckFailed' | 'AttendedNoLicense' | 'UnattendedNoAddon';
  flows: SeedFlow[];
  /** Generates `count` extra published desktop flows named `<namePrefix> 0001`…, each an echo flow. */
  generatedFlows?: { count: number; namePrefix: string };
  connections: SeedConnection[];
  connectionReferences: SeedConnectionReference[];
  machines: SeedMachine[];
  machineGroups: SeedMachineGroup[];
  runs?: SeedRun[];
}

export interface SeedUser {
  /** AAD object id (token `oid`). */
  oid: string;
  name: string;
  upn: string;
  /** System Administrator in every environment: sees every user's runs. Default false. */
  systemAdministrator?: boolean;
}

/** The whole sandbox data set. */
export interface SandboxData {
  tenantId: string;
  /** Known users; the first is the default signed-in maker. */
  users: SeedUser[];
  environments: SeedEnvironment[];
}
