import * as vscode from 'vscode';
import { createInputFileContent } from '../../core/inputs/inputFileContent';
import type { InputProblem } from '../../core/inputs/inputProblem';
import { formatReference } from '../../core/inputs/secretReference';
import { CancellationError } from '../../core/errors';
import type { Logger } from '../../core/logger';
import type { AccountService } from '../accounts/accountService';
import { commandIds } from '../commandIds';
import type { EnvironmentStatusBar } from '../environmentStatusBar';
import { pickEnvironment, pickFlow } from '../pickers';
import { registerCommand, UserFacingError } from '../registerCommand';
import { FlowNode } from '../tree/flowNodes';
import type { FlowLocation } from '../inputs/flowSchemaResolver';
import { InputFilesGroupNode } from '../inputs/inputFileNodes';
import { chooseNewInputFile, type NewInputFileOptions } from '../inputs/newInputFileLocation';
import { problemPlace, revealProblem, type InputFileService } from '../inputs/inputFileService';
import type { SecretSource } from '../inputs/inputCodeActions';
import { secretNamePattern } from '../inputs/inputSecrets';
import type { ConfigurationService } from '../configuration';
import type { Prompts } from '../prompts';

export interface InputCommandDeps {
  readonly log: Logger;
  readonly accounts: AccountService;
  readonly environmentStatus: EnvironmentStatusBar;
  readonly inputFiles: InputFileService;
  readonly prompts: Prompts;
  readonly config: Pick<ConfigurationService, 'inputsFolder'>;
}

/** A flow named without a tree node: by environment (id, unique name, org URL or display name) and flow id. */
export interface FlowByIds {
  readonly environment: string;
  readonly flowId: string;
}

/** What Validate Input File returns to its caller (tests, other commands). */
export interface ValidationOutcome {
  readonly uri: vscode.Uri;
  /** True when the flow was found and no problem blocks a run. */
  readonly ok: boolean;
  /** False when the flow (or its environment) could not be found: nothing was checked but `$schema`. */
  readonly resolved: boolean;
  readonly problems: readonly InputProblem[];
}

function isFlowByIds(value: unknown): value is FlowByIds {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as FlowByIds).environment === 'string' &&
    typeof (value as FlowByIds).flowId === 'string'
  );
}

/**
 * The file a command was invoked on: a URI (editor title, CodeLens, Explorer), a tree row that carries
 * one (`uri` or `resourceUri`), or else the active editor's document.
 */
export function targetUri(arg: unknown): vscode.Uri | undefined {
  if (arg instanceof vscode.Uri) {
    return arg;
  }
  if (typeof arg === 'object' && arg !== null) {
    const candidate =
      (arg as { uri?: unknown; resourceUri?: unknown }).uri ?? (arg as { resourceUri?: unknown }).resourceUri;
    if (candidate instanceof vscode.Uri) {
      return candidate;
    }
  }
  return vscode.window.activeTextEditor?.document.uri;
}

