/**
 * Entity types the sandbox's Dataverse serves, with the columns, types and choice labels of the
 * reference (3.3, 4.3, 4.9, 5.4, 6.1, 6.2). A name not listed here is an unknown property (400 `0x0`).
 */
import type { EntityDef, PropertyDef } from './odataQuery';

const str: PropertyDef = { type: 'string' };
const int: PropertyDef = { type: 'int' };
const bool: PropertyDef = { type: 'boolean' };
const guid: PropertyDef = { type: 'guid' };
const date: PropertyDef = { type: 'datetime' };
const lookup = (entity: string, navigation: string): PropertyDef => ({
  type: 'guid',
  lookup: { entity, navigation },
});
const choice = (choices: Record<number, string>): PropertyDef => ({ type: 'int', choices });

const standard = {
  createdon: date,
  modifiedon: date,
  versionnumber: int,
  _ownerid_value: lookup('systemuser', 'ownerid'),
  _createdby_value: lookup('systemuser', 'createdby'),
  _modifiedby_value: lookup('systemuser', 'modifiedby'),
  _owningbusinessunit_value: lookup('businessunit', 'owningbusinessunit'),
};

/** flowsession status codes (reference 4.3). */
export const flowSessionStatus = {
  NotSpecified: 0,
  Paused: 1,
  Running: 2,
  Waiting: 3,
  Succeeded: 4,
  Skipped: 5,
  Suspended: 6,
  Cancelled: 7,
  Failed: 8,
  Faulted: 9,
  TimedOut: 10,
  Aborted: 11,
  Ignored: 12,
  Deleted: 13,
  Terminated: 14,
} as const;

const statusLabels = Object.fromEntries(
  Object.entries(flowSessionStatus).map(([k, v]) => [v, k === 'Waiting' ? 'Waiting' : k]),
);

/** True for the terminal flowsession statuses. */
export function isTerminalStatus(statuscode: number): boolean {
  return statuscode >= 4 && statuscode !== 6;
}

export const workflowEntity: EntityDef = {
  set: 'workflows',
  logicalName: 'workflow',
  key: 'workflowid',
  versionProperty: 'versionnumber',
  nameProperty: 'name',
  properties: {
    workflowid: guid,
    workflowidunique: guid,
    name: str,
    uniquename: str,
    description: str,
    category: choice({
      0: 'Workflow',
      1: 'Dialog',
      2: 'Business Rule',
      3: 'Action',
      4: 'Business Process Flow',
      5: 'Modern Flow',
      6: 'Desktop Flow',
      7: 'AI Flow',
    }),
    statecode: choice({ 0: 'Draft', 1: 'Activated', 2: 'Suspended' }),
    statuscode: choice({ 1: 'Draft', 2: 'Activated', 3: 'CompanyDLPViolation' }),
    uiflowtype: choice({
      0: 'Windows recorder (V1)',
      1: 'Selenium IDE',
      2: 'Power Automate Desktop',
      3: 'Test',
      101: 'Recording',
    }),
    modernflowtype: choice({ 0: 'PowerAutomateFlow', 1: 'CopilotStudioFlow' }),
    clientdata: str,
    clientdataiscompressed: bool,
    definition: str,
    inputs: str,
    outputs: str,
    schemaversion: str,
    desktopflowmodules: str,
    connectionreferences: str,
    dependencies: str,
    metadata: str,
    ismanaged: bool,
    solutionid: guid,
    componentstate: choice({ 0: 'Published', 1: 'Unpublished', 2: 'Deleted', 3: 'Deleted Unpublished' }),
    _parentworkflowid_value: lookup('workflow', 'parentworkflowid'),
    type: choice({ 1: 'Definition', 2: 'Activation', 3: 'Template' }),
    mode: int,
    scope: int,
    primaryentity: str,
    ...standard,
  },
};

