/**
 * The text of a new input file ("New Input File"): `$schema` naming the flow, then the flow's inputs in
 * schema order. An input with a default gets the default; a required input without one gets a
 * `"<required: …>"` placeholder that fails validation until it is replaced; an optional input without a
 * default is left out (completion offers it). A sensitive input never gets its default written into
 * the file: it gets a placeholder asking for a `${secret:NAME}` reference, or is left out if optional.
 */
import type { DesktopFlowSchema, FlowVariable } from './desktopFlowSchema';
import { placeholderFor } from './inputPlaceholders';
import { formatSchemaUri } from './schemaUri';
import { setOwn } from './variableValues';

/** The value a new file starts with for `variable`, or `undefined` to leave it out. */
export function initialValue(variable: FlowVariable): unknown {
  if (variable.sensitive) {
    return variable.requirement === 'optional' ? undefined : placeholderFor(variable);
  }
  if (variable.hasDefault) {
    return variable.default;
  }
  return variable.requirement === 'optional' ? undefined : placeholderFor(variable);
}

/** Serialise an input file: two-space indentation and a final newline, like VS Code's formatter. */
export function formatInputFile(values: Readonly<Record<string, unknown>>): string {
  return `${JSON.stringify(values, null, 2)}\n`;
}

/**
 * JSON text for a new input file of `schema`'s flow. `environment` (id or org unique name) goes into the
 * `$schema` URI when given.
 */
export function createInputFileContent(
  schema: DesktopFlowSchema,
  flowId: string,
  environment?: string,
): string {
  const values: Record<string, unknown> = {
    $schema: formatSchemaUri(environment === undefined ? { flowId } : { flowId, environment }),
  };
  for (const variable of schema.variables) {
    const value = initialValue(variable);
    if (value !== undefined) {
      setOwn(values, variable.name, value);
    }
  }
  return formatInputFile(values);
}
