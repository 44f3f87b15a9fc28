import type { RawFlowSchema, RawSchemaProperty } from '../../core/model/flowSchema';

/** A flow variable as the tree shows it. */
export interface FlowVariable {
  readonly name: string;
  readonly typeLabel: 'Text' | 'Number' | 'Boolean' | 'Custom object' | 'List' | 'Datatable' | 'Unknown';
  readonly description: string | undefined;
  readonly defaultValue: string | undefined;
  readonly sensitive: boolean;
  readonly optional: boolean;
}

/**
 * The variables of a stored schema (reference 3.4/3.6). The sensitive and optional markers are undocumented,
 * so every plausible form is accepted: `x-ms-sensitive`, `x-ms-visibility: internal`, `format: password`, and
 * `required` at schema level (absent `required` means every input is required, the service default).
 */
export function variablesOf(schema: RawFlowSchema | undefined): FlowVariable[] {
  const properties = schema?.schema?.properties ?? {};
  const required = schema?.schema?.required;
  return Object.entries(properties).map(([name, p]) => ({
    name,
    typeLabel: typeLabel(p),
    description: typeof p.description === 'string' && p.description !== '' ? p.description : undefined,
    defaultValue: defaultText(p.default),
    sensitive: isSensitive(p),
    optional: p['x-ms-optional'] === true || (Array.isArray(required) && !required.includes(name)),
  }));
}

function typeLabel(p: RawSchemaProperty): FlowVariable['typeLabel'] {
  const format = typeof p.format === 'string' ? p.format.toLowerCase() : '';
  switch (typeof p.type === 'string' ? p.type : '') {
    case 'string':
      return 'Text';
    case 'number':
    case 'integer':
      return 'Number';
    case 'boolean':
      return 'Boolean';
    case 'object':
      return format === 'datatable' ? 'Datatable' : 'Custom object';
    case 'array':
      return format === 'datatable' ? 'Datatable' : 'List';
    default:
      return 'Unknown';
  }
}

function isSensitive(p: RawSchemaProperty): boolean {
  const format = typeof p.format === 'string' ? p.format.toLowerCase() : '';
  return p['x-ms-sensitive'] === true || p['x-ms-visibility'] === 'internal' || format === 'password' || p.sensitive === true;
}

function defaultText(value: unknown): string | undefined {
  if (value === undefined || value === null || value === '') {
    return undefined;
  }
  return typeof value === 'string' ? value : JSON.stringify(value);
}
