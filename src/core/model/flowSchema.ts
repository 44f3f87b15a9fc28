/**
 * A desktop flow's input or output schema as Dataverse stores it (`workflows(<id>)/inputs/$value`,
 * docs/service-contract.md#flow-input-and-output-schemas): parsed, but otherwise raw. Converting it to JSON Schema happens in `src/core/inputs`.
 */
import { ApiError } from '../errors';

/** `ApiError.code` when a stored schema is not a JSON object. */
export const invalidFlowSchemaCode = 'InvalidFlowSchema';

function invalidSchema(which: 'inputs' | 'outputs', cause: unknown): ApiError {
  return new ApiError({
    reason: 'server',
    code: invalidFlowSchemaCode,
    message: `The flow's ${which} schema is not a valid JSON object.`,
    mayHaveReachedService: true,
    cause,
  });
}

/** One variable of the schema. Only documented keys are typed; unknown keys are kept. */
export interface RawSchemaProperty {
  readonly type?: string;
  readonly title?: string;
  readonly description?: string;
  readonly default?: unknown;
  readonly format?: string | null;
  readonly value?: unknown;
  readonly [key: string]: unknown;
}

/** The `schema` object inside the stored document. */
export interface RawSchemaObject {
  readonly type?: string;
  readonly properties?: Readonly<Record<string, RawSchemaProperty>>;
  readonly required?: readonly string[];
  readonly [key: string]: unknown;
}

/** A flow schema document: `{ "schema": { "type": "object", "properties": { … } } }`. */
export interface RawFlowSchema {
  readonly schema?: RawSchemaObject;
  readonly [key: string]: unknown;
}

/** Both schemas of a flow; `undefined` when the flow stores none (no inputs / no outputs). */
export interface FlowSchemas {
  readonly inputs: RawFlowSchema | undefined;
  readonly outputs: RawFlowSchema | undefined;
}

/**
 * Parse the raw column text. Empty text (or JSON `null`) means "no schema". Some stores double-encode the
 * document as a JSON string; that is unwrapped once. Throws `ApiError` (code `InvalidFlowSchema`) otherwise.
 */
export function flowSchemaFromText(
  which: 'inputs' | 'outputs',
  text: string | undefined,
): RawFlowSchema | undefined {
  if (text === undefined || text.trim() === '') {
    return undefined;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
    if (typeof parsed === 'string') {
      parsed = parsed.trim() === '' ? null : JSON.parse(parsed);
    }
  } catch (e) {
    throw invalidSchema(which, e);
  }
  if (parsed === null) {
    return undefined;
  }
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw invalidSchema(which, undefined);
  }
  return parsed as RawFlowSchema;
}
