import * as vscode from 'vscode';
import type { InputProblem } from '../../core/inputs/inputProblem';
import type { SecretResolver } from '../../core/inputs/secretReference';
import type { Environment } from '../../core/model/environment';
import type { SignedInAccount } from '../accounts/signedInAccount';
import { commandIds } from '../commandIds';
import { encodingRefusal, inputFileEncodingProblem } from '../inputs/inputFileEncoding';
import type { InputFileService } from '../inputs/inputFileService';
import { UserFacingError } from '../registerCommand';

/** An input file read for a run: its text as it is now (unsaved edits included) and the flow it names. */
export interface InputFileText {
  readonly document: vscode.TextDocument;
  readonly text: string;
  /** The file as problems name it (a workspace-relative path). */
  readonly label: string;
  /** The flow its `$schema` names. */
  readonly flowId: string;
  /** The environment its `$schema` names, if it names one. */
  readonly environmentKey: string | undefined;
}

/**
 * A saved input file refused before anything is sent because its bytes are not the text the editor
 * shows (invalid UTF-8): in the CLI's words, written to the transcript and shown like other refusals.
 */
export class InputFileRefusedError extends UserFacingError {}

/** An input file with the account and environment it runs in. */
export interface InputFileForRun extends InputFileText {
  readonly account: SignedInAccount;
  readonly environment: Environment;
}

/**
 * What the runs UI needs from the input-files feature (src/vscode/inputs). A run from a file is prepared
 * by core `prepareRun` like any other: this only opens the file, finds where its `$schema` points, lends
 * the `${secret:}` resolver and shows problems in the Problems panel.
 */
export interface RunInputFiles {
  /** Asks for workspace trust when needed; false when the user declined. Called before anything is read. */
  ensureTrustedForRun(): Promise<boolean>;
  /**
   * Reads the file: unsaved edits as they are, a saved file as the editor shows it unless its bytes are
   * broken (`InputFileRefusedError`); throws `UserFacingError` when it names no flow.
   */
  read(uri: vscode.Uri): Promise<InputFileText>;
  /** Finds the environment the file's `$schema` names (or the workspace default); throws `UserFacingError` saying why not. */
  locate(file: InputFileText, signal: AbortSignal): Promise<InputFileForRun>;
  /** Shows `prepareRun`'s input problems of a file in the Problems panel. */
  showProblems(document: vscode.TextDocument, problems: readonly InputProblem[]): void;
  /** Resolves `${secret:}` (SecretStorage) and `${env:}` references when a run is prepared. */
  readonly secrets: SecretResolver;
  /** Stores a secret a `${secret:NAME}` reference resolves to (as Set Secret does). */
  storeSecret(name: string, value: string): Promise<void>;
  /** The workspace's input files by flow, when the service keeps an index of them. */
  readonly index?: {
    ready(signal: AbortSignal): Promise<void>;
    filesFor(flowId: string, environment: Environment): readonly { readonly uri: vscode.Uri }[];
  };
}

/** The runs UI's view of the input-files service. */
export function runInputFilesOf(service: InputFileService): RunInputFiles {
  return {
    ensureTrustedForRun: () => service.ensureTrustedForRun(),
    secrets: service.secrets.resolver,
    storeSecret: (name, value) => service.secrets.set(name, value),
    index: service.index,
    showProblems: (document, problems) => {
      service.diagnostics.publish(document, problems);
    },
    async read(uri) {
      const { document, target } = await service.openInputFile(uri);
      const label = uri.scheme === 'untitled' ? uri.path : vscode.workspace.asRelativePath(uri, false);
      // Refused only when the bytes are not valid UTF-8 (or UTF-16 with a BOM) AND the text shows U+FFFD:
      // otherwise the editor's text is what the user sees and means (see inputFileEncodingProblem).
      const problem = await inputFileEncodingProblem(document, `"${label}"`);
      if (problem !== undefined) {
        throw new InputFileRefusedError(encodingRefusal(problem), [
          {
            title: 'Go to Problem',
            run: () =>
              vscode.window.showTextDocument(document, {
                selection: new vscode.Range(problem.position, problem.position),
              }),
          },
        ]);
      }
      return {
        document,
        text: document.getText(),
        label,
        flowId: target.flowId,
        environmentKey: target.environment,
      };
    },
    async locate(file, signal) {
      const location = await service.resolver.locate(
        {
          flowId: file.flowId,
          ...(file.environmentKey === undefined ? {} : { environment: file.environmentKey }),
        },
        signal,
      );
      if ('kind' in location) {
        const message = `Cannot run "${file.label}": ${location.message}`;
        switch (location.reason) {
          case 'notSignedIn':
            throw new UserFacingError(message, [
              { title: 'Sign In', run: () => vscode.commands.executeCommand(commandIds.signIn) },
            ]);
          case 'noDefaultEnvironment':
            throw new UserFacingError(message, [
              {
                title: 'Select Environment…',
                run: () => vscode.commands.executeCommand(commandIds.selectEnvironment),
              },
            ]);
          case 'failed':
            throw location.error instanceof Error ? location.error : new UserFacingError(message);
          case 'environmentNotFound':
          case 'flowNotFound':
            throw new UserFacingError(message);
        }
      }
      return { ...file, account: location.account, environment: location.environment };
    },
  };
}