export const flowSessionEntity: EntityDef = {
  set: 'flowsessions',
  logicalName: 'flowsession',
  key: 'flowsessionid',
  versionProperty: 'versionnumber',
  nameProperty: 'name',
  properties: {
    flowsessionid: guid,
    name: str,
    statecode: choice({ 0: 'Active', 1: 'Inactive' }),
    statuscode: choice(statusLabels),
    runmode: choice({ 0: 'Local', 1: 'Attended', 2: 'Unattended' }),
    runsessionmode: choice({ 0: 'Unapplicable', 1: 'Default', 2: 'PictureInPicture' }),
    triggertype: choice({
      0: 'ApiFlow',
      1: 'DesktopFlow',
      2: 'Local',
      3: 'RunDesktopFlowDataverseApi',
      4: 'Cua',
    }),
    subcategory: choice({ 0: 'Default', 1: 'Test' }),
    startedon: date,
    completedon: date,
    runduration: int,
    runexecutionduration: int,
    runwaitduration: int,
    errorcode: str,
    errormessage: str,
    errordetails: str,
    errorinnererror: str,
    context: str,
    inputs: str,
    outputs: str,
    additionalcontext: str,
    inputs_name: str,
    outputs_name: str,
    additionalcontext_name: str,
    _regardingobjectid_value: lookup('workflow', 'regardingobjectid_process'),
    regardingobjecttypecode: str,
    _machineid_value: lookup('flowmachine', 'MachineId'),
    _machinegroupid_value: lookup('flowmachinegroup', 'MachineGroupId'),
    _parentdesktopflowrunid_value: lookup('flowsession', 'parentdesktopflowrunid'),
    parentworkflowid: str,
    parentcloudflowrunsequenceid: str,
    connectionid: str,
    callbackurl: str,
    correlationid: str,
    clienttrackingid: str,
    gateway: str,
    credentials: str,
    machinepercentcpuusage: { type: 'double' },
    machinepercentramusage: { type: 'double' },
    machineramusage: int,
    processversion: str,
    rundetails: str,
    sessionusername: str,
    sessionusersid: str,
    ...standard,
  },
  navigations: {
    regardingobjectid_process: { target: 'workflows', kind: 'single', via: '_regardingobjectid_value' },
    MachineId: { target: 'flowmachines', kind: 'single', via: '_machineid_value' },
    MachineGroupId: { target: 'flowmachinegroups', kind: 'single', via: '_machinegroupid_value' },
    flowsession_flowlog_parentobjectid: {
      target: 'flowlogs',
      kind: 'collection',
      via: '_parentobjectid_value',
    },
    flowsession_flowlog_flowsessionid: {
      target: 'flowlogs',
      kind: 'collection',
      via: '_flowsessionid_value',
    },
  },
};

export const flowMachineEntity: EntityDef = {
  set: 'flowmachines',
  logicalName: 'flowmachine',
  key: 'flowmachineid',
  versionProperty: 'versionnumber',
  nameProperty: 'name',
  properties: {
    flowmachineid: guid,
    name: str,
    description: str,
    _flowmachinegroupid_value: lookup('flowmachinegroup', 'FlowMachineGroupId'),
    agentversion: str,
    lastheartbeatdate: date,
    statecode: choice({ 0: 'Active', 1: 'Inactive', 2: 'Maintenance' }),
    statuscode: choice({
      1: 'Active',
      2: 'Inactive',
      3: 'RequiresReconnection',
      4: 'ManualMaintenance',
      5: 'DrainMode',
      6: 'ToDelete',
      7: 'Temporary',
      8: 'Error',
      9: 'Disabled',
      10: 'Provisioning',
      11: 'RequiresGroupKey',
      12: 'ProvisionedWithError',
      13: 'HostedMachineOvercapacity',
      14: 'HostedMachineOvercapacityDeleted',
      15: 'HostedMachineOvercapacityDisabled',
    }),
    hostingtype: choice({ 0: 'Customer', 1: 'Hosted', 2: 'CloudPc' }),
    hostedmachinestate: choice({ 0: 'Disabled', 1: 'Enabled', 2: 'Error' }),
    sessioncapacity: int,
    keydeliverystatus: choice({ 1: 'Default', 2: 'PendingNewKey', 3: 'KeyExpired' }),
    lastknownpictureinpicturesupport: choice({ 0: 'Unknown', 1: 'Disabled', 2: 'Enabled' }),
    overcapacitysince: date,
    ...standard,
  },
  navigations: {
    FlowMachineGroupId: { target: 'flowmachinegroups', kind: 'single', via: '_flowmachinegroupid_value' },
  },
};

