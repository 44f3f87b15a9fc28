/**
 * A desktop flow's input or output schema (docs/service-contract.md#flow-input-and-output-schemas), normalised into one variable list the
 * rest of `src/core/inputs` works from. Only `string` and `number` are documented; every other shape
 * (boolean, custom object, list, datatable, sensitive, optional) is accepted when plausible and reported
 * as a warning, never as an error: a guess about the schema must not block a run.
 */
import type { RawFlowSchema } from '../model/flowSchema';
import { coerceToKind } from './variableValues';

/** PAD variable data types (docs/service-contract.md#flow-input-and-output-schemas), plus `unknown` for a type the schema does not name. */
export type VariableKind = 'text' | 'number' | 'boolean' | 'customObject' | 'list' | 'datatable' | 'unknown';

/** Which schema column a schema came from (`workflows(<id>)/inputs` or `/outputs`). */
export type SchemaDirection = 'inputs' | 'outputs';

/**
 * Whether an input must be given. `unknown` when the schema says nothing (the documented sample has no
 * `required` array and no optional flag): then a missing input is a warning, not an error.
 */
export type Requirement = 'required' | 'optional' | 'unknown';

/** One input or output variable. */
export interface FlowVariable {
  /** Property key: what callers pass in `inputs` (PAD's External name). */
  readonly name: string;
  readonly kind: VariableKind;
  /** The schema's `type` as stored, for messages. */
  readonly declaredType: string | undefined;
  readonly title: string | undefined;
  readonly description: string | undefined;
  /** True when the schema declares a usable default (`""` and `null` count as none). */
  readonly hasDefault: boolean;
  /** The default converted to the variable's kind; `undefined` when `hasDefault` is false. */
  readonly default: unknown;
  /** "Mark as sensitive": values are masked everywhere and belong in `${secret:…}` references. */
  readonly sensitive: boolean;
  readonly requirement: Requirement;
}

/** A flow's inputs or outputs, normalised. */
export interface DesktopFlowSchema {
  readonly direction: SchemaDirection;
  /** In the order the stored schema lists them. */
  readonly variables: readonly FlowVariable[];
  /**
   * False when the stored schema could not be read. Validation then accepts any object (with a
   * warning from conversion) instead of flagging every input as unknown.
   */
  readonly complete: boolean;
}

/** Why conversion had to guess. Stable strings, for tests and for the UI to pick wording. */
export type SchemaWarningCode =
  | 'unreadableSchema'
  | 'unwrappedSchema'
  | 'missingType'
  | 'unknownType'
  | 'datatableShape'
  | 'sensitiveFlag'
  | 'optionalFlag'
  | 'defaultIgnored'
  | 'reservedName'
  | 'invalidProperty';

/** Something undocumented or unreadable met while converting a schema. Never blocks a run. */
export interface SchemaWarning {
  readonly code: SchemaWarningCode;
  readonly message: string;
  /** The variable concerned, when there is one. */
  readonly variable?: string;
}

/** A normalised schema plus the guesses made on the way. */
export interface ParsedFlowSchema {
  readonly schema: DesktopFlowSchema;
  readonly warnings: readonly SchemaWarning[];
}

/** The human name of a kind, as PAD shows it ("custom object", "datatable"). */
export function kindLabel(kind: VariableKind): string {
  switch (kind) {
    case 'text':
      return 'text';
    case 'number':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'customObject':
      return 'custom object';
    case 'list':
      return 'list';
    case 'datatable':
      return 'datatable';
    case 'unknown':
      return 'value';
  }
}

/** A kind as a noun phrase: "text", "a number", "a custom object", "any value". */
export function kindNoun(kind: VariableKind): string {
  switch (kind) {
    case 'text':
      return 'text';
    case 'unknown':
      return 'any value';
    case 'number':
    case 'boolean':
    case 'customObject':
    case 'list':
    case 'datatable':
      return `a ${kindLabel(kind)}`;
  }
}

type Json = Readonly<Record<string, unknown>>;

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const sensitiveFlagKeys = ['x-ms-sensitive', 'sensitive', 'isSensitive', 'x-ms-secret'];
const sensitiveFormats = new Set(['password', 'sensitive', 'secret']);
// Connector schemas use x-ms-visibility "internal" to hide a parameter; treating it as sensitive only
// costs a warning for literals and some masking, while missing a sensitive input would leak it.
const sensitiveVisibilities = new Set(['sensitive', 'internal']);
const optionalFlagKeys = ['optional', 'isOptional', 'x-ms-optional'];
const datatableHintKeys = ['x-ms-datatype', 'x-ms-pad-type', 'padType', 'dataType', 'variableType'];

