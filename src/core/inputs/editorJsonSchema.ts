/**
 * The JSON Schema served to the editor's JSON language service for input files: a guide, not a check.
 * It keeps what drives completion and hover (input names, titles, descriptions, defaults, examples and
 * value snippets) and leaves out every constraint (`type`, `required`, `additionalProperties`, `pattern`,
 * `anyOf`). The input diagnostics report each problem once, at the severity that tells whether it blocks a
 * run; the JSON language service would report the same violations again, always as warnings.
 */
import type { DesktopFlowSchema, FlowVariable } from './desktopFlowSchema';
import { jsonSchemaDraft, toJsonSchema, type JsonSchema, type JsonSchemaOptions } from './flowJsonSchema';

/** Annotations kept from the full schema's properties. */
const annotationKeys = ['title', 'description', 'markdownDescription', 'default', 'examples'] as const;

/** A value snippet for completion (VS Code's `defaultSnippets`; a body string starting with `^` is inserted raw). */
interface ValueSnippet {
  readonly label: string;
  readonly description?: string;
  readonly body: unknown;
}

/** Snippets that stand in for what `type` gave completion: the shape of a value of the input's kind. */
function valueSnippets(variable: FlowVariable): ValueSnippet[] | undefined {
  if (variable.sensitive || (variable.hasDefault && variable.kind !== 'boolean')) {
    // Sensitive inputs: the examples (`${secret:NAME}`, `${env:NAME}`); defaults: the default itself.
    return undefined;
  }
  switch (variable.kind) {
    case 'text':
      return [{ label: '"text"', description: 'Text', body: '^"$1"' }];
    case 'number':
      return [{ label: '0', description: 'Number', body: '^${1:0}' }];
    case 'boolean':
      return [
        { label: 'true', body: true },
        { label: 'false', body: false },
      ];
    case 'customObject':
      return [{ label: '{}', description: 'Custom object', body: '^{$1}' }];
    case 'list':
      return [{ label: '[]', description: 'List', body: '^[$1]' }];
    case 'datatable':
      return [
        { label: '[]', description: 'Data table as a list of rows', body: '^[$1]' },
        { label: '{}', description: 'Data table as an object', body: '^{$1}' },
      ];
    case 'unknown':
      return undefined;
  }
}

function annotations(property: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (typeof property === 'object' && property !== null) {
    for (const key of annotationKeys) {
      const value = (property as Record<string, unknown>)[key];
      if (value !== undefined) {
        out[key] = value;
      }
    }
  }
  return out;
}

/** The editor's guide to an input file of this flow (see the module comment). */
export function toEditorJsonSchema(schema: DesktopFlowSchema, options: JsonSchemaOptions = {}): JsonSchema {
  const full = toJsonSchema(schema, options);
  const fullProperties = (full.properties ?? {}) as Record<string, unknown>;
  const properties: Record<string, unknown> = { $schema: annotations(fullProperties.$schema) };
  for (const variable of schema.variables) {
    const snippets = valueSnippets(variable);
    properties[variable.name] = {
      ...annotations(fullProperties[variable.name]),
      ...(snippets === undefined ? {} : { defaultSnippets: snippets }),
    };
  }
  return {
    $schema: jsonSchemaDraft,
    ...(options.id === undefined ? {} : { $id: options.id }),
    ...(options.title === undefined ? {} : { title: options.title }),
    ...(options.description === undefined ? {} : { description: options.description }),
    properties,
  };
}

/** Validation keywords: none of them may appear in what the editor is served. */
export const constraintKeywords: readonly string[] = [
  'type',
  'required',
  'additionalProperties',
  'pattern',
  'patternErrorMessage',
  'anyOf',
  'oneOf',
  'allOf',
  'not',
  'enum',
  'const',
  'minimum',
  'maximum',
  'minLength',
  'maxLength',
  'minItems',
  'maxItems',
  'items',
  'format',
];
