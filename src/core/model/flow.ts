/**
 * A desktop flow: a `workflow` row with `category` 6 (docs/service-contract.md#desktop-flows-workflows-category-6).
 */
import { formattedValue, optionalBoolean, optionalNumber, optionalString } from './dtoFields';

/** `workflow.statecode`: 0 Draft, 1 Activated, 2 Suspended. */
export type FlowState = 'draft' | 'activated' | 'suspended' | 'unknown';

/** `workflow.uiflowtype`. Modern Power Automate Desktop flows are `powerAutomateDesktop`. */
export type UiFlowType =
  'windowsRecorder' | 'seleniumIde' | 'powerAutomateDesktop' | 'test' | 'recording' | 'unknown';

/** `workflow.componentstate`: whether the row is the published or an unpublished (draft) layer. */
export type ComponentState = 'published' | 'unpublished' | 'deleted' | 'deletedUnpublished' | 'unknown';

/** A desktop flow as the explorer shows it. Schemas are fetched separately, when a flow is expanded. */
export interface DesktopFlow {
  /** `workflowid`: what RunDesktopFlow is bound to. */
  readonly id: string;
  readonly name: string;
  readonly description: string | undefined;
  readonly state: FlowState;
  /** Raw `statuscode` (1 Draft, 2 Activated, 3 CompanyDLPViolation). */
  readonly statusCode: number | undefined;
  readonly uiFlowType: UiFlowType;
  readonly componentState: ComponentState;
  /** True when the row is an unpublished (draft) layer; only listed with `includeDrafts`. */
  readonly isUnpublished: boolean;
  readonly schemaVersion: string | undefined;
  readonly isManaged: boolean;
  readonly ownerId: string | undefined;
  /** Owner display name, from the formatted-value annotation. */
  readonly ownerName: string | undefined;
  readonly createdOn: string | undefined;
  readonly modifiedOn: string | undefined;
  /** `workflowidunique`: stable across solution import. */
  readonly uniqueId: string | undefined;
}

/** A `workflows` row as selected by the client. */
export interface WorkflowDto {
  readonly workflowid?: string;
  readonly name?: string | null;
  readonly description?: string | null;
  readonly statecode?: number;
  readonly statuscode?: number;
  readonly uiflowtype?: number | null;
  readonly componentstate?: number | null;
  readonly schemaversion?: string | null;
  readonly ismanaged?: boolean;
  readonly _ownerid_value?: string | null;
  readonly createdon?: string | null;
  readonly modifiedon?: string | null;
  readonly workflowidunique?: string | null;
  readonly [field: string]: unknown;
}

/** Columns selected for flow lists: what the explorer shows, never `clientdata` or `definition` (megabytes). */
export const flowSelect = [
  'workflowid',
  'name',
  'description',
  'statecode',
  'statuscode',
  'uiflowtype',
  'componentstate',
  'schemaversion',
  'ismanaged',
  '_ownerid_value',
  'createdon',
  'modifiedon',
  'workflowidunique',
] as const;

const flowStates: Readonly<Record<number, FlowState>> = { 0: 'draft', 1: 'activated', 2: 'suspended' };
const uiFlowTypes: Readonly<Record<number, UiFlowType>> = {
  0: 'windowsRecorder',
  1: 'seleniumIde',
  2: 'powerAutomateDesktop',
  3: 'test',
  101: 'recording',
};
const componentStates: Readonly<Record<number, ComponentState>> = {
  0: 'published',
  1: 'unpublished',
  2: 'deleted',
  3: 'deletedUnpublished',
};

/** Normalise a `workflows` row; `undefined` when it has no id. */
export function flowFromDto(dto: WorkflowDto): DesktopFlow | undefined {
  const id = optionalString(dto.workflowid);
  if (id === undefined) {
    return undefined;
  }
  const stateCode = optionalNumber(dto.statecode);
  const uiFlowType = optionalNumber(dto.uiflowtype);
  const componentState = optionalNumber(dto.componentstate);
  const component = componentState === undefined ? 'unknown' : (componentStates[componentState] ?? 'unknown');
  return {
    id,
    name: optionalString(dto.name) ?? id,
    description: optionalString(dto.description),
    state: stateCode === undefined ? 'unknown' : (flowStates[stateCode] ?? 'unknown'),
    statusCode: optionalNumber(dto.statuscode),
    uiFlowType: uiFlowType === undefined ? 'unknown' : (uiFlowTypes[uiFlowType] ?? 'unknown'),
    componentState: component,
    isUnpublished: component === 'unpublished' || component === 'deletedUnpublished',
    schemaVersion: optionalString(dto.schemaversion),
    isManaged: optionalBoolean(dto.ismanaged) ?? false,
    ownerId: optionalString(dto._ownerid_value),
    ownerName: formattedValue(dto, '_ownerid_value'),
    createdOn: optionalString(dto.createdon),
    modifiedOn: optionalString(dto.modifiedon),
    uniqueId: optionalString(dto.workflowidunique),
  };
}
