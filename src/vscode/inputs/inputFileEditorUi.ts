import * as vscode from 'vscode';
import { commandIds } from '../commandIds';
import { setContext } from '../contextKeys';
import { inputFileLanguages, isInputFileDocument } from './inputFileDetection';

/**
 * "▶ Run" and "Validate" at the top of every input file. Run is the runs UI's command
 * (`desktopFlows.run.startFromFile`), called with the document's URI.
 */
export class InputFileCodeLensProvider implements vscode.CodeLensProvider {
  provideCodeLenses(document: vscode.TextDocument): vscode.CodeLens[] {
    if (!isInputFileDocument(document)) {
      return [];
    }
    const top = new vscode.Range(0, 0, 0, 0);
    return [
      new vscode.CodeLens(top, {
        title: '$(play) Run',
        tooltip: 'Run the desktop flow with the inputs of this file',
        command: commandIds.runInputFile,
        arguments: [document.uri],
      }),
      new vscode.CodeLens(top, {
        title: 'Validate',
        tooltip: "Check this file against the flow's current input schema",
        command: commandIds.validateInputFile,
        arguments: [document.uri],
      }),
    ];
  }
}

/** Registers the CodeLens provider for JSON documents of any scheme (files, untitled, virtual). */
export function registerInputFileCodeLens(): vscode.Disposable[] {
  const provider = new InputFileCodeLensProvider();
  return [
    vscode.languages.registerCodeLensProvider(
      inputFileLanguages.map((language) => ({ language })),
      provider,
    ),
  ];
}

/**
 * Keeps `desktopFlows.inputFileActive` true while the active editor shows an input file: it drives the
 * editor-title Run and Validate buttons and their palette entries.
 */
export function trackActiveInputFile(): vscode.Disposable[] {
  const update = (): void => {
    const document = vscode.window.activeTextEditor?.document;
    void setContext('desktopFlows.inputFileActive', document !== undefined && isInputFileDocument(document));
  };
  update();
  return [
    vscode.window.onDidChangeActiveTextEditor(update),
    vscode.workspace.onDidChangeTextDocument((e) => {
      if (e.document === vscode.window.activeTextEditor?.document) {
        update();
      }
    }),
    // Changing the language mode (Plain Text ↔ JSON) changes whether the file counts.
    vscode.workspace.onDidOpenTextDocument(update),
  ];
}
