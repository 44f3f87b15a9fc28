import { parseDesktopFlowSchema, type DesktopFlowSchema } from '../../core/inputs/desktopFlowSchema';
import { maskInputs, registerSensitiveValue } from '../../core/inputs/maskInputs';
import { secretMasker } from '../../core/util/secretMasker';
import type { RunAccounts } from './runAccounts';
import { flowKey } from './runSubjects';

/** A flow's inputs and outputs schemas, normalised. */
export interface FlowSchemaPair {
  readonly inputs: DesktopFlowSchema;
  readonly outputs: DesktopFlowSchema;
}

const maxEntries = 200;

/**
 * The schemas of flows that runs were shown for, so outputs and inputs can be masked (sensitive variables)
 * without asking the service again for every event. A failed load is not kept.
 */
export class FlowSchemaCache {
  private readonly entries = new Map<string, Promise<FlowSchemaPair>>();

  constructor(private readonly accounts: RunAccounts) {}

  get(orgUrl: string, flowId: string, signal: AbortSignal): Promise<FlowSchemaPair> {
    const key = flowKey(orgUrl, flowId);
    let pending = this.entries.get(key);
    if (pending === undefined) {
      pending = this.load(orgUrl, flowId, signal);
      this.entries.set(key, pending);
      pending.catch(() => this.entries.delete(key));
      if (this.entries.size > maxEntries) {
        const oldest = this.entries.keys().next().value;
        if (oldest !== undefined) {
          this.entries.delete(oldest);
        }
      }
    }
    return pending;
  }

  /** Forget a flow's schemas (e.g. after the flow changed). */
  forget(orgUrl: string, flowId: string): void {
    this.entries.delete(flowKey(orgUrl, flowId));
  }

  private async load(orgUrl: string, flowId: string, signal: AbortSignal): Promise<FlowSchemaPair> {
    const account = await this.accounts.resolve(orgUrl, signal);
    const raw = await account.session.flows.getSchemas(orgUrl, flowId, signal);
    return {
      inputs: parseDesktopFlowSchema(raw.inputs, 'inputs').schema,
      outputs: parseDesktopFlowSchema(raw.outputs, 'outputs').schema,
    };
  }
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
