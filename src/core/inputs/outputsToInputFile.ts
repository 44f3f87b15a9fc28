/**
 * "Save Outputs as Input File": a new input file for a flow, filled from a run's outputs wherever an
 * output and an input share a name (exactly, or else case-insensitively when that is unambiguous). The
 * remaining inputs are filled as in a new input file (defaults, placeholders). Sensitive values are
 * never copied into a file: the input gets a placeholder asking for a reference instead.
 */
import type { DesktopFlowSchema, FlowVariable } from './desktopFlowSchema';
import { findVariable } from './desktopFlowSchema';
import { formatInputFile, initialValue } from './inputFileContent';
import { placeholderFor } from './inputPlaceholders';
import { maskedValue } from './maskInputs';
import { formatSchemaUri } from './schemaUri';
import { coerceToKind, setOwn } from './variableValues';

/** Options of `outputsToInputFile`. */
export interface OutputsToInputFileOptions {
  /** The flow the file is for; gives the file its `$schema`. */
  readonly flowId?: string;
  /** Environment id or org unique name for the `$schema` URI. */
  readonly environment?: string;
  /** The outputs' schema: its sensitive outputs are not copied either. */
  readonly outputSchema?: DesktopFlowSchema;
}

/** The new file and how each input was filled. */
export interface OutputsInputFile {
  /** JSON text of the input file. */
  readonly content: string;
  /** Inputs filled from the output of the same name. */
  readonly copied: readonly string[];
  /** Outputs that match no input. */
  readonly unusedOutputs: readonly string[];
  /** Inputs whose output has the wrong type for them (filled as in a new file). */
  readonly mismatched: readonly string[];
  /** Inputs whose output was not copied because the input or the output is sensitive. */
  readonly skippedSensitive: readonly string[];
}

function matchingOutput(
  variable: FlowVariable,
  outputs: Readonly<Record<string, unknown>>,
): string | undefined {
  if (Object.hasOwn(outputs, variable.name)) {
    return variable.name;
  }
  const lower = variable.name.toLowerCase();
  const candidates = Object.keys(outputs).filter((k) => k.toLowerCase() === lower);
  return candidates.length === 1 ? candidates[0] : undefined;
}

/** Build an input file for `inputSchema`'s flow from a run's `outputs` (`flowsessions(…)/outputs`). */
export function outputsToInputFile(
  outputs: Readonly<Record<string, unknown>>,
  inputSchema: DesktopFlowSchema,
  options: OutputsToInputFileOptions = {},
): OutputsInputFile {
  const values: Record<string, unknown> = {};
  if (options.flowId !== undefined) {
    values.$schema = formatSchemaUri(
      options.environment === undefined
        ? { flowId: options.flowId }
        : { flowId: options.flowId, environment: options.environment },
    );
  }
  const copied: string[] = [];
  const mismatched: string[] = [];
  const skippedSensitive: string[] = [];
  const used = new Set<string>();

  for (const variable of inputSchema.variables) {
    const outputName = matchingOutput(variable, outputs);
    let value = initialValue(variable);
    if (outputName !== undefined) {
      used.add(outputName);
      const output = outputs[outputName];
      const outputSensitive =
        (options.outputSchema !== undefined &&
          findVariable(options.outputSchema, outputName)?.sensitive === true) ||
        output === maskedValue;
      if (variable.sensitive || outputSensitive) {
        skippedSensitive.push(variable.name);
        value =
          variable.requirement === 'optional' && variable.sensitive
            ? undefined
            : placeholderFor({ ...variable, sensitive: true });
      } else {
        const coerced = coerceToKind(output, variable.kind);
        if (coerced.ok && coerced.value !== null && coerced.value !== undefined) {
          copied.push(variable.name);
          value = coerced.value;
        } else {
          mismatched.push(variable.name);
        }
      }
    }
    if (value !== undefined) {
      setOwn(values, variable.name, value);
    }
  }
  return {
    content: formatInputFile(values),
    copied,
    unusedOutputs: Object.keys(outputs).filter((k) => !used.has(k)),
    mismatched,
    skippedSensitive,
  };
}
