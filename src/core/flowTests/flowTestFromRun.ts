/**
 * "Create Test from Run": a flow test file (`*.flowtest.json`) from a finished run. Its inputs become the
 * test's inline inputs, with every sensitive input as a `${secret:NAME}` reference (never the value); its
 * final status (and error code) and its outputs become the expectations. Sensitive outputs are left out of
 * the expectations: a test file must never hold a secret. Pure: no I/O.
 */
import type { DesktopFlowSchema } from '../inputs/desktopFlowSchema';
import type { RunStatus } from '../model/run';

export interface FlowTestFromRunSource {
  readonly flowName: string;
  /** The environment's display name (written so the test runs where the run ran). */
  readonly environmentName?: string;
  readonly status: RunStatus;
  readonly errorCode?: string;
  /** The run's inputs as the service returns them; `undefined` when it had none. */
  readonly inputs: Readonly<Record<string, unknown>> | undefined;
  /** The run's outputs; `undefined` when it had none. */
  readonly outputs: Readonly<Record<string, unknown>> | undefined;
  /** The flow's input schema: its sensitive inputs become references. */
  readonly inputSchema?: DesktopFlowSchema;
  /** The flow's output schema: its sensitive outputs are not expected. */
  readonly outputSchema?: DesktopFlowSchema;
  /** The run's connection (name) or connection reference (logical name), when known. */
  readonly connection?: { readonly kind: 'connection' | 'connectionReference'; readonly name: string };
  readonly mode?: 'attended' | 'unattended';
}

export interface FlowTestFromRun {
  /** The file's JSON text. */
  readonly content: string;
  /** The `${secret:NAME}` references written, by input name: the maker sets them before running the test. */
  readonly secrets: Readonly<Record<string, string>>;
  /** Sensitive outputs not written as expectations. */
  readonly skippedOutputs: readonly string[];
}

/**
 * A secret name from free text, in the characters every secret store of ours accepts (`[A-Za-z_][A-Za-z0-9_]*`:
 * VS Code's "Set Secret…" and the CLI's `DESKTOPFLOWS_SECRET_<NAME>` environment variables).
 */
export function secretNameFor(...parts: readonly string[]): string {
  const cleaned = parts
    .map((p) =>
      p
        .normalize('NFKD')
        .replace(/[^A-Za-z0-9_]+/g, ' ')
        .trim()
        .split(/\s+/)
        .map((w) => (w === '' ? '' : w[0]!.toUpperCase() + w.slice(1)))
        .join(''),
    )
    .filter((p) => p !== '')
    .join('_');
  return /^[A-Za-z_]/.test(cleaned) ? cleaned : `_${cleaned}`;
}

function sensitiveNames(schema: DesktopFlowSchema | undefined): Set<string> {
  return new Set((schema?.variables ?? []).filter((v) => v.sensitive).map((v) => v.name));
}

/** The test file for a finished run; see the file comment. */
export function flowTestFromRun(source: FlowTestFromRunSource): FlowTestFromRun {
  const secrets: Record<string, string> = {};
  const sensitiveIn = sensitiveNames(source.inputSchema);
  let inputs: Record<string, unknown> | undefined;
  if (source.inputs !== undefined && Object.keys(source.inputs).length > 0) {
    inputs = {};
    for (const [name, value] of Object.entries(source.inputs)) {
      if (sensitiveIn.has(name)) {
        const secret = secretNameFor(source.flowName, name);
        secrets[name] = secret;
        inputs[name] = `\${secret:${secret}}`;
      } else {
        inputs[name] = value;
      }
    }
  }
  const sensitiveOut = sensitiveNames(source.outputSchema);
  const skippedOutputs: string[] = [];
  let outputs: Record<string, unknown> | undefined;
  if (source.status === 'succeeded' && source.outputs !== undefined) {
    outputs = {};
    for (const [name, value] of Object.entries(source.outputs)) {
      if (sensitiveOut.has(name)) {
        skippedOutputs.push(name);
      } else {
        outputs[name] = value;
      }
    }
  }
  const run: Record<string, unknown> = {};
  if (source.connection !== undefined) {
    run[source.connection.kind] = source.connection.name;
  }
  if (source.mode !== undefined) {
    run.mode = source.mode;
  }
  const test: Record<string, unknown> = {
    flow: source.flowName,
    ...(source.environmentName === undefined ? {} : { environment: source.environmentName }),
    ...(inputs === undefined ? {} : { inputs }),
    ...(Object.keys(run).length === 0 ? {} : { run }),
    expect: {
      status: source.status,
      ...(source.status !== 'succeeded' && source.errorCode !== undefined
        ? { errorCode: source.errorCode }
        : {}),
      ...(outputs === undefined || Object.keys(outputs).length === 0 ? {} : { outputs }),
    },
  };
  return { content: `${JSON.stringify(test, null, 2)}\n`, secrets, skippedOutputs };
}
