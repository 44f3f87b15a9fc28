/**
 * Builds the JSON text of `workflow.inputs` / `workflow.outputs` (reference 3.4) from PAD variable
 * declarations. Only `string` and `number` are documented. For the rest the sandbox picks a plausible
 * shape [Inferred]: boolean → `"boolean"`, custom object → `"object"`, list → `"array"`, datatable →
 * `"array"` with `"format": "datatable"` and object items, sensitive → `"x-ms-sensitive": true`, and
 * optional inputs are left out of a schema-level `"required"` array.
 */
import type { SeedFlow, SeedVariable, VariableType } from './seedTypes';

const jsonType: Record<VariableType, string> = {
  text: 'string',
  number: 'number',
  boolean: 'boolean',
  object: 'object',
  list: 'array',
  datatable: 'array',
};

/** Default value of a variable type when the seed gives none. */
export function typeDefault(type: VariableType): unknown {
  switch (type) {
    case 'text':
      return '';
    case 'number':
      return 0;
    case 'boolean':
      return false;
    case 'object':
      return {};
    case 'list':
    case 'datatable':
      return [];
  }
}

function asValueString(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function property(variable: SeedVariable, isInput: boolean): Record<string, unknown> {
  const def = variable.default ?? (variable.type === 'text' ? '' : typeDefault(variable.type));
  const p: Record<string, unknown> = {
    default: variable.default === undefined ? '' : variable.default,
    description: variable.description ?? '',
    format: variable.type === 'datatable' ? 'datatable' : null,
    title: variable.name,
    type: jsonType[variable.type],
    // Documented: inputs carry the default as a string in `value`; outputs have `value: null`.
    value: isInput ? asValueString(def) : null,
  };
  if (variable.type === 'list') {
    p.items = {};
  } else if (variable.type === 'datatable') {
    p.items = { type: 'object' };
  }
  if (variable.sensitive === true) {
    p['x-ms-sensitive'] = true;
  }
  return p;
}

/** Schema texts by declaration, since thousands of generated flows share one declaration. */
const schemaCache = new Map<string, string>();

/** The schema JSON text for a list of variables. */
export function buildSchemaText(variables: readonly SeedVariable[], isInput: boolean): string {
  const key = `${isInput ? 'in' : 'out'}:${JSON.stringify(variables)}`;
  const cached = schemaCache.get(key);
  if (cached !== undefined) {
    return cached;
  }
  const text = schemaText(variables, isInput);
  if (schemaCache.size < 1000) {
    schemaCache.set(key, text);
  }
  return text;
}

function schemaText(variables: readonly SeedVariable[], isInput: boolean): string {
  const properties = Object.fromEntries(variables.map((v) => [v.name, property(v, isInput)]));
  const schema: Record<string, unknown> = { type: 'object', properties };
  if (isInput && variables.length > 0) {
    schema.required = variables.filter((v) => v.optional !== true).map((v) => v.name);
  }
  return JSON.stringify({ schema });
}

/** `inputs` column text of a seeded flow. */
export function inputsSchemaText(flow: SeedFlow): string {
  return flow.rawInputsSchema ?? buildSchemaText(flow.inputs, true);
}

/** `outputs` column text of a seeded flow. */
export function outputsSchemaText(flow: SeedFlow): string {
  return flow.rawOutputsSchema ?? buildSchemaText(flow.outputs, false);
}

/** Value of a variable for a run: the caller's input, else the declared default, else the type default. */
export function inputValue(
  variable: SeedVariable | undefined,
  inputs: Record<string, unknown>,
  name: string,
): unknown {
  if (Object.prototype.hasOwnProperty.call(inputs, name)) {
    return inputs[name];
  }
  if (variable?.default !== undefined) {
    return variable.default;
  }
  return variable === undefined ? null : typeDefault(variable.type);
}