/** PAD-style type names a non-standard schema might use, normalised to lower case without separators. */
const typeAliases: Readonly<Record<string, VariableKind>> = {
  text: 'text',
  str: 'text',
  int: 'number',
  integer: 'number',
  decimal: 'number',
  double: 'number',
  float: 'number',
  numeric: 'number',
  bool: 'boolean',
  customobject: 'customObject',
  list: 'list',
  datatable: 'datatable',
  datarow: 'customObject',
};

function declaredTypeName(type: unknown): string | undefined {
  if (typeof type === 'string') {
    return type;
  }
  if (Array.isArray(type)) {
    // ["number", "null"] is how JSON Schema spells "nullable number".
    const named = type.filter((t): t is string => typeof t === 'string' && t !== 'null');
    return named.length === 1 ? named[0] : undefined;
  }
  return undefined;
}

function hasDatatableHint(property: Json): boolean {
  const format = property.format;
  if (typeof format === 'string' && /data\s*_?-?table/i.test(format)) {
    return true;
  }
  return datatableHintKeys.some((k) => {
    const v = property[k];
    return typeof v === 'string' && /data\s*_?-?table/i.test(v);
  });
}

function kindOf(
  name: string,
  property: Json,
  warnings: SchemaWarning[],
): { kind: VariableKind; declaredType: string | undefined } {
  const declaredType = declaredTypeName(property.type);
  const datatable = hasDatatableHint(property);
  if (declaredType === undefined) {
    if (datatable) {
      return { kind: 'datatable', declaredType };
    }
    warnings.push({
      code: 'missingType',
      variable: name,
      message: `"${name}" has no type in the flow's schema; any JSON value is accepted for it.`,
    });
    return { kind: 'unknown', declaredType };
  }
  switch (declaredType) {
    case 'string':
      return { kind: datatable ? 'datatable' : 'text', declaredType };
    case 'number':
    case 'integer':
      return { kind: 'number', declaredType };
    case 'boolean':
      return { kind: 'boolean', declaredType };
    case 'object':
      return { kind: datatable ? 'datatable' : 'customObject', declaredType };
    case 'array':
      return { kind: datatable ? 'datatable' : 'list', declaredType };
    default: {
      const alias = typeAliases[declaredType.toLowerCase().replace(/[^a-z]/g, '')];
      if (alias !== undefined) {
        warnings.push({
          code: 'unknownType',
          variable: name,
          message: `"${name}" has the undocumented type "${declaredType}"; it is treated as ${kindLabel(alias)}.`,
        });
        return { kind: alias, declaredType };
      }
      warnings.push({
        code: 'unknownType',
        variable: name,
        message: `"${name}" has the unknown type "${declaredType}"; any JSON value is accepted for it.`,
      });
      return { kind: 'unknown', declaredType };
    }
  }
}

function isSensitive(property: Json): boolean {
  if (sensitiveFlagKeys.some((k) => property[k] === true)) {
    return true;
  }
  const format = property.format;
  if (typeof format === 'string' && sensitiveFormats.has(format.toLowerCase())) {
    return true;
  }
  const visibility = property['x-ms-visibility'];
  return typeof visibility === 'string' && sensitiveVisibilities.has(visibility.toLowerCase());
}

function optionalFlag(property: Json): boolean | undefined {
  for (const k of optionalFlagKeys) {
    const v = property[k];
    if (typeof v === 'boolean') {
      return v;
    }
  }
  // Draft-3 style `"required": true|false` on the property itself.
  const required = property.required;
  return typeof required === 'boolean' ? !required : undefined;
}

