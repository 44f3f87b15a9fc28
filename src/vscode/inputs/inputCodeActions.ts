import { getLocation } from 'jsonc-parser';
import * as vscode from 'vscode';
import { commandIds } from '../commandIds';
import { diagnosticSource } from './inputDiagnostics';
import { inputFileLanguages } from './inputFileDetection';

/** A secret name for an input: `${secret:NAME}` names use letters, digits and "_". */
export function secretNameFor(inputName: string): string {
  const cleaned = inputName.replace(/[^A-Za-z0-9_]+/g, '_').replace(/^_+|_+$/g, '');
  if (cleaned === '') {
    return 'SECRET';
  }
  return /^[0-9]/.test(cleaned) ? `_${cleaned}` : cleaned;
}

/** Where a literal sensitive value sits, for "Move the Value to a Secret". */
export interface SecretSource {
  readonly uri: vscode.Uri;
  readonly range: vscode.Range;
}

function codeOf(diagnostic: vscode.Diagnostic): string | undefined {
  const code = diagnostic.code;
  return typeof code === 'object' ? String(code.value) : code === undefined ? undefined : String(code);
}

/**
 * Quick fixes for the input diagnostics: store a missing secret, move a literal sensitive value into
 * secret storage (the file keeps only `${secret:NAME}`), sign in, or pick the default environment.
 */
export class InputCodeActionProvider implements vscode.CodeActionProvider {
  static readonly kinds = [vscode.CodeActionKind.QuickFix];

  provideCodeActions(
    document: vscode.TextDocument,
    _range: vscode.Range,
    context: vscode.CodeActionContext,
  ): vscode.CodeAction[] {
    const actions: vscode.CodeAction[] = [];
    for (const diagnostic of context.diagnostics) {
      if (diagnostic.source !== diagnosticSource) {
        continue;
      }
      const action = (title: string, command: string, args: unknown[] = []): void => {
        const fix = new vscode.CodeAction(title, vscode.CodeActionKind.QuickFix);
        fix.diagnostics = [diagnostic];
        fix.isPreferred = actions.length === 0;
        fix.command = { title, command, arguments: args };
        actions.push(fix);
      };
      switch (codeOf(diagnostic) ?? '') {
        case 'secretNotSet': {
          const name = /\$\{secret:([^}]+)\}/.exec(document.getText(diagnostic.range))?.[1];
          if (name !== undefined) {
            action(`Set Secret "${name}"…`, commandIds.setSecret, [name]);
          }
          break;
        }
        case 'sensitiveLiteral': {
          const location = getLocation(document.getText(), document.offsetAt(diagnostic.range.start) + 1);
          const input = location.path[0];
          const source: SecretSource = { uri: document.uri, range: diagnostic.range };
          action('Move the Value to a Secret…', commandIds.setSecret, [
            typeof input === 'string' ? secretNameFor(input) : undefined,
            source,
          ]);
          break;
        }
        case 'flow:notSignedIn':
          action('Sign In…', commandIds.signIn);
          action('Try the Sandbox', commandIds.trySandbox);
          break;
        case 'flow:noDefaultEnvironment':
          action('Select the Default Environment…', commandIds.selectEnvironment);
          break;
        default:
          break;
      }
    }
    return actions;
  }
}

/** Registers the quick fixes for JSON documents. */
export function registerInputCodeActions(): vscode.Disposable {
  return vscode.languages.registerCodeActionsProvider(
    inputFileLanguages.map((language) => ({ language })),
    new InputCodeActionProvider(),
    { providedCodeActionKinds: InputCodeActionProvider.kinds },
  );
}
