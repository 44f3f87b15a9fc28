/**
 * Validate an input file: the authoritative check the editor, the CLI and the run command share. It
 * never resolves references (that happens only at trigger time, in `prepareRunInputs`), so it is
 * synchronous and safe to run on every save.
 */
import type { DesktopFlowSchema } from './desktopFlowSchema';
import { analyzeInputFile, type ValidateInputOptions } from './inputFileAnalysis';
import { hasErrors, type InputProblem } from './inputProblem';
import type { SchemaUriTarget } from './schemaUri';
import { locateProblems } from './textPositions';

/** The outcome of `validateInputFile`. */
export interface InputFileValidation {
  /** In document order. */
  readonly problems: readonly InputProblem[];
  /** True when no problem is an error (warnings allowed). */
  readonly ok: boolean;
  /** The input values without `$schema`, references unresolved; `undefined` when the file is unusable. */
  readonly values: Readonly<Record<string, unknown>> | undefined;
  /** What the file's `$schema` names, when it is a well-formed `desktopflows-schema:` URI. */
  readonly schemaUri: SchemaUriTarget | undefined;
  /** UTF-8 size of the inputs string as it would be sent (before references are resolved). */
  readonly bytes: number | undefined;
}

/**
 * Check an input file's text against a flow's input schema: JSON syntax, types, required and unknown
 * inputs, nulls, numbers that cannot be sent exactly, nesting, `$schema`, placeholders, references in
 * sensitive inputs, and the cloud's byte limit (`options.limitBytes`).
 */
export function validateInputFile(
  text: string,
  schema: DesktopFlowSchema,
  options: ValidateInputOptions,
): InputFileValidation {
  const analysis = analyzeInputFile(text, schema, options);
  const problems = locateProblems(text, analysis.problems);
  return {
    problems,
    ok: !hasErrors(problems),
    values: analysis.values,
    schemaUri: analysis.schemaUri,
    bytes: analysis.bytes,
  };
}
