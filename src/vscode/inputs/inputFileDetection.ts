import { visit } from 'jsonc-parser';
import * as vscode from 'vscode';
import { hasSchemaUriScheme } from '../../core/inputs/schemaUri';

/**
 * How much of a file is read to find its `"$schema"`. New Input File writes it first, and people keep it
 * at the top; a file whose `$schema` sits further down is still validated once opened, but is not listed
 * in the tree.
 */
export const schemaProbeChars = 8 * 1024;

/** Thrown to stop the visitor once the answer is known, so a large file is never walked to its end. */
class Found extends Error {}

/**
 * The string value of the root object's `"$schema"`, read from the start of a JSON text (comments
 * allowed); `undefined` when the root is not an object or has no string `$schema` in `text`.
 */
export function readSchemaProperty(text: string): string | undefined {
  let depth = 0;
  let pendingSchemaKey = false;
  let result: string | undefined;
  try {
    visit(
      text.charCodeAt(0) === 0xfeff ? text.slice(1) : text,
      {
        onObjectBegin: () => {
          if (depth === 0 && pendingSchemaKey) {
            throw new Found();
          }
          depth++;
        },
        onArrayBegin: () => {
          if (depth === 0) {
            // The root is not an object: not an input file.
            throw new Found();
          }
          if (depth === 1 && pendingSchemaKey) {
            throw new Found();
          }
          depth++;
        },
        onObjectEnd: () => {
          depth--;
          if (depth === 0) {
            throw new Found();
          }
        },
        onArrayEnd: () => {
          depth--;
        },
        onObjectProperty: (key) => {
          pendingSchemaKey = depth === 1 && key === '$schema';
        },
        onLiteralValue: (value: unknown) => {
          if (depth === 0) {
            throw new Found();
          }
          if (depth === 1 && pendingSchemaKey) {
            result = typeof value === 'string' ? value : undefined;
            throw new Found();
          }
        },
      },
      { allowTrailingComma: true, disallowComments: false },
    );
  } catch (e) {
    if (!(e instanceof Found)) {
      throw e;
    }
  }
  return result;
}

/** The `desktopflows-schema:` URI a JSON text names in `$schema` (judged on its first KBs), if any. */
export function inputFileSchemaUri(text: string): string | undefined {
  const schema = readSchemaProperty(text.length > schemaProbeChars ? text.slice(0, schemaProbeChars) : text);
  return schema !== undefined && hasSchemaUriScheme(schema.trim()) ? schema.trim() : undefined;
}

/** Languages whose documents can be input files. */
export const inputFileLanguages: readonly string[] = ['json', 'jsonc'];

/** True when the document is a JSON document whose `$schema` is a `desktopflows-schema:` URI. */
export function isInputFileDocument(document: vscode.TextDocument): boolean {
  if (!inputFileLanguages.includes(document.languageId)) {
    return false;
  }
  // Only the first KBs: this runs on every editor switch and keystroke.
  const end = document.positionAt(schemaProbeChars);
  return inputFileSchemaUri(document.getText(new vscode.Range(new vscode.Position(0, 0), end))) !== undefined;
}