function isSecretSource(value: unknown): value is SecretSource {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as SecretSource).uri instanceof vscode.Uri &&
    (value as SecretSource).range instanceof vscode.Range
  );
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/** New Input File, Validate Input File, Set Secret and Delete Secret. */
export function registerInputCommands(deps: InputCommandDeps): vscode.Disposable[] {
  const { log, accounts, environmentStatus, inputFiles, prompts } = deps;

  const defaultEnvironment = async (signal: AbortSignal): Promise<FlowLocation | undefined> => {
    try {
      return await environmentStatus.resolveDefault(signal);
    } catch (e) {
      if (CancellationError.is(e)) {
        throw e;
      }
      return undefined;
    }
  };

  const newInputFile = async (arg?: unknown, options: NewInputFileOptions = {}): Promise<vscode.Uri> => {
    const signal = AbortSignal.timeout(120_000);
    let location: FlowLocation;
    let flowId: string;
    if (arg instanceof FlowNode) {
      location = { account: arg.account, environment: arg.environment };
      flowId = arg.flow.id;
    } else if (arg instanceof InputFilesGroupNode) {
      location = { account: arg.account, environment: arg.environment };
      flowId = arg.flow.flowId;
    } else if (isFlowByIds(arg)) {
      const found = await accounts.findEnvironment(arg.environment, signal);
      if (!found) {
        throw new UserFacingError(
          `Environment "${arg.environment}" is not reachable with the signed-in accounts.`,
        );
      }
      location = found;
      flowId = arg.flowId;
    } else {
      const preferred = await defaultEnvironment(signal);
      const choice = await pickEnvironment(
        prompts,
        accounts,
        preferred?.environment.id,
        'New Input File: select the environment',
      );
      const flow = await pickFlow(choice, 'New Input File: select the desktop flow');
      location = choice;
      flowId = flow.id;
    }
    const resolution = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: 'Loading the flow’s inputs…' },
      () => inputFiles.resolver.resolveIn(location, flowId, signal, { fresh: true }),
    );
    if (resolution.kind === 'unresolved') {
      throw new UserFacingError(resolution.message);
    }
    // A file for the default environment names none, so it follows the workspace from dev to test to
    // production (solution import keeps flow ids); any other environment is written into "$schema".
    const preferred = await defaultEnvironment(signal);
    const pinned =
      preferred !== undefined && preferred.environment.id === location.environment.id
        ? undefined
        : location.environment.id;
    const content = createInputFileContent(resolution.schema, resolution.flow.id, pinned);
    const uri = await chooseNewInputFile(resolution.flow.name, options, deps);
    await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(content));
    await inputFiles.index.add(uri);
    const document = await vscode.workspace.openTextDocument(uri);
    const editor = await vscode.window.showTextDocument(document);
    // Start where the work is: the first placeholder to replace.
    const placeholder = content.indexOf('"<required:');
    if (placeholder >= 0) {
      const end = content.indexOf('"', placeholder + 1) + 1;
      editor.selection = new vscode.Selection(document.positionAt(placeholder), document.positionAt(end));
      editor.revealRange(editor.selection);
    }
    const required = resolution.schema.variables.filter((v) =>
      content.includes(`"${v.name}": "<required:`),
    ).length;
    log.info(
      `[inputs] created ${uri.toString(true)} for "${resolution.flow.name}" in ${location.environment.displayName}`,
    );
    void vscode.window.showInformationMessage(
      `Created an input file for "${resolution.flow.name}"${pinned === undefined ? '' : ` in ${location.environment.displayName}`}.` +
        (required > 0
          ? ` Replace the ${plural(required, 'placeholder')} with values; completion lists every input.`
          : ''),
    );
    return uri;
  };

  const validate = async (arg?: unknown): Promise<ValidationOutcome> => {
    const uri = targetUri(arg);
    if (uri === undefined) {
      throw new UserFacingError(
        'Open an input file (a JSON file whose "$schema" names a desktop flow) to validate it.',
        [{ title: 'New Input File…', run: () => vscode.commands.executeCommand(commandIds.newInputFile) }],
      );
    }
    const check = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: 'Validating the input file…' },
      () => inputFiles.validate(uri, AbortSignal.timeout(120_000)),
    );
    const label = vscode.workspace.asRelativePath(uri, false);
    if (check.encoding !== undefined) {
      const { error, position } = check.encoding;
      void vscode.window
        .showErrorMessage(
          `"${label}" cannot be used for a run: ${error.message.replace(/^This file /, 'it ')} ${error.fix}`,
          'Go to Problem',
        )
        .then((picked) =>
          picked === 'Go to Problem'
            ? vscode.window.showTextDocument(uri, { selection: new vscode.Range(position, position) })
            : undefined,
        );
      return { uri, ok: false, resolved: check.resolution?.kind === 'resolved', problems: [] };
    }
    if (check.resolution?.kind !== 'resolved' || check.validation === undefined) {
      const why =
        check.resolution?.kind === 'unresolved'
          ? check.resolution.message
          : 'its "$schema" does not name a desktop flow.';
      void vscode.window.showWarningMessage(`"${label}" could not be checked against its flow: ${why}`);
      return { uri, ok: false, resolved: false, problems: [] };
    }
    const { problems, ok } = check.validation;
    const flow = check.resolution.flow.name;
    if (problems.length === 0) {
      void vscode.window.showInformationMessage(`"${label}" is valid for "${flow}".`);
    } else {
      const errors = problems.filter((p) => p.severity === 'error').length;
      const warnings = problems.length - errors;
      const first = problems[0];
      const counts = [
        errors > 0 ? plural(errors, 'error') : undefined,
        warnings > 0 ? plural(warnings, 'warning') : undefined,
      ]
        .filter(Boolean)
        .join(' and ');
      const verdict = ok
        ? `can run "${flow}", with ${counts}`
        : `has ${counts}; "${flow}" cannot run with it`;
      void vscode.window
        .showWarningMessage(
          `"${label}" ${verdict}.${first ? ` First, at ${problemPlace(first)}: ${first.message}` : ''}`,
          'Go to Problem',
          'Show Problems',
        )
        .then((picked) =>
          picked === 'Go to Problem'
            ? revealProblem(uri, first)
            : picked === 'Show Problems'
              ? vscode.commands.executeCommand('workbench.actions.view.problems')
              : undefined,
        );
    }
    return { uri, ok, resolved: true, problems };
  };

  const askSecretName = async (suggestion: string | undefined, moving: boolean): Promise<string> => {
    const secrets = inputFiles.secrets;
    return prompts.text({
      title: moving ? 'Move the Value to a Secret' : 'Set Secret',
      prompt: moving
        ? 'Name of the secret to store the value in; the file will say ${secret:NAME} instead of the value.'
        : 'Name of the secret, as input files write it: ${secret:NAME}',
      placeHolder: 'DbPassword',
      ...(suggestion === undefined ? {} : { value: suggestion }),
      ignoreFocusOut: true,
      validateInput: (value) =>
        !secretNamePattern.test(value)
          ? 'Use letters, digits and "_", starting with a letter or "_" (e.g. ERP_ApiKey).'
          : moving && secrets.has(value)
            ? {
                message: `A secret named "${value}" exists; its value will be replaced.`,
                severity: vscode.InputBoxValidationSeverity.Warning,
              }
            : undefined,
    });
  };

  /** "Move the Value to a Secret": the literal in the file goes to SecretStorage, a reference takes its place. */
  const moveToSecret = async (suggestion: string | undefined, source: SecretSource): Promise<string> => {
    const document = await vscode.workspace.openTextDocument(source.uri);
    let value: string;
    try {
      const parsed = JSON.parse(document.getText(source.range)) as unknown;
      value = typeof parsed === 'string' ? parsed : JSON.stringify(parsed);
    } catch {
      throw new UserFacingError(
        'The value to move is no longer where it was; validate the file and try again.',
      );
    }
    const name = await askSecretName(suggestion, true);
    await inputFiles.secrets.set(name, value);
    const edit = new vscode.WorkspaceEdit();
    edit.replace(source.uri, source.range, JSON.stringify(formatReference('secret', name)));
    await vscode.workspace.applyEdit(edit);
    log.info(
      `[inputs] moved a sensitive value of ${vscode.workspace.asRelativePath(source.uri)} to secret "${name}"`,
    );
    void vscode.window.showInformationMessage(
      `The value is now in the secret "${name}"; the file says "\${secret:${name}}". Save the file to remove the value from disk.`,
    );
    return name;
  };

  const setSecret = async (arg?: unknown, source?: unknown): Promise<string> => {
    const secrets = inputFiles.secrets;
    const suggested = typeof arg === 'string' && secretNamePattern.test(arg) ? arg : undefined;
    if (isSecretSource(source)) {
      return moveToSecret(suggested, source);
    }
    const name = suggested ?? (await askSecretName(undefined, false));
    const replacing = secrets.has(name);
    const value = await prompts.text({
      title: `Set Secret "${name}"`,
      prompt: replacing
        ? `Enter the new value; it replaces the one stored for \${secret:${name}}.`
        : `Enter the value that \${secret:${name}} stands for. It is kept in VS Code's secret storage, never in a file.`,
      password: true,
      ignoreFocusOut: true,
      validateInput: (v) => (v === '' ? 'Enter a value (use Delete Secret to remove one).' : undefined),
    });
    await secrets.set(name, value);
    log.info(`[inputs] secret "${name}" ${replacing ? 'replaced' : 'stored'}`);
    void vscode.window.showInformationMessage(
      `Secret "${name}" ${replacing ? 'replaced' : 'stored'}. Input files use it as "\${secret:${name}}" in a sensitive input.`,
    );
    return name;
  };

  const deleteSecret = async (arg?: unknown): Promise<string> => {
    const secrets = inputFiles.secrets;
    const names = secrets.names();
    if (names.length === 0) {
      throw new UserFacingError(
        'No secrets are stored. "Set Secret…" stores one for ${secret:NAME} references.',
        [{ title: 'Set Secret…', run: () => vscode.commands.executeCommand(commandIds.setSecret) }],
      );
    }
    let name = typeof arg === 'string' && names.includes(arg) ? arg : undefined;
    if (name === undefined) {
      const picked = await prompts.pick(
        names.map((n) => ({ label: n, description: `\${secret:${n}}` })),
        { title: 'Delete Secret', placeHolder: 'Secret to delete' },
      );
      name = picked.label;
    }
    await prompts.confirm(
      `Delete the secret "${name}"?`,
      { detail: `Input files that use \${secret:${name}} cannot run until it is set again.` },
      'Delete',
    );
    await secrets.delete(name);
    log.info(`[inputs] secret "${name}" deleted`);
    return name;
  };

  return [
    registerCommand(commandIds.newInputFile, log, newInputFile),
    registerCommand(commandIds.validateInputFile, log, validate),
    registerCommand(commandIds.setSecret, log, setSecret),
    registerCommand(commandIds.deleteSecret, log, deleteSecret),
  ];
}
