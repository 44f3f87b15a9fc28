/**
 * Masking a run's values per its flow's schema, with the schemas read from the one core schema cache
 * (src/core/inputs/flowSchemaCache.ts). Pure: no `vscode` import.
 */
import type { DesktopFlowSchema } from '../../core/inputs/desktopFlowSchema';
import type { FlowSchemaCache } from '../../core/inputs/flowSchemaCache';
import { maskInputs, registerSensitiveValue } from '../../core/inputs/maskInputs';
import { secretMasker } from '../../core/util/secretMasker';

/** A flow's inputs and outputs schemas, normalised. */
export interface FlowSchemaPair {
  readonly inputs: DesktopFlowSchema;
  readonly outputs: DesktopFlowSchema;
}

/** A flow's schemas from the shared cache (draft layer included); `signal` only stops this wait. */
export async function flowSchemas(
  cache: FlowSchemaCache,
  orgUrl: string,
  flowId: string,
  signal: AbortSignal,
): Promise<FlowSchemaPair> {
  const cached = await cache.get({ orgUrl, flowId, includeDrafts: true }, signal);
  return { inputs: cached.inputs.schema, outputs: cached.outputs.schema };
}

/**
 * Masks the sensitive values of `values` per `schema` and registers them with the process-wide secret masker,
 * so they are masked in every later log line too. Without a schema (it could not be read), values are
 * returned as they are: the service's own marking is then all there is.
 */
export function maskSensitive(
  values: Record<string, unknown>,
  schema: DesktopFlowSchema | undefined,
): Record<string, unknown> {
  if (schema === undefined) {
    return values;
  }
  for (const variable of schema.variables) {
    if (variable.sensitive && Object.hasOwn(values, variable.name)) {
      registerSensitiveValue(secretMasker, values[variable.name]);
    }
  }
  return maskInputs(values, schema);
}
