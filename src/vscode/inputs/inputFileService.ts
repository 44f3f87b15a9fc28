import * as vscode from 'vscode';
import { InputFileReadError, readInputFileText } from '../../core/inputs/inputFileBytes';
import { parseInputDocument } from '../../core/inputs/inputDocument';
import type { InputProblem } from '../../core/inputs/inputProblem';
import { maskInputs } from '../../core/inputs/maskInputs';
import { prepareRunInputs } from '../../core/inputs/prepareRunInputs';
import { parseSchemaUri, type SchemaUriTarget } from '../../core/inputs/schemaUri';
import { CancellationError } from '../../core/errors';
import type { Logger } from '../../core/logger';
import type { Environment } from '../../core/model/environment';
import type { SignedInAccount } from '../accounts/signedInAccount';
import { commandIds } from '../commandIds';
import { getContext } from '../contextKeys';
import { UserFacingError } from '../registerCommand';
import type { FlowSchemaResolver, UnresolvedFlowSchema } from './flowSchemaResolver';
import { environmentNames, type InputDiagnostics, type InputFileCheck } from './inputDiagnostics';
import { inputFileSchemaUri } from './inputFileDetection';
import type { InputFileIndex } from './inputFileIndex';
import type { InputSecrets } from './inputSecrets';
import type { SchemaContentProvider } from './schemaContentProvider';
import { ensureTrustedForRun } from './workspaceTrust';

/** What a run from an input file sends, ready for RunDesktopFlow. */
export interface PreparedInputFile {
  readonly uri: vscode.Uri;
  readonly account: SignedInAccount;
  readonly environment: Environment;
  readonly flowId: string;
  readonly flowName: string;
  /** The exact `inputs` JSON to send: `$schema` removed, references resolved. Holds secrets: never log it. */
  readonly inputs: string;
  /** The inputs with sensitive values replaced by `********` (references kept), for transcripts. */
  readonly maskedInputs: Record<string, unknown>;
  /** Inputs the flow marks as sensitive. */
  readonly sensitiveNames: readonly string[];
  /** UTF-8 size of `inputs`. */
  readonly bytes: number;
  /** Problems that do not block the run (they are shown in the Problems panel). */
  readonly warnings: readonly InputProblem[];
}

/**
 * The text a run sends. A saved file on disk is read again through the core reader the CLI uses, so
 * both refuse the same files (invalid UTF-8 that the editor shows with replacement characters, binary,
 * oversized) rather than sending what the editor guessed; unsaved edits are taken as the editor has them.
 */
async function runText(document: vscode.TextDocument, label: string, signal: AbortSignal): Promise<string> {
  if (document.uri.scheme !== 'file' || document.isDirty) {
    return document.getText();
  }
  try {
    return await readInputFileText(document.uri.fsPath, { signal, label: `"${label}"` });
  } catch (e) {
    if (InputFileReadError.is(e)) {
      throw new UserFacingError(`${e.message} ${e.fix} Nothing was sent.`);
    }
    throw e;
  }
}

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
 * Input files as the rest of the extension uses them: validation on request, and `prepareForRun`, which
 * the runs UI calls before every run from a file.
 */
export class InputFileService {
  constructor(
    readonly resolver: FlowSchemaResolver,
    readonly schemaProvider: SchemaContentProvider,
    readonly diagnostics: InputDiagnostics,
    readonly index: InputFileIndex,
    readonly secrets: InputSecrets,
    private readonly log: Logger,
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

  /**
   * Everything a run from an input file needs, or a `UserFacingError` saying why not (nothing is sent).
   * Reads the document with unsaved edits, resolves the environment (`$schema`, else the workspace
   * default), account and flow, fetches the schema afresh, validates (problems go to the Problems panel),
   * then resolves `${env:NAME}` (the extension host's environment) and `${secret:NAME}` (SecretStorage).
   * Resolved values are registered with the secret masker and never written to any file. In an untrusted
   * workspace it asks for trust first and throws `CancellationError` when not given.
   */
  async prepareForRun(uri: vscode.Uri, signal: AbortSignal): Promise<PreparedInputFile> {
    const { document, target } = await this.openInputFile(uri);
    const label = fileLabel(uri);
    const text = await runText(document, label, signal);
    if (!(await ensureTrustedForRun())) {
      throw new CancellationError('The workspace is not trusted.');
    }
    const resolution = await this.resolver.resolve(target, signal, { fresh: true });
    if (resolution.kind === 'unresolved') {
      await this.diagnostics.check(document, { explicit: true, fresh: false, signal });
      throw this.unresolvedError(uri, label, resolution);
    }
    const prepared = await prepareRunInputs(text, resolution.schema, {
      signal,
      resolver: this.secrets.resolver,
      logger: this.log,
      limitBytes: resolution.limitBytes,
      flowId: target.flowId,
      environment: environmentNames(resolution.environment, target.environment),
      ...(resolution.previousSchema ? { previousSchema: resolution.previousSchema } : {}),
    });
    if (!prepared.ok) {
      this.diagnostics.publish(document, prepared.problems);
      const errors = prepared.problems.filter((p) => p.severity === 'error');
      const first = errors[0] ?? prepared.problems[0];
      const count = `${errors.length} problem${errors.length === 1 ? '' : 's'}`;
      this.log.warn(`[inputs] ${label}: not run, ${count}`);
      throw new UserFacingError(
        `"${label}" has ${count} that must be fixed before "${resolution.flow.name}" can run; nothing was sent.` +
          (first ? ` First, at ${problemPlace(first)}: ${first.message}` : ''),
        [
          { title: 'Go to Problem', run: () => revealProblem(uri, first) },
          {
            title: 'Show Problems',
            run: () => vscode.commands.executeCommand('workbench.actions.view.problems'),
          },
        ],
      );
    }
    this.diagnostics.publish(document, prepared.warnings);
    // For transcripts: the file's own values, where a reference still says where a secret came from
    // ("${secret:ERP_KEY}") and any literal sensitive value is masked.
    const written = parseInputDocument(text).value as Record<string, unknown>;
    const { $schema: _schema, ...values } = written;
    return {
      uri,
      account: resolution.account,
      environment: resolution.environment,
      flowId: resolution.flow.id,
      flowName: resolution.flow.name,
      inputs: prepared.inputs,
      maskedInputs: maskInputs(values, resolution.schema),
      sensitiveNames: resolution.schema.variables.filter((v) => v.sensitive).map((v) => v.name),
      bytes: prepared.bytes,
      warnings: prepared.warnings,
    };
  }

  private unresolvedError(uri: vscode.Uri, label: string, resolution: UnresolvedFlowSchema): Error {
    const message = `Cannot run "${label}": ${resolution.message}`;
    switch (resolution.reason) {
      case 'notSignedIn':
        return new UserFacingError(message, [
          { title: 'Sign In', run: () => vscode.commands.executeCommand(commandIds.signIn) },
          { title: 'Try the Sandbox', run: () => vscode.commands.executeCommand(commandIds.trySandbox) },
        ]);
      case 'noDefaultEnvironment':
        return new UserFacingError(message, [
          {
            title: 'Select Environment…',
            run: () => vscode.commands.executeCommand(commandIds.selectEnvironment),
          },
        ]);
      case 'environmentNotFound':
      case 'flowNotFound':
        return new UserFacingError(message, [
          { title: 'Open File', run: () => revealProblem(uri, undefined) },
        ]);
      case 'failed':
        // Keep the typed error (it carries "sign in again" and the service's codes) for the one error path.
        return resolution.error instanceof Error ? resolution.error : new UserFacingError(message);
    }
  }
}
