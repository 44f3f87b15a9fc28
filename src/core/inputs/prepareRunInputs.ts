/**
 * The last step before RunDesktopFlow: validate the input file, resolve `${env:…}` / `${secret:…}`
 * references through the host's resolver, and produce the exact `inputs` string to send (`$schema`
 * removed, references replaced). An invalid file is never sent: any error returns problems instead.
 *
 * Resolved values are registered with the secret masker before anything else sees them, so they are
 * masked in every log, output channel, notification and error; they are never written back to the file.
 */
import { CancellationError } from '../errors';
import type { Logger } from '../logger';
import { throwIfAborted } from '../util/abort';
import { secretMasker as defaultMasker, type SecretMasker } from '../util/secretMasker';
import { findVariable, kindNoun, type DesktopFlowSchema } from './desktopFlowSchema';
import {
  analyzeInputFile,
  tooLargeProblem,
  type FoundReference,
  type ValidateInputOptions,
} from './inputFileAnalysis';
import type { InputProblem, ProblemDraft } from './inputProblem';
import { maskedValue, registerSensitiveValue } from './maskInputs';
import { joinEntries, utf8Length } from './serializedInputs';
import { parseReference, type SecretResolver } from './secretReference';
import { locateProblems } from './textPositions';
import { coerceToKind, exampleOf } from './variableValues';

/** Options of `prepareRunInputs`. */
export interface PrepareRunInputsOptions extends ValidateInputOptions {
  readonly signal: AbortSignal;
  /** Looks references up. Without one, any reference is an `unresolvedReference` error. */
  readonly resolver?: SecretResolver;
  readonly logger?: Logger;
  /** Where resolved and literal sensitive values are registered; the process-wide masker by default. */
  readonly masker?: SecretMasker;
}

/** The inputs to send, or why not. */
export type PreparedRunInputs =
  | {
      readonly ok: true;
      /** The exact `inputs` parameter of RunDesktopFlow. Holds resolved secrets: never log it. */
      readonly inputs: string;
      /** `inputs` with sensitive values replaced by `********`, for transcripts. */
      readonly maskedInputs: string;
      /** The inputs whose values `maskedInputs` hides, in the order they are sent. */
      readonly maskedNames: readonly string[];
      /** UTF-8 size of `inputs`. */
      readonly bytes: number;
      readonly warnings: readonly InputProblem[];
    }
  | {
      readonly ok: false;
      /** Errors and warnings, in document order. */
      readonly problems: readonly InputProblem[];
    };

/** The JSON text of a value that is `********`: sent as is, nothing is hidden by masking it. */
const maskedJson = JSON.stringify(maskedValue);

/**
 * `inputs` with every sensitive or resolved value masked (all references are resolved by now), and the
 * inputs whose values that hides.
 */
function maskedText(
  inputs: string,
  entries: ReadonlyMap<string, string>,
  schema: DesktopFlowSchema,
  resolved: ReadonlySet<string>,
): { readonly maskedInputs: string; readonly maskedNames: readonly string[] } {
  const masked = new Map(entries);
  const maskedNames: string[] = [];
  for (const [name, json] of entries) {
    if (resolved.has(name) || findVariable(schema, name)?.sensitive === true) {
      masked.set(name, maskedJson);
      if (json !== maskedJson) {
        maskedNames.push(name);
      }
    }
  }
  // Joined again rather than sliced out of `inputs`: slicing would copy the whole text.
  return { maskedInputs: maskedNames.length === 0 ? inputs : joinEntries(masked), maskedNames };
}

function isError(p: ProblemDraft): boolean {
  return p.severity === 'error';
}

function referenceKey(found: FoundReference): string {
  return `${found.reference.kind}:${found.reference.name}`;
}

/** The outcome of looking one reference up. */
type Resolution =
  | { readonly kind: 'value'; readonly value: string }
  | { readonly kind: 'missing' }
  | { readonly kind: 'unavailable' }
  | { readonly kind: 'failed'; readonly reason: string };

async function resolve(
  found: FoundReference,
  resolver: SecretResolver | undefined,
  signal: AbortSignal,
  masker: SecretMasker,
): Promise<Resolution> {
  if (resolver === undefined) {
    return { kind: 'unavailable' };
  }
  let value: string | undefined;
  try {
    value = await resolver(found.reference.kind, found.reference.name, signal);
  } catch (e) {
    if (CancellationError.is(e)) {
      throw e;
    }
    throwIfAborted(signal);
    return { kind: 'failed', reason: e instanceof Error ? e.message : String(e) };
  }
  throwIfAborted(signal);
  if (value === undefined) {
    return { kind: 'missing' };
  }
  // Registered before anything else can log it.
  masker.add(value);
  return { kind: 'value', value };
}

