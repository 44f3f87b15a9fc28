/**
 * The checks behind `validateInputFile` and `prepareRunInputs`: one parse of the text, one ajv run
 * against the flow's compiled JSON Schema, then the checks JSON Schema cannot express (placeholders,
 * references, `$schema`, the byte limit). Problems stay drafts (no line/column) so that trigger-time
 * checks can add theirs before positions are computed once.
 */
import type { ErrorObject } from 'ajv';
import { findNodeAtLocation, parseTree } from 'jsonc-parser';
import type { DesktopFlowSchema, FlowVariable, VariableKind } from './desktopFlowSchema';
import { findVariable, kindLabel, kindNoun } from './desktopFlowSchema';
import { compareSchemas, type SchemaComparison } from './compareSchemas';
import { defaultMaxDepth, parseInputDocument, type InputDocument, type TextSpan } from './inputDocument';
import type { JsonPath, ProblemDraft } from './inputProblem';
import { isPlaceholder } from './inputPlaceholders';
import { closestName } from './nameSimilarity';
import { formatSchemaUri, hasSchemaUriScheme, parseSchemaUri, type SchemaUriTarget } from './schemaUri';
import { checkAgainstSchema } from './schemaValidatorCache';
import {
  joinedBytes,
  minifiedJsonBytes,
  serializeEntries,
  utf8ExtraOfJsonText,
  utf8Length,
  type SerializedEntries,
} from './serializedInputs';
import {
  looksLikeKnownReference,
  looksLikeReference,
  parseReference,
  type SecretReference,
} from './secretReference';
import { describeValue, exampleOf } from './variableValues';

/** Options shared by validation and run preparation. */
export interface ValidateInputOptions {
  /** The cloud's limit on the UTF-8 size of the serialized inputs (`CloudEndpoints.inputLimitBytes`). */
  readonly limitBytes: number;
  /** The flow being run: a `$schema` naming another flow is an error. */
  readonly flowId?: string;
  /** Names of the environment being run in (id and/or org unique name): another one is a warning. */
  readonly environment?: string | readonly string[];
  /** The schema the file was written against, when known: renamed/removed inputs are explained. */
  readonly previousSchema?: DesktopFlowSchema;
  /** Nesting limit; default 64. */
  readonly maxDepth?: number;
}

/** A reference found in an input. */
export interface FoundReference {
  readonly input: FlowVariable;
  readonly reference: SecretReference;
  /** Where the reference string is. */
  readonly span: TextSpan;
}

/** Everything the checks learned about a file. */
export interface InputFileAnalysis {
  readonly document: InputDocument;
  readonly problems: ProblemDraft[];
  /** The inputs without `$schema`; `undefined` when the file is unusable (syntax, depth, not an object). */
  readonly values: Record<string, unknown> | undefined;
  readonly schemaUri: SchemaUriTarget | undefined;
  readonly references: readonly FoundReference[];
  /** Each value of `values`, serialised (references unresolved). */
  readonly entries: SerializedEntries | undefined;
  /** UTF-8 size of `JSON.stringify(values)` (references unresolved). */
  readonly bytes: number | undefined;
}

/** Byte size as people read it: "2,097,152 bytes (2 MB)". */
export function formatBytes(bytes: number): string {
  const grouped = bytes.toLocaleString('en-US');
  if (bytes >= 1024 * 1024) {
    return `${grouped} bytes (${(bytes / (1024 * 1024)).toFixed(bytes % (1024 * 1024) === 0 ? 0 : 2)} MB)`;
  }
  return `${grouped} bytes`;
}

/** Stands in for an input of an unreadable schema: any type, treated as sensitive. */
function unknownInput(name: string): FlowVariable {
  return {
    name,
    kind: 'unknown',
    declaredType: undefined,
    title: undefined,
    description: undefined,
    hasDefault: false,
    default: undefined,
    sensitive: true,
    requirement: 'unknown',
  };
}

