import * as vscode from 'vscode';
import type { InputProblem } from '../../core/inputs/inputProblem';
import { parseSchemaUri, type SchemaUriTarget } from '../../core/inputs/schemaUri';
import { commandIds } from '../commandIds';
import { getContext } from '../contextKeys';
import { UserFacingError } from '../registerCommand';
import type { FlowSchemaResolver } from './flowSchemaResolver';
import type { InputDiagnostics, InputFileCheck } from './inputDiagnostics';
import { inputFileSchemaUri } from './inputFileDetection';
import type { InputFileIndex } from './inputFileIndex';
import type { InputSecrets } from './inputSecrets';
import type { SchemaContentProvider } from './schemaContentProvider';
import { ensureTrustedForRun } from './workspaceTrust';

/** "line 4, column 12" of a problem, for messages. */
export function problemPlace(problem: InputProblem): string {
  return `line ${problem.line}, column ${problem.column}`;
}

/** Opens the document at a problem. */
export async function revealProblem(
  uri: vscode.Uri,
  problem: { offset: number; length: number } | undefined,
): Promise<void> {
  const document = await vscode.workspace.openTextDocument(uri);
  const editor = await vscode.window.showTextDocument(document);
  if (problem !== undefined) {
    const range = new vscode.Range(
      document.positionAt(problem.offset),
      document.positionAt(problem.offset + problem.length),
    );
    editor.selection = new vscode.Selection(range.start, range.end);
    editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
  }
}

function fileLabel(uri: vscode.Uri): string {
  return uri.scheme === 'untitled' ? uri.path : vscode.workspace.asRelativePath(uri, false);
}

/**
 * Input files as the rest of the extension uses them: opening one (the flow its `$schema` names) and
 * validation on request. A run from a file is prepared by core `prepareRun` like any other run
 * (`runs/runStarter.ts`, through `runs/runInputFiles.ts`).
 */
export class InputFileService {
  constructor(
    readonly resolver: FlowSchemaResolver,
    readonly schemaProvider: SchemaContentProvider,
    readonly diagnostics: InputDiagnostics,
    readonly index: InputFileIndex,
    readonly secrets: InputSecrets,
  ) {}

  /** Asks for workspace trust before a run from an input file; false when not trusted (see `ensureTrustedForRun`). */
  ensureTrustedForRun(): Promise<boolean> {
    return ensureTrustedForRun();
  }

  /** Whether the active editor shows an input file (the `desktopFlows.inputFileActive` context key). */
  get inputFileActive(): boolean {
    return getContext('desktopFlows.inputFileActive') === true;
  }

  /**
   * The document of an input file, with unsaved edits. Throws `UserFacingError` when the file does not
   * name a desktop flow in `"$schema"`.
   */
  async openInputFile(
    uri: vscode.Uri,
  ): Promise<{ document: vscode.TextDocument; schemaUri: string; target: SchemaUriTarget }> {
    const document = await vscode.workspace.openTextDocument(uri);
    const schemaUri = inputFileSchemaUri(document.getText());
    if (schemaUri === undefined) {
      throw new UserFacingError(
        `"${fileLabel(uri)}" is not a desktop flow input file: its "$schema" must be a desktopflows-schema: URI naming the flow. Use "New Input File…" to create one.`,
        [{ title: 'New Input File…', run: () => vscode.commands.executeCommand(commandIds.newInputFile) }],
      );
    }
    const target = parseSchemaUri(schemaUri);
    if (target === undefined) {
      throw new UserFacingError(
        `The "$schema" of "${fileLabel(uri)}" is not a well-formed desktopflows-schema URI: write desktopflows-schema:/<flowId>.json or desktopflows-schema:/<environment>/<flowId>.json.`,
        [{ title: 'Open File', run: () => revealProblem(uri, undefined) }],
      );
    }
    return { document, schemaUri, target };
  }

  /**
   * Checks an input file against a fresh copy of its flow's schema and shows every problem in the
   * Problems panel (those the JSON language service shows itself in an open editor excepted).
   */
  async validate(uri: vscode.Uri, signal: AbortSignal): Promise<InputFileCheck> {
    const { document } = await this.openInputFile(uri);
    return this.diagnostics.check(document, { explicit: true, fresh: true, signal });
  }
}
