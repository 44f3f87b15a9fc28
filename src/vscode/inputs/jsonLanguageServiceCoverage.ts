import * as vscode from 'vscode';
import { findVariable, type DesktopFlowSchema } from '../../core/inputs/desktopFlowSchema';
import type { InputProblem } from '../../core/inputs/inputProblem';
import { inputFileLanguages } from './inputFileDetection';

/**
 * Problems the JSON language service already reports, at the same severity, in an editor tab; repeating
 * them would show each twice. It reports JSON syntax as errors but every schema violation as a warning, so a
 * schema problem that blocks a run (a wrong type, a missing required input, an unknown name, a placeholder)
 * is still reported here as an error: the editor must not look merely "yellow" for a file Run refuses.
 */
export function reportedByJsonLanguageService(
  problem: InputProblem,
  schema: DesktopFlowSchema,
  languageId: string,
): boolean {
  switch (problem.code) {
    case 'syntax':
    case 'trailingComma':
      return true;
    case 'comment':
      return languageId === 'json';
    case 'duplicateKey':
    case 'notObject':
    case 'type':
    case 'null':
    case 'unknownInput':
      return problem.severity === 'warning';
    case 'required':
      // An "unknown" requirement is a core warning the served schema cannot express; a known one blocks.
      return false;
    case 'placeholder': {
      // A text input's placeholder fails the served schema's pattern with the same advice, but only as a
      // warning; placeholders always block a run, so they are reported here too.
      const variable = problem.input === undefined ? undefined : findVariable(schema, problem.input);
      return (
        variable !== undefined &&
        variable.kind === 'text' &&
        !variable.sensitive &&
        problem.severity === 'warning'
      );
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
  // A window-scoped setting: asking for it for a resource logs a warning in the extension host log.
  if (vscode.workspace.getConfiguration('json').get<boolean>('validate.enable') === false) {
    return false;
  }
  const uri = document.uri.toString();
  return vscode.window.tabGroups.all.some((group) =>
    group.tabs.some((tab) => tab.input instanceof vscode.TabInputText && tab.input.uri.toString() === uri),
  );
}
