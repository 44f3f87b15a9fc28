import * as vscode from 'vscode';
import type { InputProblem } from '../../core/inputs/inputProblem';
import { inputFileLanguages } from './inputFileDetection';

/**
 * Problems the JSON language service already reports, at the same severity, in an editor tab; repeating
 * them would show each twice. That is JSON syntax only: the schema it is served (`toEditorJsonSchema`)
 * has no constraints, so every schema problem (a wrong type, a missing or unknown input, a placeholder) is
 * reported once, by the input diagnostics, as an error when it blocks a run.
 */
export function reportedByJsonLanguageService(problem: InputProblem, languageId: string): boolean {
  return (
    problem.code === 'syntax' ||
    problem.code === 'trailingComma' ||
    (problem.code === 'comment' && languageId === 'json')
  );
}

/**
 * True when an editor tab shows the document and the JSON language service validates it (`jsonValidate`:
 * `json.validate.enable`, a window-scoped setting read by the configuration service without a resource).
 */
export function coveredByJsonLanguageService(document: vscode.TextDocument, jsonValidate: boolean): boolean {
  if (!inputFileLanguages.includes(document.languageId) || !jsonValidate) {
    return false;
  }
  const uri = document.uri.toString();
  return vscode.window.tabGroups.all.some((group) =>
    group.tabs.some((tab) => tab.input instanceof vscode.TabInputText && tab.input.uri.toString() === uri),
  );
}
