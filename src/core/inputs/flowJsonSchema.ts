/**
 * Converts a desktop flow's schema into JSON Schema draft-07: the core's authoritative check and what
 * `desktop-flows schema` prints. The editor is served a guide derived from it without the constraints
 * (`editorJsonSchema.ts`), so that each problem is reported once, by the input diagnostics.
 *
 * Shape of the result for inputs: an object with `additionalProperties: false` (unknown input names are
 * flagged), a `$schema` property (input files name their flow with it), and one property per input with
 * `title`, `description`, `markdownDescription` (type, required/optional, sensitive), `default` and a
 * type. A sensitive input also accepts a `${env:NAME}` / `${secret:NAME}` reference string, whatever
 * its type.
 */
import type { RawFlowSchema } from '../model/flowSchema';
import type { DesktopFlowSchema, FlowVariable, SchemaDirection, SchemaWarning } from './desktopFlowSchema';
import { kindLabel, parseDesktopFlowSchema } from './desktopFlowSchema';
import { placeholderPattern } from './inputPlaceholders';
import { referencePattern } from './secretReference';

/** A JSON Schema document (draft-07), as plain JSON. */
export type JsonSchema = { readonly [key: string]: unknown };

/** The draft this module writes. */
export const jsonSchemaDraft = 'http://json-schema.org/draft-07/schema#';

/** Options for `toJsonSchema`. */
export interface JsonSchemaOptions {
  /** `$id` of the document, normally its `desktopflows-schema:` URI. */
  readonly id?: string;
  /** Title of the document, e.g. the flow's name. */
  readonly title?: string;
  /** Description of the document, e.g. the flow's description. */
  readonly description?: string;
}