function valuePhrase(kind: VariableKind): string {
  return kind === 'unknown' ? 'a value' : `a ${kindLabel(kind)} value`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function environmentNames(option: string | readonly string[] | undefined): string[] {
  if (option === undefined) {
    return [];
  }
  return (typeof option === 'string' ? [option] : [...option]).filter((e) => e !== '');
}

function decodePointer(pointer: string): string[] {
  return pointer === ''
    ? []
    : pointer
        .slice(1)
        .split('/')
        .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/**
 * A span computed when first read. A class, not an object literal with getters: V8 gives each such literal
 * its own hidden class holding its getter closures, and those classes stay reachable until the next full
 * collection, so every analysed file (its text and parsed value) outlived the call and was copied by each
 * young-generation collection (on a 2 MB file, `prepareRunInputs` spent more time collecting than parsing).
 */
class LazySpan implements TextSpan {
  private span: TextSpan | undefined;

  constructor(private readonly compute: () => TextSpan) {}

  get offset(): number {
    this.span ??= this.compute();
    return this.span.offset;
  }

  get length(): number {
    this.span ??= this.compute();
    return this.span.length;
  }
}

function lazySpan(compute: () => TextSpan): TextSpan {
  return new LazySpan(compute);
}

/** Builds problems for one analysed file. */
class Checker {
  readonly problems: ProblemDraft[] = [];
  private readonly handled = new Set<string>();
  private comparison: SchemaComparison | undefined;

  constructor(
    private readonly text: string,
    private readonly document: InputDocument,
    private readonly schema: DesktopFlowSchema,
    private readonly options: ValidateInputOptions,
  ) {}

  // Spans are looked up only when read (a problem is placed): finding them may mean a pass over the text.
  private get rootSpan(): TextSpan {
    return lazySpan(() => {
      const root = this.document.root;
      return root === undefined ? { offset: 0, length: 0 } : { offset: root.offset, length: 1 };
    });
  }

  private valueSpan(name: string): TextSpan {
    return lazySpan(() => this.document.properties.get(name)?.value ?? this.rootSpan);
  }

  private keySpan(name: string): TextSpan {
    return lazySpan(() => this.document.properties.get(name)?.key ?? this.rootSpan);
  }

  /** Only for problems below the top level, which the flat schemas produce rarely: re-read the text. */
  private spanAt(path: JsonPath): TextSpan {
    const tree = parseTree(this.text, [], { allowTrailingComma: true, disallowComments: false });
    const node = tree === undefined ? undefined : findNodeAtLocation(tree, [...path]);
    return node === undefined ? this.rootSpan : { offset: node.offset, length: node.length };
  }

  private schemaChanges(): SchemaComparison | undefined {
    if (this.options.previousSchema !== undefined && this.comparison === undefined) {
      this.comparison = compareSchemas(this.options.previousSchema, this.schema);
    }
    return this.comparison;
  }

  /** Leave an input's schema errors unreported: another problem already explains its value. */
  markHandled(name: string): void {
    this.handled.add(name);
  }

  add(problem: Omit<ProblemDraft, 'offset' | 'length'>, span: TextSpan): void {
    this.problems.push({ ...problem, offset: span.offset, length: span.length });
  }

  checkSchemaUri(value: unknown): SchemaUriTarget | undefined {
    const span = this.valueSpan('$schema');
    const suggested =
      this.options.flowId === undefined
        ? 'desktopflows-schema:/<environment>/<flowId>.json'
        : formatSchemaUri({
            flowId: this.options.flowId,
            environment: environmentNames(this.options.environment)[0],
          });
    if (typeof value !== 'string') {
      this.add(
        {
          code: 'schemaUri',
          severity: 'error',
          message: `"$schema" must be text naming the flow, but it is ${describeValue(value)}.`,
          fix: `Set it to "${suggested}", or delete it.`,
          path: ['$schema'],
        },
        span,
      );
      return undefined;
    }
    const target = parseSchemaUri(value);
    if (target === undefined) {
      this.add(
        {
          code: 'schemaUri',
          severity: 'warning',
          message: hasSchemaUriScheme(value)
            ? `"$schema" is not a well-formed desktopflows-schema URI, so editors cannot check this file against its flow.`
            : `"$schema" does not name a desktop flow, so editors cannot check this file against its flow.`,
          fix: `Set it to "${suggested}".`,
          path: ['$schema'],
        },
        span,
      );
      return undefined;
    }
    const flowId = this.options.flowId;
    if (flowId !== undefined && target.flowId.toLowerCase() !== flowId.toLowerCase()) {
      this.add(
        {
          code: 'schemaMismatch',
          severity: 'error',
          message: `This file is for flow ${target.flowId}, not for the flow being run (${flowId}).`,
          fix: 'Pick the input file made for this flow, or change "$schema" if this file really is for it.',
          path: ['$schema'],
        },
        span,
      );
      return target;
    }
    const environments = environmentNames(this.options.environment);
    const environment = target.environment;
    if (
      environment !== undefined &&
      environments.length > 0 &&
      !environments.some((e) => e.toLowerCase() === environment.toLowerCase())
    ) {
      this.add(
        {
          code: 'schemaMismatch',
          severity: 'warning',
          message: `This file was made for environment "${environment}", but the flow is run in "${environments[0] ?? ''}".`,
          fix: 'Check that this is the intended environment; update "$schema" to silence this warning.',
          path: ['$schema'],
        },
        span,
      );
    }
    return target;
  }

  /** Placeholders and references: what JSON Schema cannot say. Returns references to resolve. */
  checkValues(values: Record<string, unknown>): FoundReference[] {
    const references: FoundReference[] = [];
    for (const [name, value] of Object.entries(values)) {
      const variable = findVariable(this.schema, name);
      if (variable === undefined) {
        const reference = parseReference(value);
        // The schema could not be read, so sensitivity is unknown: a reference is still a reference,
        // and sending `${secret:…}` literally would be wrong whatever the input is.
        if (!this.schema.complete && reference !== undefined) {
          references.push({ input: unknownInput(name), reference, span: this.valueSpan(name) });
        }
        continue;
      }
      const span = this.valueSpan(name);
      if (isPlaceholder(value)) {
        this.handled.add(name);
        this.add(
          {
            code: 'placeholder',
            severity: 'error',
            message: `"${name}" still holds the placeholder ${JSON.stringify(value)}.`,
            fix:
              variable.requirement === 'required' && !variable.hasDefault
                ? `Replace it with ${variable.sensitive ? 'a reference such as "${secret:NAME}"' : `${valuePhrase(variable.kind)}, e.g. ${exampleOf(variable.kind)}`}.`
                : `Replace it with ${variable.sensitive ? 'a reference such as "${secret:NAME}"' : `${valuePhrase(variable.kind)}`}, or delete the line to use the flow's default.`,
            path: [name],
          },
          span,
        );
        continue;
      }
      const reference = parseReference(value);
      if (reference !== undefined) {
        // Every input resolves references, sensitive or not (the docs' `"Notes": "${env:BUILD_ID}"`).
        references.push({ input: variable, reference, span });
      } else if (!variable.sensitive && looksLikeKnownReference(value)) {
        this.handled.add(name);
        this.add(
          {
            code: 'badReference',
            severity: 'error',
            message: `"${name}" holds ${JSON.stringify(value)}, which is not a valid reference.`,
            fix: 'Write ${env:NAME} or ${secret:NAME}, where NAME uses letters, digits, "_", "." or "-" and starts with a letter or "_".',
            path: [name],
          },
          span,
        );
      } else if (variable.sensitive) {
        if (looksLikeReference(value)) {
          this.handled.add(name);
          this.add(
            {
              code: 'badReference',
              severity: 'error',
              message: `"${name}" holds ${JSON.stringify(value)}, which is not a valid reference.`,
              fix: 'Write ${secret:NAME} or ${env:NAME}, where NAME uses letters, digits, "_", "." or "-" and starts with a letter or "_".',
              path: [name],
            },
            span,
          );
        } else if (value !== null) {
          this.add(
            {
              code: 'sensitiveLiteral',
              severity: 'warning',
              message: `"${name}" is sensitive, but this file holds its value.`,
              fix: `Store the value as a secret and write "\${secret:${name}}" (or "\${env:NAME}" for an environment variable) instead.`,
              path: [name],
            },
            span,
          );
        }
      }
    }
    return references;
  }

  private unknownInput(name: string): void {
    const changes = this.schemaChanges();
    const previous = this.options.previousSchema;
    if (changes !== undefined && previous !== undefined && findVariable(previous, name) !== undefined) {
      const renamed = changes.renamed.find((r) => r.from.name === name);
      this.add(
        {
          code: 'removedInput',
          severity: 'error',
          message:
            renamed === undefined
              ? `Input "${name}" no longer exists in the flow.`
              : `Input "${name}" no longer exists in the flow (renamed to "${renamed.to.name}"?).`,
          fix:
            renamed === undefined
              ? 'Delete the line.'
              : `Rename the property to "${renamed.to.name}" if it is the same input; otherwise delete the line.`,
          path: [name],
        },
        this.keySpan(name),
      );
      return;
    }
    const names = this.schema.variables.map((v) => v.name);
    const suggestion = closestName(name, names);
    const listed = names
      .slice(0, 10)
      .map((n) => `"${n}"`)
      .join(', ');
    this.add(
      {
        code: 'unknownInput',
        severity: 'error',
        message: `"${name}" is not an input of this flow.`,
        fix:
          suggestion !== undefined
            ? `Did you mean "${suggestion}"? Rename the property, or delete the line.`
            : names.length === 0
              ? 'This flow has no inputs: delete the line.'
              : `Delete the line, or use one of the flow's inputs: ${listed}${names.length > 10 ? ', …' : ''}.`,
        path: [name],
      },
      this.keySpan(name),
    );
  }

  private missingInput(variable: FlowVariable, values: Record<string, unknown>): void {
    const changes = this.schemaChanges();
    const renamedFrom = changes?.renamed.find(
      (r) => r.to.name === variable.name && Object.hasOwn(values, r.from.name),
    );
    const added = changes?.added.some((v) => v.name === variable.name) === true;
    const example = variable.sensitive ? '"${secret:NAME}"' : exampleOf(variable.kind);
    this.add(
      {
        code: 'required',
        severity: 'error',
        message:
          renamedFrom !== undefined
            ? `Required input "${variable.name}" is missing (renamed from "${renamedFrom.from.name}"?).`
            : added
              ? `Required input "${variable.name}" was added to the flow and is missing.`
              : `Required input "${variable.name}" is missing.`,
        fix: `Add "${variable.name}": ${example} (${kindNoun(variable.kind)}).`,
        path: [],
      },
      this.rootSpan,
    );
  }

  private wrongType(name: string, value: unknown, variable: FlowVariable | undefined): void {
    const kind = variable?.kind ?? 'unknown';
    const expected = kindLabel(kind);
    const noun = kindNoun(kind);
    const span = this.valueSpan(name);
    if (value === null) {
      const optional = variable !== undefined && (variable.requirement !== 'required' || variable.hasDefault);
      this.add(
        {
          code: 'null',
          severity: 'error',
          message: `"${name}" is null, but the flow expects ${noun}.`,
          fix: optional
            ? `Give it a ${expected} value, e.g. ${exampleOf(kind)}, or delete the line to use the flow's default.`
            : `Give it a ${expected} value, e.g. ${exampleOf(kind)}.`,
          path: [name],
        },
        span,
      );
      return;
    }
    const previous =
      this.options.previousSchema === undefined ? undefined : findVariable(this.options.previousSchema, name);
    const changed =
      previous !== undefined && variable !== undefined && previous.kind !== variable.kind
        ? ` (the flow changed it from ${kindLabel(previous.kind)} to ${expected})`
        : '';
    const hints: string[] = [];
    const fixes: Record<string, string> = {
      text: 'Put the value in double quotes.',
      number: 'Write a number without quotes, e.g. 42 or 3.5.',
      boolean: 'Write true or false, without quotes.',
      'custom object': 'Write a JSON object, e.g. { "name": "value" }.',
      list: 'Write a JSON list, e.g. ["a", "b"].',
      datatable: 'Write the rows as a JSON list of objects, e.g. [{ "Column1": "value" }].',
    };
    const sensitive = variable?.sensitive === true ? ' Or write a reference such as "${secret:NAME}".' : '';
    this.add(
      {
        code: 'type',
        severity: 'error',
        message: `"${name}" must be ${noun}${changed}, but it is ${describeValue(value)}.`,
        fix: `${fixes[expected] ?? `Give it a ${expected} value.`}${sensitive}${hints.length > 0 ? ` ${hints.join(' ')}` : ''}`,
        path: [name],
      },
      span,
    );
  }

  /** Map ajv's errors to problems: one per input, in words a flow maker uses. */
  checkSchema(values: Record<string, unknown>): void {
    const { errors } = checkAgainstSchema(this.schema, values);
    const reported = new Set<string>();
    for (const error of errors) {
      this.mapSchemaError(error, values, reported);
    }
    // Requirement unknown (the documented sample says nothing): a missing input without default is a
    // warning, never an error, since the flow may well accept its absence.
    for (const variable of this.schema.variables) {
      if (
        variable.requirement === 'unknown' &&
        !variable.hasDefault &&
        !Object.hasOwn(values, variable.name)
      ) {
        this.add(
          {
            code: 'required',
            severity: 'warning',
            message: `"${variable.name}" is not set, and the flow's schema does not say whether it is optional.`,
            fix: `Add "${variable.name}": ${variable.sensitive ? '"${secret:NAME}"' : exampleOf(variable.kind)} if the flow needs it.`,
            path: [],
          },
          this.rootSpan,
        );
      }
    }
  }

  private mapSchemaError(error: ErrorObject, values: Record<string, unknown>, reported: Set<string>): void {
    const path = decodePointer(error.instancePath);
    if (path.length === 0) {
      if (error.keyword === 'additionalProperties') {
        const name = (error.params as { additionalProperty: string }).additionalProperty;
        this.unknownInput(name);
      } else if (error.keyword === 'required') {
        const name = (error.params as { missingProperty: string }).missingProperty;
        const variable = findVariable(this.schema, name);
        if (variable !== undefined) {
          this.missingInput(variable, values);
        }
      }
      return;
    }
    const [name] = path;
    if (
      name === undefined ||
      name === '$schema' ||
      this.handled.has(name) ||
      reported.has(error.instancePath)
    ) {
      return;
    }
    reported.add(error.instancePath);
    if (path.length === 1) {
      this.wrongType(name, values[name], findVariable(this.schema, name));
      return;
    }
    // The generated schemas constrain only top-level values; a deeper error means a richer schema.
    this.add(
      {
        code: 'type',
        severity: 'error',
        message: `The value at ${path.join('.')} ${error.message ?? 'is not valid'}.`,
        fix: "Change the value to match the flow's schema.",
        path,
      },
      this.spanAt(path),
    );
  }

  checkSize(entries: () => SerializedEntries, bytes: number): void {
    if (bytes <= this.options.limitBytes) {
      return;
    }
    const problem = tooLargeProblem(this.document, entries(), bytes, this.options.limitBytes);
    if (problem !== undefined) {
      this.problems.push(problem);
    }
  }
}

/**
 * The `tooLarge` problem when `bytes` (the UTF-8 size of the joined `entries`) exceeds the limit; it
 * points at the largest input, the one most worth shrinking.
 */
export function tooLargeProblem(
  document: InputDocument,
  entries: SerializedEntries,
  bytes: number,
  limitBytes: number,
): ProblemDraft | undefined {
  if (bytes <= limitBytes) {
    return undefined;
  }
  let largest: { name: string; bytes: number } | undefined;
  for (const [name, json] of entries) {
    const size = utf8Bytes(json);
    if (largest === undefined || size > largest.bytes) {
      largest = { name, bytes: size };
    }
  }
  const key = largest === undefined ? undefined : document.properties.get(largest.name)?.key;
  const span =
    key ??
    (document.root === undefined ? { offset: 0, length: 0 } : { offset: document.root.offset, length: 1 });
  return {
    code: 'tooLarge',
    severity: 'error',
    message: `The inputs take ${formatBytes(bytes)} when sent, over this environment's limit of ${formatBytes(limitBytes)}${
      largest === undefined ? '' : `; the largest is "${largest.name}" (${formatBytes(largest.bytes)})`
    }.`,
    fix: `Remove ${formatBytes(bytes - limitBytes)} or more: pass large data through a file or a store the flow reads, rather than as an input.`,
    path: largest === undefined ? [] : [largest.name],
    offset: span.offset,
    length: span.length,
  };
}

/** UTF-8 size of a string. */
export function utf8Bytes(text: string): number {
  return utf8Length(text);
}

/**
 * For plain JSON text: how many more UTF-8 bytes than UTF-16 units the serialised inputs take (the
 * text's strings, less those of `$schema`), or `undefined` when the text cannot tell.
 */
function valuesUtf8Extra(text: string, root: Record<string, unknown>): number | undefined {
  const extra = utf8ExtraOfJsonText(text);
  if (extra === undefined || !Object.hasOwn(root, '$schema')) {
    return extra;
  }
  const schemaJson = JSON.stringify(root.$schema);
  return extra - (utf8Length(schemaJson) - schemaJson.length);
}

/** Run every check on an input file's text. Problems are drafts: see `locateProblems`. */
export function analyzeInputFile(
  text: string,
  schema: DesktopFlowSchema,
  options: ValidateInputOptions,
): InputFileAnalysis {
  const document = parseInputDocument(text, options.maxDepth ?? defaultMaxDepth);
  const checker = new Checker(text, document, schema, options);
  checker.problems.push(...document.problems);
  for (const problem of document.problems) {
    const [name] = problem.path;
    // 1e400 parses to Infinity, which is no JSON number either: one problem is enough.
    if (problem.code === 'hugeNumber' && problem.path.length === 1 && typeof name === 'string') {
      checker.markHandled(name);
    }
  }
  const unusable = {
    document,
    problems: checker.problems,
    values: undefined,
    schemaUri: undefined,
    references: [],
    entries: undefined,
    bytes: undefined,
  };
  if (document.broken) {
    return unusable;
  }
  const root = document.value;
  if (!isRecord(root)) {
    checker.add(
      {
        code: 'notObject',
        severity: 'error',
        message: `The file must be a JSON object of input values, but it is ${describeValue(root)}.`,
        fix: 'Wrap the values in an object keyed by input name, e.g. { "Amount": 42 }.',
        path: [],
      },
      document.root ?? { offset: 0, length: 0 },
    );
    return unusable;
  }

  const values: Record<string, unknown> = { ...root };
  let schemaUri: SchemaUriTarget | undefined;
  if (Object.hasOwn(values, '$schema')) {
    schemaUri = checker.checkSchemaUri(values.$schema);
    delete values.$schema;
  }
  const references = checker.checkValues(values);
  checker.checkSchema(values);
  // Serialising megabytes (and collecting the garbage) is the costliest step, so a value JSON.parse read
  // (plain JSON, or JSONC once blanked) has its size counted from the parse and the text; the entries are
  // serialised only when read (the request is built, or the file is too large and the largest input is
  // named).
  let entries: SerializedEntries | undefined;
  const entriesOf = (): SerializedEntries => (entries ??= serializeEntries(values));
  const counted = document.json === undefined ? undefined : valuesBytesOfText(document.json, root);
  const bytes =
    counted ??
    joinedBytes(entriesOf(), document.plainJson === true ? valuesUtf8Extra(text, root) : undefined);
  checker.checkSize(entriesOf, bytes);
  return new UsableAnalysis(document, checker.problems, values, schemaUri, references, bytes, entriesOf);
}

/** The analysis of a file whose values can be checked; its entries are serialised when first read. */
class UsableAnalysis implements InputFileAnalysis {
  // A class for the same reason as `LazySpan`: a literal's getter would keep the file alive.
  constructor(
    readonly document: InputDocument,
    readonly problems: ProblemDraft[],
    readonly values: Record<string, unknown>,
    readonly schemaUri: SchemaUriTarget | undefined,
    readonly references: readonly FoundReference[],
    readonly bytes: number,
    private readonly entriesOf: () => SerializedEntries,
  ) {}

  get entries(): SerializedEntries {
    return this.entriesOf();
  }
}

/**
 * For a value `JSON.parse` read: the UTF-8 size of `JSON.stringify` of the inputs (the root object without
 * `$schema`), counted from the parse and the text it read (see `minifiedJsonBytes`), or `undefined` when
 * the count cannot be sure.
 */
function valuesBytesOfText(
  json: NonNullable<InputDocument['json']>,
  root: Record<string, unknown>,
): number | undefined {
  const all = minifiedJsonBytes(json.text, json.unescapedLength);
  if (all === undefined || !Object.hasOwn(root, '$schema')) {
    return all;
  }
  // `"$schema":` and its value, and the comma that joined it to another entry.
  const entry = utf8Length(JSON.stringify('$schema')) + 1 + utf8Length(JSON.stringify(root.$schema));
  return all - entry - (Object.keys(root).length > 1 ? 1 : 0);
}