function stringOrUndefined(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function variableFrom(
  name: string,
  property: unknown,
  direction: SchemaDirection,
  requiredList: ReadonlySet<string> | undefined,
  warnings: SchemaWarning[],
): FlowVariable {
  if (!isRecord(property)) {
    warnings.push({
      code: 'invalidProperty',
      variable: name,
      message: `"${name}" is not described by an object in the flow's schema; any JSON value is accepted for it.`,
    });
    return {
      name,
      kind: 'unknown',
      declaredType: undefined,
      title: undefined,
      description: undefined,
      hasDefault: false,
      default: undefined,
      sensitive: false,
      requirement: direction === 'outputs' ? 'optional' : 'unknown',
    };
  }
  const { kind, declaredType } = kindOf(name, property, warnings);
  if (kind === 'datatable') {
    warnings.push({
      code: 'datatableShape',
      variable: name,
      message: `"${name}" is a datatable, whose JSON shape is undocumented; rows are accepted as a JSON array or object.`,
    });
  }
  const sensitive = isSensitive(property);
  if (sensitive) {
    warnings.push({
      code: 'sensitiveFlag',
      variable: name,
      message: `"${name}" is treated as sensitive because of an undocumented schema flag.`,
    });
  }

  let requirement: Requirement;
  const flag = optionalFlag(property);
  if (direction === 'outputs') {
    requirement = 'optional';
  } else if (requiredList !== undefined) {
    requirement = requiredList.has(name) ? 'required' : 'optional';
  } else if (flag !== undefined) {
    requirement = flag ? 'optional' : 'required';
    warnings.push({
      code: 'optionalFlag',
      variable: name,
      message: `"${name}" is ${requirement} according to an undocumented schema flag.`,
    });
  } else {
    requirement = 'unknown';
  }

  let hasDefault = false;
  let defaultValue: unknown;
  const rawDefault = property.default;
  // The documented sample writes `"default": ""` for inputs without a default, whatever their type.
  if (rawDefault !== undefined && rawDefault !== null && rawDefault !== '') {
    const coerced = coerceToKind(rawDefault, kind);
    if (coerced.ok) {
      hasDefault = true;
      defaultValue = coerced.value;
    } else {
      warnings.push({
        code: 'defaultIgnored',
        variable: name,
        message: `The default of "${name}" is not a ${kindLabel(kind)}; it is ignored.`,
      });
    }
  }

  return {
    name,
    kind,
    declaredType,
    title: stringOrUndefined(property.title),
    description: stringOrUndefined(property.description),
    hasDefault,
    default: defaultValue,
    sensitive,
    requirement,
  };
}

function unreadable(direction: SchemaDirection, message: string): ParsedFlowSchema {
  return {
    schema: { direction, variables: [], complete: false },
    warnings: [{ code: 'unreadableSchema', message }],
  };
}

/**
 * Normalise a stored schema (`flowSchemaFromText` output; `undefined` = the flow has none). The
 * documented shape is `{ "schema": { "type": "object", "properties": { … } } }`; a document that is the
 * inner object itself is accepted with a warning. Never throws.
 */
export function parseDesktopFlowSchema(
  raw: RawFlowSchema | undefined,
  direction: SchemaDirection,
): ParsedFlowSchema {
  if (raw === undefined || raw === null) {
    return { schema: { direction, variables: [], complete: true }, warnings: [] };
  }
  if (!isRecord(raw)) {
    return unreadable(
      direction,
      `The flow's ${direction} schema is not a JSON object; inputs are not checked.`,
    );
  }
  const warnings: SchemaWarning[] = [];
  let inner: Json;
  if (raw.schema !== undefined) {
    if (!isRecord(raw.schema)) {
      return unreadable(
        direction,
        `The flow's ${direction} schema has no readable "schema" object; inputs are not checked.`,
      );
    }
    inner = raw.schema;
  } else if (raw.properties !== undefined) {
    warnings.push({
      code: 'unwrappedSchema',
      message: `The flow's ${direction} schema has no "schema" wrapper; its top-level "properties" are used.`,
    });
    inner = raw;
  } else {
    return { schema: { direction, variables: [], complete: true }, warnings: [] };
  }

  const properties = inner.properties;
  if (properties === undefined || properties === null) {
    return { schema: { direction, variables: [], complete: true }, warnings };
  }
  if (!isRecord(properties)) {
    return unreadable(
      direction,
      `The "properties" of the flow's ${direction} schema are not an object; inputs are not checked.`,
    );
  }
  const required = inner.required;
  const requiredList = Array.isArray(required)
    ? new Set(required.filter((r): r is string => typeof r === 'string'))
    : undefined;

  const variables: FlowVariable[] = [];
  for (const [name, property] of Object.entries(properties)) {
    if (name === '$schema') {
      warnings.push({
        code: 'reservedName',
        variable: name,
        message:
          'The flow has a variable named "$schema", which input files use to name their flow; it cannot be set from a file.',
      });
      continue;
    }
    variables.push(variableFrom(name, property, direction, requiredList, warnings));
  }
  return { schema: { direction, variables, complete: true }, warnings };
}

/** The variable named `name`, if the schema has one. */
export function findVariable(schema: DesktopFlowSchema, name: string): FlowVariable | undefined {
  return schema.variables.find((v) => v.name === name);
}