export const flowMachineGroupEntity: EntityDef = {
  set: 'flowmachinegroups',
  logicalName: 'flowmachinegroup',
  key: 'flowmachinegroupid',
  versionProperty: 'versionnumber',
  nameProperty: 'name',
  properties: {
    flowmachinegroupid: guid,
    name: str,
    description: str,
    flowgrouptype: choice({ 545940000: 'Keyless', 545940001: 'Standard', 545940002: 'Default' }),
    managementtype: choice({ 0: 'Customer', 1: 'Managed', 2: 'Shared' }),
    preferredqueuingtype: choice({ 0: 'FIFO', 1: 'ExtendedQueuePrioritization' }),
    usagetype: choice({ 0: 'RpaOnly', 1: 'CuaOnly', 2: 'RpaAndCua' }),
    domainsetting: choice({ 0: 'None', 1: 'AadJoined', 2: 'HybridEntraJoined' }),
    trytoreusewindowssession: bool,
    provisioningstate: choice({ 0: 'Created', 1: 'Provisioning', 2: 'Provisioned', 3: 'Error' }),
    lastrundate: date,
    statecode: choice({ 0: 'Active', 1: 'Inactive', 2: 'Maintenance' }),
    statuscode: choice({
      1: 'Active',
      2: 'Inactive',
      3: 'ManualMaintenance',
      4: 'KeyExpired',
      5: 'HmgIslandMove',
      6: 'Quarantined',
      7: 'HmgCmkOperation',
    }),
    ismanaged: bool,
    ...standard,
  },
  navigations: {
    flowmachinegroup_flowmachine: {
      target: 'flowmachines',
      kind: 'collection',
      via: '_flowmachinegroupid_value',
    },
    flowmachinegroup_flowsession_MachineGroupId: {
      target: 'flowsessions',
      kind: 'collection',
      via: '_machinegroupid_value',
    },
  },
};

export const connectionReferenceEntity: EntityDef = {
  set: 'connectionreferences',
  logicalName: 'connectionreference',
  key: 'connectionreferenceid',
  versionProperty: 'versionnumber',
  nameProperty: 'connectionreferencedisplayname',
  properties: {
    connectionreferenceid: guid,
    connectionreferencelogicalname: str,
    connectionreferencedisplayname: str,
    connectorid: str,
    connectionid: str,
    description: str,
    promptingbehavior: choice({ 0: 'Prompt on import', 1: 'Skip' }),
    statecode: choice({ 0: 'Active', 1: 'Inactive' }),
    statuscode: choice({ 1: 'Active', 2: 'Inactive' }),
    ismanaged: bool,
    componentstate: choice({ 0: 'Published', 1: 'Unpublished', 2: 'Deleted', 3: 'Deleted Unpublished' }),
    ...standard,
  },
};

export const systemUserEntity: EntityDef = {
  set: 'systemusers',
  logicalName: 'systemuser',
  key: 'systemuserid',
  versionProperty: 'versionnumber',
  nameProperty: 'fullname',
  properties: {
    systemuserid: guid,
    fullname: str,
    domainname: str,
    internalemailaddress: str,
    azureactivedirectoryobjectid: guid,
    isdisabled: bool,
    _businessunitid_value: lookup('businessunit', 'businessunitid'),
    createdon: date,
    modifiedon: date,
    versionnumber: int,
  },
};

/** V2 action logs (elastic table). API-triggered runs write none, per reference 4.9. */
export const flowLogEntity: EntityDef = {
  set: 'flowlogs',
  logicalName: 'flowlog',
  key: 'flowlogid',
  versionProperty: 'versionnumber',
  nameProperty: 'name',
  properties: {
    flowlogid: guid,
    name: str,
    data: str,
    type: int,
    level: choice({
      100000000: 'Verbose',
      100000001: 'Debug',
      100000002: 'Info',
      100000003: 'Warning',
      100000004: 'Error',
    }),
    _parentobjectid_value: guid,
    _flowsessionid_value: lookup('flowsession', 'flowsessionid'),
    _desktopflowid_value: lookup('workflow', 'desktopflowid'),
    _flowmachineid_value: lookup('flowmachine', 'flowmachineid'),
    _flowmachinegroupid_value: lookup('flowmachinegroup', 'flowmachinegroupid'),
    duration: int,
    logindex: int,
    partitionid: str,
    ttlinseconds: int,
    createdon: date,
    versionnumber: int,
  },
};

/** Every entity set, by name (names are case-sensitive, like Dataverse's). */
export const dataverseEntities: readonly EntityDef[] = [
  workflowEntity,
  flowSessionEntity,
  flowMachineEntity,
  flowMachineGroupEntity,
  connectionReferenceEntity,
  systemUserEntity,
  flowLogEntity,
];
