/**
 * "Enter inputs…" in the start path: one box per input, with its type, default and description, a password
 * box for sensitive inputs, each value checked as it is typed. The values go to `prepareRun` as `values`
 * like every other run. Once the run started, the maker may save them as an input file, sensitive values as
 * `${secret:NAME}` references whose values go to SecretStorage (the same store Set Secret uses).
 */
import * as vscode from 'vscode';
import type { FlowVariable } from '../../core/inputs/desktopFlowSchema';
import type { FlowSchemaCache } from '../../core/inputs/flowSchemaCache';
import { defaultText, enteredInputFile, kindLabel, parseEnteredValue } from '../../core/runs/enteredInputs';
import type { Environment } from '../../core/model/environment';
import type { DesktopFlow } from '../../core/model/flow';
import type { Logger } from '../../core/logger';
import { chooseNewInputFile, type NewInputFileHost } from '../inputs/newInputFileLocation';
import type { Prompts } from '../prompts';
import type { RunInputFiles } from './runInputFiles';
import { flowSchemas } from './sensitiveValues';

/**
 * Asks for each input in turn; returns the values to send (inputs left empty are not sent). Each answer is
 * written to `typed` (by input name) as soon as it is given, and a box opens with what `typed` holds: when the
 * maker escapes a later question, what was typed is there the next time (memory only, never written).
 */
export async function enterInputs(
  prompts: Prompts,
  flowName: string,
  variables: readonly FlowVariable[],
  typed: Record<string, string> = {},
): Promise<Record<string, unknown>> {
  const values: Record<string, unknown> = {};
  for (const [i, v] of variables.entries()) {
    const fallback = defaultText(v);
    const requirement =
      v.requirement === 'required' && !v.hasDefault
        ? 'required'
        : v.hasDefault
          ? `default ${fallback === undefined || fallback.length > 40 ? 'set' : fallback}`
          : 'optional';
    const text = await prompts.text({
      title: `Run "${flowName}": input ${i + 1} of ${variables.length}: ${v.name} (${kindLabel(v.kind)}, ${requirement})`,
      prompt: [v.description ?? v.title, v.sensitive ? 'Sensitive: masked everywhere.' : undefined]
        .filter(Boolean)
        .join(' '),
      placeHolder:
        fallback !== undefined
          ? `Leave empty for the default: ${v.sensitive ? '••••' : fallback}`
          : v.requirement === 'required'
            ? `Required ${kindLabel(v.kind)}`
            : `Optional ${kindLabel(v.kind)}: leave empty to send none`,
      password: v.sensitive,
      ...(typed[v.name] === undefined ? {} : { value: typed[v.name] }),
      ignoreFocusOut: true,
      validateInput: (typed) => {
        const checked = parseEnteredValue(v, typed);
        return checked.ok ? undefined : checked.message;
      },
    });
    typed[v.name] = text;
    const checked = parseEnteredValue(v, text);
    if (checked.ok && 'value' in checked) {
      values[v.name] = checked.value;
    }
  }
  return values;
}

/** After a run with typed inputs started: offers (without waiting) to save them as an input file. */
export function offerToSaveEnteredInputs(
  inputFiles: RunInputFiles,
  environment: Environment,
  flow: DesktopFlow,
  values: Readonly<Record<string, unknown>>,
  schemas: FlowSchemaCache,
  host: NewInputFileHost,
  log: Logger,
): void {
  if (Object.keys(values).length === 0) {
    return;
  }
  void Promise.resolve(
    vscode.window.showInformationMessage(
      `Save the inputs you entered for "${flow.name}" as an input file, to run it again with them?`,
      'Save as Input File…',
    ),
  )
    .then(async (picked) => {
      if (picked !== undefined) {
        await saveEnteredInputs(inputFiles, environment, flow, values, schemas, host);
      }
    })
    .then(undefined, (e: unknown) => {
      log.warn(`[runs] saving the entered inputs failed: ${e instanceof Error ? e.message : String(e)}`);
    });
}

/** Writes the input file (sensitive values as `${secret:}` references, stored in SecretStorage) and opens it. */
export async function saveEnteredInputs(
  inputFiles: RunInputFiles,
  environment: Environment,
  flow: DesktopFlow,
  values: Readonly<Record<string, unknown>>,
  schemas: FlowSchemaCache,
  host: NewInputFileHost,
  options: { readonly fileName?: string } = {},
): Promise<vscode.Uri> {
  const schema = await flowSchemas(schemas, environment.orgUrl, flow.id, AbortSignal.timeout(30_000));
  const file = enteredInputFile(
    { environmentId: environment.id, flowId: flow.id, flowName: flow.name },
    schema.inputs.variables,
    values,
  );
  const uri = await chooseNewInputFile(
    flow.name,
    options.fileName === undefined ? {} : { fileName: options.fileName },
    host,
  );
  for (const secret of file.secrets) {
    await inputFiles.storeSecret(secret.name, secret.value);
  }
  await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(file.content));
  await vscode.window.showTextDocument(uri);
  return uri;
}
