import type { RawFlowSchema } from '../../core/model/flowSchema';
import { parseDesktopFlowSchema, type VariableKind } from '../../core/inputs/desktopFlowSchema';

/** A flow variable as the tree shows it. */
export interface FlowVariable {
  readonly name: string;
  readonly typeLabel: 'Text' | 'Number' | 'Boolean' | 'Custom object' | 'List' | 'Datatable' | 'Unknown';
  readonly description: string | undefined;
  readonly defaultValue: string | undefined;
  readonly sensitive: boolean;
  readonly optional: boolean;
}

const labels: Record<VariableKind, FlowVariable['typeLabel']> = {
  text: 'Text',
  number: 'Number',
  boolean: 'Boolean',
  customObject: 'Custom object',
  list: 'List',
  datatable: 'Datatable',
  unknown: 'Unknown',
};

/**
 * The variables of a stored schema, read by the core's schema parser (the one place that interprets the
 * undocumented sensitive/optional/datatable markers, docs/service-contract.md#flow-input-and-output-schemas/3.6).
 */
export function variablesOf(
  schema: RawFlowSchema | undefined,
  direction: 'inputs' | 'outputs',
): FlowVariable[] {
  return parseDesktopFlowSchema(schema, direction).schema.variables.map((v) => ({
    name: v.name,
    typeLabel: labels[v.kind],
    description: v.description === '' ? undefined : v.description,
    defaultValue: v.hasDefault
      ? typeof v.default === 'string'
        ? v.default
        : JSON.stringify(v.default)
      : undefined,
    sensitive: v.sensitive,
    optional: v.requirement === 'optional',
  }));
}
