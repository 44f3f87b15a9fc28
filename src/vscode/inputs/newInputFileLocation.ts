import * as vscode from 'vscode';
import { CancellationError } from '../../core/errors';
import type { ConfigurationService } from '../configuration';
import type { Prompts } from '../prompts';

/** What New Input File asks through and reads the inputs folder from. */
export interface NewInputFileHost {
  readonly prompts: Prompts;
  readonly config: Pick<ConfigurationService, 'inputsFolder'>;
}

/** Lets callers (tests, other features) skip the prompts of New Input File. */
export interface NewInputFileOptions {
  /** File name without folder (".json" added when missing), created under the inputs folder. */
  readonly fileName?: string;
  /** Exact location; wins over `fileName`. */
  readonly uri?: vscode.Uri;
}

/** Characters no file system accepts in a name, and control characters. */
// eslint-disable-next-line no-control-regex
const unsafeCharacters = /[<>:"/\\|?*\u0000-\u001f]+/g;
const reservedWindowsNames = /^(con|prn|aux|nul|com\d|lpt\d)$/i;

/**
 * The folder name for a flow's input files: its name in lower-case words joined by "-", safe on every
 * file system ("Invoice Processing" → "invoice-processing").
 */
export function folderNameFor(flowName: string): string {
  const cleaned = flowName
    .normalize('NFKC')
    .replace(unsafeCharacters, ' ')
    .trim()
    .toLowerCase()
    .replace(/\s+/g, '-')
    .replace(/^[.-]+|[.-]+$/g, '')
    .slice(0, 80);
  const name = cleaned === '' ? 'flow' : cleaned;
  return reservedWindowsNames.test(name) ? `${name}-flow` : name;
}

/** Why a file name cannot be used, or undefined. */
export function fileNameProblem(name: string): string | undefined {
  const trimmed = name.trim();
  if (trimmed === '' || trimmed === '.json') {
    return 'Enter a file name.';
  }
  if (/[<>:"/\\|?*]/.test(trimmed) || [...trimmed].some((c) => c.charCodeAt(0) < 32)) {
    return 'A file name cannot contain < > : " / \\ | ? * or control characters.';
  }
  if (reservedWindowsNames.test(trimmed.replace(/\.json$/i, ''))) {
    return 'That name is reserved on Windows.';
  }
  return undefined;
}

function withJson(name: string): string {
  const trimmed = name.trim();
  return /\.json$/i.test(trimmed) ? trimmed : `${trimmed}.json`;
}

async function exists(uri: vscode.Uri): Promise<boolean> {
  try {
    await vscode.workspace.fs.stat(uri);
    return true;
  } catch {
    return false;
  }
}

async function workspaceFolder(): Promise<vscode.WorkspaceFolder | undefined> {
  const folders = vscode.workspace.workspaceFolders ?? [];
  if (folders.length <= 1) {
    return folders[0];
  }
  const picked = await vscode.window.showWorkspaceFolderPick({
    placeHolder: 'Workspace folder for the input file',
  });
  if (picked === undefined) {
    throw new CancellationError();
  }
  return picked;
}

async function saveDialog(prompts: Prompts, defaultUri: vscode.Uri | undefined): Promise<vscode.Uri> {
  return prompts.save({
    title: 'Save the New Input File',
    ...(defaultUri ? { defaultUri } : {}),
    filters: { 'Input files': ['json'] },
    saveLabel: 'Create',
  });
}

/**
 * Where New Input File writes: `<inputs folder>/<flow folder>/<name>.json` in the workspace (the name
 * asked for, with a "Choose Location…" button for anywhere else), or a save dialog without a workspace.
 * Never an existing file.
 */
export async function chooseNewInputFile(
  flowName: string,
  options: NewInputFileOptions,
  host: NewInputFileHost,
): Promise<vscode.Uri> {
  if (options.uri !== undefined) {
    if (await exists(options.uri)) {
      throw new RangeError(`${options.uri.toString(true)} already exists.`);
    }
    return options.uri;
  }
  const folder = await workspaceFolder();
  if (folder === undefined) {
    return saveDialog(host.prompts, undefined);
  }
  const directory = vscode.Uri.joinPath(
    folder.uri,
    ...host.config.inputsFolder(folder),
    folderNameFor(flowName),
  );
  if (options.fileName !== undefined) {
    const problem = fileNameProblem(options.fileName);
    if (problem !== undefined) {
      throw new RangeError(problem);
    }
    const uri = vscode.Uri.joinPath(directory, withJson(options.fileName));
    if (await exists(uri)) {
      throw new RangeError(`${vscode.workspace.asRelativePath(uri)} already exists.`);
    }
    return uri;
  }

  let suggestion = 'inputs';
  for (let n = 2; await exists(vscode.Uri.joinPath(directory, `${suggestion}.json`)); n++) {
    suggestion = `inputs-${n}`;
  }
  // Not Prompts.text: the box has a "choose folder" button, which only a live InputBox offers.
  const box = vscode.window.createInputBox();
  const chooseLocation: vscode.QuickInputButton = {
    iconPath: new vscode.ThemeIcon('folder-opened'),
    tooltip: 'Choose Location…',
  };
  box.title = `New Input File for "${flowName}"`;
  box.prompt = `File name, created in ${vscode.workspace.asRelativePath(directory, true)}/ (or choose another location with the folder button)`;
  box.value = suggestion;
  box.valueSelection = [0, suggestion.length];
  box.buttons = [chooseLocation];
  box.ignoreFocusOut = true;
  try {
    return await new Promise<vscode.Uri>((resolve, reject) => {
      let settled = false;
      const finish = (action: () => void): void => {
        if (!settled) {
          settled = true;
          action();
        }
      };
      box.onDidChangeValue((value) => {
        box.validationMessage = fileNameProblem(value);
      });
      const accept = async (): Promise<void> => {
        const problem = fileNameProblem(box.value);
        if (problem !== undefined) {
          box.validationMessage = problem;
          return;
        }
        const uri = vscode.Uri.joinPath(directory, withJson(box.value));
        if (await exists(uri)) {
          box.validationMessage = `${withJson(box.value)} already exists here; choose another name.`;
          return;
        }
        finish(() => resolve(uri));
        box.hide();
      };
      box.onDidAccept(() => void accept());
      box.onDidTriggerButton(() => {
        finish(() => {
          saveDialog(host.prompts, vscode.Uri.joinPath(directory, withJson(box.value || suggestion))).then(
            resolve,
            reject,
          );
        });
        box.hide();
      });
      box.onDidHide(() => finish(() => reject(new CancellationError())));
      box.show();
    });
  } finally {
    box.dispose();
  }
}