function escapeMarkdown(text: string): string {
  return text.replace(/([\\`*_{}[\]<>#|])/g, '\\$1');
}

function jsonTypeSchema(variable: FlowVariable): Record<string, unknown> {
  switch (variable.kind) {
    case 'text':
      // A "<required: …>" placeholder is a string too: it must still fail.
      return {
        type: 'string',
        pattern: `^(?!${placeholderPattern.slice(1, -1)}$)`,
        patternErrorMessage: `Replace the placeholder with the text for "${variable.name}".`,
      };
    case 'number':
      return { type: 'number' };
    case 'boolean':
      return { type: 'boolean' };
    case 'customObject':
      return { type: 'object' };
    case 'list':
      return { type: 'array' };
    case 'datatable':
      // Undocumented shape: rows as a list, or a table object; the declared type is not trusted.
      return { type: ['array', 'object'] };
    case 'unknown':
      return {};
  }
}

function requirementText(variable: FlowVariable, direction: SchemaDirection): string | undefined {
  if (direction === 'outputs') {
    return undefined;
  }
  switch (variable.requirement) {
    case 'required':
      return variable.hasDefault ? 'required (has a default)' : 'required';
    case 'optional':
      return 'optional';
    case 'unknown':
      return undefined;
  }
}

function typeName(variable: FlowVariable): string {
  const label = kindLabel(variable.kind);
  return variable.kind === 'unknown' ? 'Any value' : label.charAt(0).toUpperCase() + label.slice(1);
}

function describe(
  variable: FlowVariable,
  direction: SchemaDirection,
): { description: string; markdown: string } {
  const facts = [
    typeName(variable),
    requirementText(variable, direction),
    variable.sensitive ? 'sensitive' : undefined,
  ]
    .filter((f): f is string => f !== undefined)
    .join(', ');
  const parts = [`${facts}.`];
  const md = [`**${typeName(variable)}** ${direction === 'inputs' ? 'input' : 'output'}`];
  const requirement = requirementText(variable, direction);
  if (requirement !== undefined) {
    md[0] += ` · ${requirement}`;
  }
  if (variable.sensitive) {
    md[0] += ' · sensitive';
  }
  if (variable.title !== undefined && variable.title !== variable.name) {
    md.push(`*${escapeMarkdown(variable.title)}*`);
  }
  if (variable.description !== undefined) {
    parts.push(variable.description);
    md.push(escapeMarkdown(variable.description));
  }
  if (direction === 'inputs' && variable.requirement === 'optional') {
    md.push("Leave it out to use the flow's default.");
  }
  if (variable.sensitive && direction === 'inputs') {
    const hint =
      'Write `${secret:NAME}` or `${env:NAME}` instead of the value: it is looked up when the run starts and never stored in this file.';
    md.push(hint);
    parts.push('Use ${secret:NAME} or ${env:NAME} instead of the value.');
  }
  if (variable.hasDefault && !variable.sensitive) {
    md.push(`Default: \`${JSON.stringify(variable.default)}\``);
  }
  return { description: parts.join(' '), markdown: md.join('\n\n') };
}

function variableSchema(variable: FlowVariable, direction: SchemaDirection): Record<string, unknown> {
  const { description, markdown } = describe(variable, direction);
  const annotations: Record<string, unknown> = {
    title: variable.title ?? variable.name,
    description,
    markdownDescription: markdown,
  };
  // A sensitive default would be shown by every completion list; leave it to the flow.
  if (variable.hasDefault && !variable.sensitive) {
    annotations.default = variable.default;
  }
  const typed = jsonTypeSchema(variable);
  // Every input accepts a reference; a string input accepts one as it is.
  const stringTyped = variable.kind === 'text' || variable.kind === 'unknown';
  if (!variable.sensitive && (direction !== 'inputs' || stringTyped)) {
    return { ...annotations, ...typed };
  }
  const reference = {
    type: 'string',
    pattern: referencePattern,
    description:
      'A reference resolved when the run starts: ${secret:NAME} (secret storage) or ${env:NAME} (environment variable).',
  };
  return variable.sensitive
    ? { ...annotations, examples: ['${secret:NAME}', '${env:NAME}'], anyOf: [typed, reference] }
    : { ...annotations, anyOf: [typed, reference] };
}

/** Convert a normalised schema into a JSON Schema document for input files (or output documents). */
export function toJsonSchema(schema: DesktopFlowSchema, options: JsonSchemaOptions = {}): JsonSchema {
  const direction = schema.direction;
  const properties: Record<string, unknown> = {
    $schema: {
      type: 'string',
      title: 'Schema',
      description:
        'The desktop flow this file is for, as desktopflows-schema:/<flowId>.json or desktopflows-schema:/<environment>/<flowId>.json. Removed before the inputs are sent.',
      markdownDescription:
        'The desktop flow this file is for: `desktopflows-schema:/<flowId>.json` or `desktopflows-schema:/<environment>/<flowId>.json`. Removed before the inputs are sent.',
    },
  };
  for (const variable of schema.variables) {
    properties[variable.name] = variableSchema(variable, direction);
  }
  const required =
    direction === 'inputs'
      ? schema.variables.filter((v) => v.requirement === 'required' && !v.hasDefault).map((v) => v.name)
      : [];
  return {
    $schema: jsonSchemaDraft,
    ...(options.id === undefined ? {} : { $id: options.id }),
    ...(options.title === undefined ? {} : { title: options.title }),
    ...(options.description === undefined ? {} : { description: options.description }),
    type: 'object',
    properties,
    ...(required.length > 0 ? { required } : {}),
    // An unreadable schema must not turn every input into an "unknown input" error.
    additionalProperties: !schema.complete,
  };
}

/** A converted schema: normalised model, JSON Schema, and the guesses made. */
export interface ConvertedFlowSchema {
  readonly schema: DesktopFlowSchema;
  readonly jsonSchema: JsonSchema;
  readonly warnings: readonly SchemaWarning[];
}

/**
 * Normalise a stored schema and convert it to JSON Schema in one call: what the schema content
 * provider serves. Warnings describe undocumented shapes that were accepted; they never block a run.
 */
export function convertFlowSchema(
  raw: RawFlowSchema | undefined,
  direction: SchemaDirection,
  options: JsonSchemaOptions = {},
): ConvertedFlowSchema {
  const parsed = parseDesktopFlowSchema(raw, direction);
  return {
    schema: parsed.schema,
    jsonSchema: toJsonSchema(parsed.schema, options),
    warnings: parsed.warnings,
  };
}
