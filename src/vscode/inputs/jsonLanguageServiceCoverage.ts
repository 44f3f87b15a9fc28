import * as vscode from 'vscode';
import { findVariable, type DesktopFlowSchema } from '../../core/inputs/desktopFlowSchema';
import type { InputProblem } from '../../core/inputs/inputProblem';
import { inputFileLanguages } from './inputFileDetection';

/**
 * Problems the JSON language service already reports from the served JSON Schema (or from JSON syntax)
 * in an editor tab; repeating them would show each twice in the Problems panel.
 */
export function reportedByJsonLanguageService(
  problem: InputProblem,
  schema: DesktopFlowSchema,
  languageId: string,
): boolean {
  switch (problem.code) {
    case 'syntax':
    case 'trailingComma':
    case 'duplicateKey':
    case 'notObject':
    case 'type':
    case 'null':
    case 'unknownInput':
      return true;
    case 'comment':
      return languageId === 'json';
    case 'required':
      // The served schema lists only inputs known to be required; "unknown" requirement is a core warning.
      return problem.severity === 'error';
    case 'placeholder': {
      // A text input's placeholder fails the served schema's pattern, with the same advice.
      const variable = problem.input === undefined ? undefined : findVariable(schema, problem.input);
      return variable !== undefined && variable.kind === 'text' && !variable.sensitive;
    }
    case 'schemaUri':
    case 'schemaMismatch':
    case 'removedInput':
    case 'hugeNumber':
    case 'numberPrecision':
    case 'tooDeep':
    case 'tooLarge':
    case 'sensitiveLiteral':
    case 'badReference':
    case 'referenceInPlainInput':
    case 'unresolvedReference':
    case 'referenceType':
      return false;
  }
}

/** True when an editor tab shows the document and the JSON language service validates it. */
export function coveredByJsonLanguageService(document: vscode.TextDocument): boolean {
  if (!inputFileLanguages.includes(document.languageId)) {
    return false;
  }
  if (vscode.workspace.getConfiguration('json', document.uri).get<boolean>('validate.enable') === false) {
    return false;
  }
  const uri = document.uri.toString();
  return vscode.window.tabGroups.all.some((group) =>
    group.tabs.some((tab) => tab.input instanceof vscode.TabInputText && tab.input.uri.toString() === uri),
  );
}
