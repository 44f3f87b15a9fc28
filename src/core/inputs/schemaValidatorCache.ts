/**
 * Compiled ajv validators for input-file JSON Schemas. Compiling costs far more than validating, and a
 * flow's schema rarely changes, so each distinct JSON Schema is compiled once and found again by a hash
 * of its text. The cache is small and least-recently-used, and evicted schemas are removed from ajv so
 * a long session that opens many flows does not grow without bound.
 */
import { createHash } from 'node:crypto';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { DesktopFlowSchema } from './desktopFlowSchema';
import { toJsonSchema, type JsonSchema } from './flowJsonSchema';

/** How many compiled schemas are kept. */
const capacity = 32;

interface Entry {
  readonly schema: Record<string, unknown>;
  readonly validate: ValidateFunction;
}

let ajv: Ajv | undefined;
const byHash = new Map<string, Entry>();
const byModel = new WeakMap<DesktopFlowSchema, { jsonSchema: JsonSchema; entry: Entry }>();

function instance(): Ajv {
  if (ajv === undefined) {
    ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
    // VS Code's JSON language service reads these; for ajv they are annotations.
    ajv.addVocabulary(['markdownDescription', 'patternErrorMessage']);
  }
  return ajv;
}

function compile(jsonSchema: JsonSchema): Entry {
  // `$id` names the document for the editor; two flows' documents must not collide inside ajv.
  const { $id: _id, ...schema } = jsonSchema;
  const text = JSON.stringify(schema);
  const hash = createHash('sha256').update(text).digest('hex');
  const hit = byHash.get(hash);
  if (hit !== undefined) {
    byHash.delete(hash);
    byHash.set(hash, hit);
    return hit;
  }
  const entry = { schema, validate: instance().compile(schema) };
  byHash.set(hash, entry);
  if (byHash.size > capacity) {
    const [oldestHash, oldest] = byHash.entries().next().value as [string, Entry];
    byHash.delete(oldestHash);
    instance().removeSchema(oldest.schema);
  }
  return entry;
}

/** The result of checking a value against a flow's JSON Schema. */
export interface SchemaCheck {
  readonly jsonSchema: JsonSchema;
  /** Empty when the value is valid. */
  readonly errors: readonly ErrorObject[];
}

/** Validate `value` against the JSON Schema of `schema`, compiling it at most once. */
export function checkAgainstSchema(schema: DesktopFlowSchema, value: unknown): SchemaCheck {
  let cached = byModel.get(schema);
  if (cached === undefined) {
    const jsonSchema = toJsonSchema(schema);
    cached = { jsonSchema, entry: compile(jsonSchema) };
    byModel.set(schema, cached);
  }
  const valid = cached.entry.validate(value);
  return { jsonSchema: cached.jsonSchema, errors: valid ? [] : [...(cached.entry.validate.errors ?? [])] };
}

/** How many compiled validators the cache holds (for tests and the benchmark). */
export function compiledSchemaCount(): number {
  return byHash.size;
}
