import * as vscode from 'vscode';
import {
  decodeInputFile,
  InputFileReadError,
  invalidUtf8Position,
  type InputFileReadReason,
} from '../../core/inputs/inputFileBytes';

/** Why bytes are not the text the editor shows (an empty or oversized file is another matter). */
const encodingReasons: ReadonlySet<InputFileReadReason> = new Set([
  'invalidUtf8',
  'invalidUtf16',
  'utf16WithoutBom',
  'binary',
]);

/** A saved input file whose bytes the editor could only show with replacement characters. */
export interface InputFileEncodingProblem {
  /** The core reader's refusal, as the CLI words it. */
  readonly error: InputFileReadError;
  /** Where the first invalid byte shows in the document (its start when that cannot be told). */
  readonly position: vscode.Position;
}

/**
 * The encoding problem of a saved input file, as the CLI would refuse it, or `undefined` when the
 * document's text can be used as it is.
 *
 * The rule: a problem only when the file's bytes are not valid UTF-8 (or UTF-16 with a byte-order mark)
 * AND the document's text contains U+FFFD, i.e. what the user sees is broken too. A file the user
 * deliberately opened in another encoding (`files.encoding`, "Reopen with Encoding") shows no
 * replacement characters, so its text is used as the editor decoded it. A dirty or untitled document is
 * taken as the editor has it (the disk is not read then), and so is a file whose bytes cannot be read.
 * Bytes are read through `vscode.workspace.fs`, so any file system (remote included) works.
 */
export async function inputFileEncodingProblem(
  document: vscode.TextDocument,
  label: string,
): Promise<InputFileEncodingProblem | undefined> {
  if (document.isDirty || document.isUntitled || !document.getText().includes('\uFFFD')) {
    return undefined;
  }
  let bytes: Uint8Array;
  try {
    bytes = await vscode.workspace.fs.readFile(document.uri);
  } catch {
    return undefined;
  }
  try {
    decodeInputFile(bytes, label);
    return undefined;
  } catch (e) {
    if (!InputFileReadError.is(e) || !encodingReasons.has(e.reason)) {
      return undefined;
    }
    const at = e.reason === 'invalidUtf8' ? invalidUtf8Position(bytes) : undefined;
    const position =
      at === undefined
        ? new vscode.Position(0, 0)
        : document.validatePosition(new vscode.Position(at.line, at.character));
    return { error: e, position };
  }
}

/** The words of a run refused for an encoding problem. */
export function encodingRefusal(problem: InputFileEncodingProblem): string {
  return `${problem.error.message} ${problem.error.fix} Nothing was sent.`;
}