function unresolvedFix(found: FoundReference): string {
  const { kind, name } = found.reference;
  return kind === 'env'
    ? `Set the environment variable ${name} before running, or use \${secret:NAME} instead.`
    : `Store a secret named "${name}" where this tool keeps secrets, then run again.`;
}

/**
 * Validate `text`, resolve its references and build the `inputs` string. Throws `CancellationError`
 * when `options.signal` aborts (including while a resolver runs); every other failure is a problem.
 */
export async function prepareRunInputs(
  text: string,
  schema: DesktopFlowSchema,
  options: PrepareRunInputsOptions,
): Promise<PreparedRunInputs> {
  const { signal, resolver, logger } = options;
  const masker = options.masker ?? defaultMasker;
  throwIfAborted(signal);
  const analysis = analyzeInputFile(text, schema, options);
  const drafts = analysis.problems;
  const { values, entries: fileEntries, bytes: fileBytes } = analysis;
  const fail = (): PreparedRunInputs => ({ ok: false, problems: locateProblems(text, drafts) });
  if (values === undefined || fileEntries === undefined || fileBytes === undefined || drafts.some(isError)) {
    return fail();
  }

  // Literal sensitive values (already warned about) must be masked from here on, like resolved ones.
  for (const variable of schema.variables) {
    if (
      variable.sensitive &&
      Object.hasOwn(values, variable.name) &&
      parseReference(values[variable.name]) === undefined
    ) {
      registerSensitiveValue(masker, values[variable.name]);
    }
  }

  const resolutions = new Map<string, Resolution>();
  for (const found of analysis.references) {
    const key = referenceKey(found);
    if (!resolutions.has(key)) {
      resolutions.set(key, await resolve(found, resolver, signal, masker));
    }
  }

  const entries = new Map(fileEntries);
  for (const found of analysis.references) {
    const resolution = resolutions.get(referenceKey(found)) ?? { kind: 'missing' };
    const { input, reference, span } = found;
    // Read only for a problem: placing it may take a pass over the text.
    const at = (): { path: string[]; offset: number; length: number } => ({
      path: [input.name],
      offset: span.offset,
      length: span.length,
    });
    switch (resolution.kind) {
      case 'unavailable':
      case 'missing':
      case 'failed':
        drafts.push({
          code: 'unresolvedReference',
          severity: 'error',
          message:
            resolution.kind === 'unavailable'
              ? `${reference.text} for "${input.name}" cannot be resolved here: no secret or environment lookup is available.`
              : resolution.kind === 'failed'
                ? `${reference.text} for "${input.name}" could not be looked up: ${masker.mask(resolution.reason)}`
                : `${reference.text} for "${input.name}" has no value.`,
          fix: unresolvedFix(found),
          ...at(),
        });
        break;
      case 'value': {
        const coerced = coerceToKind(resolution.value, input.kind);
        if (!coerced.ok) {
          // The message names the reference, never the value.
          drafts.push({
            code: 'referenceType',
            severity: 'error',
            message: `The value of ${reference.text} is not ${kindNoun(input.kind)}, which "${input.name}" needs.`,
            fix: `Store ${kindNoun(input.kind)} in ${reference.kind === 'env' ? 'the environment variable' : 'the secret'} "${reference.name}", e.g. ${exampleOf(input.kind)}.`,
            ...at(),
          });
          break;
        }
        registerSensitiveValue(masker, coerced.value);
        entries.set(input.name, JSON.stringify(coerced.value));
        break;
      }
    }
  }
  if (drafts.some(isError)) {
    return fail();
  }

  const inputs = joinEntries(entries);
  // The file's size, corrected for the entries whose references were replaced: the megabytes of the
  // other entries are not read again.
  let bytes = fileBytes;
  for (const [name, json] of entries) {
    const written = fileEntries.get(name);
    if (written !== json) {
      bytes += utf8Length(json) - utf8Length(written ?? '');
    }
  }
  const tooLarge = tooLargeProblem(analysis.document, entries, bytes, options.limitBytes);
  if (tooLarge !== undefined) {
    drafts.push(tooLarge);
    return fail();
  }
  const names = [...new Set(analysis.references.map((f) => f.reference.text))];
  logger?.debug(
    masker.mask(
      `[inputs] prepared ${entries.size} input(s), ${bytes} bytes` +
        (names.length > 0 ? `; resolved ${names.join(', ')}` : ''),
    ),
  );
  return {
    ok: true,
    inputs,
    ...maskedText(inputs, entries, schema, new Set(analysis.references.map((f) => f.input.name))),
    bytes,
    warnings: locateProblems(text, drafts),
  };
}
