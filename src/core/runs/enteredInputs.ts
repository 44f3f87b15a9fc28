/**
 * "Enter inputs…": a flow's inputs typed one by one (like a workflow_dispatch form), each checked as it is
 * typed, then sent as `values` through `prepareRun` like every other run; and the input file those values
 * can be saved as, with sensitive values as `${secret:NAME}` references. Pure: no I/O.
 */
import type { FlowVariable, VariableKind } from '../inputs/desktopFlowSchema';
import { formatReference } from '../inputs/secretReference';
import { formatSchemaUri } from '../inputs/schemaUri';
import { coerceToKind, exampleOf } from '../inputs/variableValues';

/** The inputs "Enter inputs…" asks for: those without a default (the flow cannot do without them), or all. */
export function inputsToAsk(variables: readonly FlowVariable[], all: boolean): FlowVariable[] {
  return all ? [...variables] : variables.filter((v) => !v.hasDefault);
}

/** True when the flow has an input that is required and has no default ("No inputs" would be refused). */
export function hasRequiredWithoutDefault(variables: readonly FlowVariable[]): boolean {
  return variables.some((v) => v.requirement === 'required' && !v.hasDefault);
}

const kindWords: Record<VariableKind, string> = {
  text: 'text',
  number: 'number',
  boolean: 'boolean',
  customObject: 'custom object (JSON)',
  list: 'list (JSON array)',
  datatable: 'datatable (JSON)',
  unknown: 'value',
};

/** The type as a prompt names it: "number", "custom object (JSON)", … */
export function kindLabel(kind: VariableKind): string {
  return kindWords[kind];
}

/** The text a default is shown (and prefilled) as. */
export function defaultText(variable: FlowVariable): string | undefined {
  if (!variable.hasDefault) {
    return undefined;
  }
  const d = variable.default;
  return typeof d === 'string' ? d : JSON.stringify(d);
}

/** What a typed value means: a value to send, nothing (the default or no value applies), or a problem. */
export type EnteredValue =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: true; readonly omitted: true }
  | { readonly ok: false; readonly message: string };

/** Checks one typed value against its input, as the box validates it while the maker types. */
export function parseEnteredValue(variable: FlowVariable, text: string): EnteredValue {
  if (text === '') {
    if (variable.requirement === 'required' && !variable.hasDefault) {
      return {
        ok: false,
        message: `"${variable.name}" is required: enter ${variable.kind === 'text' ? 'its text' : `a ${kindLabel(variable.kind)}`}.`,
      };
    }
    return { ok: true, omitted: true };
  }
  const coerced = coerceToKind(text, variable.kind);
  if (!coerced.ok) {
    return {
      ok: false,
      message: `"${variable.name}" is a ${kindLabel(variable.kind)}: enter something like ${exampleOf(variable.kind)}.`,
    };
  }
  return { ok: true, value: coerced.value };
}

/** A secret to store for a saved input file: its name and value. */
export interface SecretToStore {
  readonly name: string;
  readonly value: string;
}

/** The secret name a sensitive input is saved under: `<FLOW>_<INPUT>` in upper snake case. */
export function secretNameFor(flowName: string, inputName: string): string {
  const part = (s: string): string =>
    s
      .normalize('NFKD')
      .replace(/[\u0300-\u036f]/g, '')
      .replace(/[^A-Za-z0-9]+/g, '_')
      .replace(/^_+|_+$/g, '')
      .toUpperCase();
  const name = [part(flowName), part(inputName)].filter((p) => p !== '').join('_');
  return /^[A-Za-z_]/.test(name) ? name : `_${name}`;
}

/**
 * The input file for entered values: `$schema` naming the flow and environment, every value as entered, and
 * each sensitive value as a `${secret:NAME}` reference (its value returned to be stored in SecretStorage).
 */
export function enteredInputFile(
  target: { readonly environmentId: string; readonly flowId: string; readonly flowName: string },
  variables: readonly FlowVariable[],
  values: Readonly<Record<string, unknown>>,
): { readonly content: string; readonly secrets: readonly SecretToStore[] } {
  const file: Record<string, unknown> = {
    $schema: formatSchemaUri({ environment: target.environmentId, flowId: target.flowId }),
  };
  const secrets: SecretToStore[] = [];
  for (const v of variables) {
    if (!Object.prototype.hasOwnProperty.call(values, v.name)) {
      continue;
    }
    const value = values[v.name];
    if (v.sensitive) {
      const name = secretNameFor(target.flowName, v.name);
      secrets.push({ name, value: typeof value === 'string' ? value : JSON.stringify(value) });
      file[v.name] = formatReference('secret', name);
    } else {
      file[v.name] = value;
    }
  }
  return { content: `${JSON.stringify(file, null, 2)}\n`, secrets };
}
