import type * as vscode from 'vscode';
import type { Environment } from '../../core/model/environment';
import type { SignedInAccount } from '../accounts/signedInAccount';

/** An input file made ready to send: which flow it is for, and the exact inputs. */
export interface RunReadyInputs {
  readonly account: SignedInAccount;
  readonly environment: Environment;
  readonly flowId: string;
  readonly flowName: string;
  /** The exact `inputs` string to send (references resolved). Never logged or shown. */
  readonly inputs: string;
  /** The inputs with sensitive values masked, for the transcript (object or its JSON text). */
  readonly maskedInputs: Readonly<Record<string, unknown>> | string;
  readonly sensitiveNames: readonly string[];
}

/**
 * What the runs UI needs from the input-files feature (src/vscode/inputs): the narrow side of its
 * `InputFileService`, declared here so the runs UI depends on this contract only.
 */
export interface RunInputFiles {
  /**
   * Validates the file and resolves its references. Throws `UserFacingError` for an invalid file (nothing is
   * sent then), `CancellationError` when the user backs out (e.g. declines workspace trust).
   */
  prepareForRun(uri: vscode.Uri, signal: AbortSignal): Promise<RunReadyInputs>;
  /** Asks for workspace trust when needed; false when the user declined. Called before `prepareForRun`. */
  ensureTrustedForRun?(): Promise<boolean>;
  /** The workspace's input files by flow, when the service keeps an index of them. */
  readonly index?: {
    ready(signal: AbortSignal): Promise<void>;
    filesFor(flowId: string, environment: Environment): readonly { readonly uri: vscode.Uri }[];
  };
}

/** The masked inputs as transcript text. */
export function maskedInputsText(masked: RunReadyInputs['maskedInputs']): string {
  return typeof masked === 'string' ? masked : JSON.stringify(masked);
}
