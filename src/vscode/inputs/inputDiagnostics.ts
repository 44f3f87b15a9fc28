import * as vscode from 'vscode';
import { analyzeInputFile, type FoundReference } from '../../core/inputs/inputFileAnalysis';
import { parseInputDocument } from '../../core/inputs/inputDocument';
import { hasErrors, type InputProblem, type InputProblemCode } from '../../core/inputs/inputProblem';
import { parseSchemaUri, type SchemaUriTarget } from '../../core/inputs/schemaUri';
import { locateProblems } from '../../core/inputs/textPositions';
import type { InputFileValidation } from '../../core/inputs/validateInputFile';
import { CancellationError } from '../../core/errors';
import type { Logger } from '../../core/logger';
import type { Environment } from '../../core/model/environment';
import type { ConfigurationService } from '../configuration';
import type { FlowSchemaResolution, FlowSchemaResolver, UnresolvedReason } from './flowSchemaResolver';
import { inputFileEncodingProblem, type InputFileEncodingProblem } from './inputFileEncoding';
import { inputFileSchemaUri, isInputFileDocument, schemaProbeChars } from './inputFileDetection';
import { coveredByJsonLanguageService, reportedByJsonLanguageService } from './jsonLanguageServiceCoverage';
import type { InputSecrets } from './inputSecrets';
import type { SchemaContentProvider } from './schemaContentProvider';
import { DisposableBase } from '../disposableBase';

/** The `source` of every diagnostic this extension publishes for input files. */
export const diagnosticSource = 'Desktop Flows';

/** Our own diagnostic codes, next to the core's `InputProblemCode`s. */
export type InputDiagnosticCode =
  InputProblemCode | `flow:${UnresolvedReason}` | 'secretNotSet' | 'envNotSet' | 'encoding';

/**
 * Documents that are views of something else (git history, diff previews, our own schemas, output): a
 * Problems entry for them would point at text nobody can fix there.
 */
const skippedSchemes = new Set([
  'desktopflows-schema',
  'output',
  'git',
  'gitfs',
  'vscode-bulkeditpreview',
  'vscode-scm',
]);

/** How long typing must pause before an open input file is checked again. */
const debounceMs = 300;

/** What checking one input file found. */
export interface InputFileCheck {
  readonly document: vscode.TextDocument;
  /** The `$schema` text, when it uses the `desktopflows-schema` scheme. */
  readonly schemaUri: string | undefined;
  readonly target: SchemaUriTarget | undefined;
  readonly resolution: FlowSchemaResolution | undefined;
  /** The core's verdict; `undefined` when the flow or its schema could not be found. */
  readonly validation: InputFileValidation | undefined;
  /** Every diagnostic published for the file (also those the JSON language service shows itself are counted in `validation`). */
  readonly diagnostics: readonly vscode.Diagnostic[];
  /** Set when the saved file's bytes are not valid UTF-8 and its text shows U+FFFD: a run refuses it. */
  readonly encoding?: InputFileEncodingProblem;
}

function unresolvedSeverity(reason: UnresolvedReason): vscode.DiagnosticSeverity {
  switch (reason) {
    case 'flowNotFound':
    case 'environmentNotFound':
      return vscode.DiagnosticSeverity.Error;
    case 'notSignedIn':
    case 'noDefaultEnvironment':
    case 'failed':
      return vscode.DiagnosticSeverity.Warning;
  }
}

/** The names an environment goes by, display name first (it is what messages show). */
export function environmentNames(environment: Environment, named?: string): string[] {
  return [environment.displayName, environment.id, environment.uniqueName, environment.orgUrl, named].filter(
    (n): n is string => n !== undefined && n !== '',
  );
}

interface DocumentState {
  timer?: NodeJS.Timeout;
  controller?: AbortController;
  /** Flow key of the last resolution (revalidated when that flow's schema changes). */
  key?: string;
  /** Whether the JSON language service covered the document when it was last checked. */
  covered?: boolean;
  /** Explicitly validated: keep the diagnostics when the document closes. */
  explicit?: boolean;
}

/**
 * Diagnostics for input files: what JSON Schema cannot express (size against the cloud's limit,
 * literal sensitive values, placeholders, malformed references, `$schema` problems, a flow that cannot
 * be found), checked live on every pause in typing; and, on Validate or before a run, everything the
 * core validator finds. Problems the JSON language service shows itself in an editor are left to it.
 */
export class InputDiagnostics extends DisposableBase {
  readonly collection: vscode.DiagnosticCollection;
  private readonly states = new Map<string, DocumentState>();

  constructor(
    private readonly resolver: FlowSchemaResolver,
    private readonly provider: SchemaContentProvider,
    private readonly secrets: InputSecrets,
    private readonly config: Pick<ConfigurationService, 'current' | 'onDidChange'>,
    private readonly log: Logger,
  ) {
    super();
    this.collection = vscode.languages.createDiagnosticCollection('desktopFlows.inputs');
    this.register(
      this.collection,
      vscode.workspace.onDidOpenTextDocument((d) => this.schedule(d, 0)),
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.contentChanges.length > 0) {
          this.schedule(e.document, debounceMs);
        }
      }),
      vscode.workspace.onDidCloseTextDocument((d) => this.closed(d)),
      vscode.window.tabGroups.onDidChangeTabs(() => this.coverageChanged()),
      resolver.onDidChangeSchema((change) => this.revalidate((state) => state.key === change.key)),
      resolver.onDidReset(() => this.revalidate(() => true)),
      secrets.onDidChange(() => this.revalidate(() => true)),
      config.onDidChange((e) => {
        if (e.affects('jsonValidate')) {
          this.revalidate(() => true);
        }
      }),
    );
    for (const document of vscode.workspace.textDocuments) {
      this.schedule(document, 0);
    }
  }

  /**
   * Checks a document now. `explicit` (Validate, a run) reports every problem the core finds, except
   * those the JSON language service shows in an open editor; `fresh` fetches the flow's schema again.
   */
  async check(
    document: vscode.TextDocument,
    options: { explicit: boolean; fresh: boolean; signal: AbortSignal },
  ): Promise<InputFileCheck> {
    const state = this.state(document);
    clearTimeout(state.timer);
    state.controller?.abort();
    if (options.explicit) {
      state.explicit = true;
    }
    const check = await this.run(document, options.fresh, options.signal);
    this.collection.set(document.uri, check.diagnostics);
    return check;
  }

  /**
   * Publishes problems found outside `check` (run preparation) for a document: the core's, filtered like
   * an explicit check.
   */
  publish(document: vscode.TextDocument, problems: readonly InputProblem[]): vscode.Diagnostic[] {
    const state = this.state(document);
    state.explicit = true;
    const covered = coveredByJsonLanguageService(document, this.config.current.jsonValidate);
    state.covered = covered;
    const diagnostics = problems
      .filter((p) => !covered || !reportedByJsonLanguageService(p, document.languageId))
      .map((p) => this.toDiagnostic(document, p));
    this.collection.set(document.uri, diagnostics);
    return diagnostics;
  }

  private state(document: vscode.TextDocument): DocumentState {
    const key = document.uri.toString();
    let state = this.states.get(key);
    if (!state) {
      state = {};
      this.states.set(key, state);
    }
    return state;
  }

  private schedule(document: vscode.TextDocument, delayMs: number): void {
    if (skippedSchemes.has(document.uri.scheme)) {
      return;
    }
    if (!isInputFileDocument(document)) {
      if (this.states.has(document.uri.toString())) {
        // No longer an input file ($schema removed): its diagnostics no longer apply.
        this.forget(document.uri);
      }
      return;
    }
    const state = this.state(document);
    clearTimeout(state.timer);
    state.timer = setTimeout(() => void this.live(document), delayMs);
  }

  private async live(document: vscode.TextDocument): Promise<void> {
    const state = this.state(document);
    state.controller?.abort();
    const controller = new AbortController();
    state.controller = controller;
    const version = document.version;
    try {
      const check = await this.run(document, false, controller.signal);
      if (!controller.signal.aborted && !document.isClosed && document.version === version) {
        this.collection.set(document.uri, check.diagnostics);
      }
    } catch (e) {
      if (!CancellationError.is(e)) {
        this.log.error(
          `[inputs] checking ${document.uri.fsPath || document.uri.toString()} failed: ${e instanceof Error ? e.message : String(e)}`,
        );
      }
    } finally {
      if (state.controller === controller) {
        state.controller = undefined;
      }
    }
  }

  private revalidate(matches: (state: DocumentState, document: vscode.TextDocument) => boolean): void {
    for (const document of vscode.workspace.textDocuments) {
      const state = this.states.get(document.uri.toString());
      if (state && matches(state, document)) {
        this.schedule(document, 0);
      }
    }
  }

  /** A tab opened or closed: what the JSON language service shows changed for that document. */
  private coverageChanged(): void {
    this.revalidate(
      (state, document) =>
        state.covered !== undefined &&
        state.covered !== coveredByJsonLanguageService(document, this.config.current.jsonValidate),
    );
  }

  private closed(document: vscode.TextDocument): void {
    const state = this.states.get(document.uri.toString());
    if (!state) {
      return;
    }
    clearTimeout(state.timer);
    state.controller?.abort();
    if (!state.explicit) {
      this.forget(document.uri);
    }
  }

  private forget(uri: vscode.Uri): void {
    const state = this.states.get(uri.toString());
    clearTimeout(state?.timer);
    state?.controller?.abort();
    this.states.delete(uri.toString());
    this.collection.delete(uri);
  }

  /**
   * Checks a document against its flow; a saved input file whose bytes are not valid UTF-8 (the text shows
   * U+FFFD, see `inputFileEncodingProblem`) also gets the error a run would refuse it with, at the
   * character of the first invalid byte.
   */
  private async run(
    document: vscode.TextDocument,
    fresh: boolean,
    signal: AbortSignal,
  ): Promise<InputFileCheck> {
    const check = await this.checkAgainstFlow(document, fresh, signal);
    if (check.schemaUri === undefined) {
      return check;
    }
    const encoding = await inputFileEncodingProblem(document, 'This file');
    if (encoding === undefined) {
      return check;
    }
    const { position } = encoding;
    const diagnostic = new vscode.Diagnostic(
      new vscode.Range(position, document.validatePosition(position.translate(0, 1))),
      `${encoding.error.message} ${encoding.error.fix} A run from it is refused.`,
      vscode.DiagnosticSeverity.Error,
    );
    diagnostic.source = diagnosticSource;
    diagnostic.code = 'encoding' satisfies InputDiagnosticCode;
    return { ...check, encoding, diagnostics: [diagnostic, ...check.diagnostics] };
  }

  private async checkAgainstFlow(
    document: vscode.TextDocument,
    fresh: boolean,
    signal: AbortSignal,
  ): Promise<InputFileCheck> {
    const state = this.state(document);
    const text = document.getText();
    // `$schema` is read from the file's start (as everywhere): the whole text is parsed once, by the
    // validator, and only when the flow is known.
    const head = text.length > schemaProbeChars ? text.slice(0, schemaProbeChars) : text;
    const schemaUri = inputFileSchemaUri(head);
    const base = { document, schemaUri, target: undefined, resolution: undefined, validation: undefined };
    if (schemaUri === undefined) {
      return { ...base, diagnostics: [] };
    }
    const schemaSpan = parseInputDocument(head).properties.get('$schema')?.value ?? { offset: 0, length: 0 };
    const atSchema = (
      message: string,
      severity: vscode.DiagnosticSeverity,
      code: InputDiagnosticCode,
    ): vscode.Diagnostic => this.diagnostic(document, schemaSpan, message, severity, code);

    const target = parseSchemaUri(schemaUri);
    if (target === undefined) {
      return {
        ...base,
        diagnostics: [
          atSchema(
            '"$schema" is not a well-formed desktopflows-schema URI, so this file cannot be checked against its flow. Write desktopflows-schema:/<flowId>.json, or desktopflows-schema:/<environment>/<flowId>.json.',
            vscode.DiagnosticSeverity.Warning,
            'schemaUri',
          ),
        ],
      };
    }
    const resolution = await this.resolver.resolve(target, signal, { fresh });
    state.key = resolution.kind === 'resolved' ? resolution.key : undefined;
    this.provider.reconcile(schemaUri, resolution.kind === 'resolved' ? resolution.key : '');
    if (resolution.kind === 'unresolved') {
      return {
        ...base,
        target,
        resolution,
        diagnostics: [
          atSchema(resolution.message, unresolvedSeverity(resolution.reason), `flow:${resolution.reason}`),
        ],
      };
    }

    // validateInputFile, keeping the analysis: its references (with their spans) are checked below.
    const analysis = analyzeInputFile(text, resolution.schema, {
      limitBytes: resolution.limitBytes,
      flowId: target.flowId,
      environment: environmentNames(resolution.environment, target.environment),
      ...(resolution.previousSchema ? { previousSchema: resolution.previousSchema } : {}),
    });
    const problems = locateProblems(text, analysis.problems);
    const validation: InputFileValidation = {
      problems,
      ok: !hasErrors(problems),
      values: analysis.values,
      schemaUri: analysis.schemaUri,
      bytes: analysis.bytes,
    };
    const covered = coveredByJsonLanguageService(document, this.config.current.jsonValidate);
    state.covered = covered;
    const diagnostics = problems
      .filter((p) => !covered || !reportedByJsonLanguageService(p, document.languageId))
      .map((p) => this.toDiagnostic(document, p));
    diagnostics.push(...this.referenceDiagnostics(document, analysis.references));
    return { ...base, target, resolution, validation, diagnostics };
  }

  /**
   * References that will not resolve when the flow runs (a secret never set in this VS Code, an
   * environment variable the extension host lacks). Only names are looked at, never values.
   */
  private referenceDiagnostics(
    document: vscode.TextDocument,
    references: readonly FoundReference[],
  ): vscode.Diagnostic[] {
    const diagnostics: vscode.Diagnostic[] = [];
    const stored = new Set(this.secrets.names());
    for (const { input, reference, span } of references) {
      if (reference.kind === 'secret' && !stored.has(reference.name)) {
        diagnostics.push(
          this.diagnostic(
            document,
            span,
            `No secret named "${reference.name}" is stored in VS Code, so "${input.name}" cannot be resolved when the flow runs. Run "Desktop Flows: Set Secret…" to store it.`,
            vscode.DiagnosticSeverity.Warning,
            'secretNotSet',
          ),
        );
      } else if (reference.kind === 'env' && process.env[reference.name] === undefined) {
        diagnostics.push(
          this.diagnostic(
            document,
            span,
            `The environment variable ${reference.name} is not set for VS Code, so "${input.name}" cannot be resolved when the flow runs. Set it before starting VS Code, or use \${secret:NAME}.`,
            vscode.DiagnosticSeverity.Warning,
            'envNotSet',
          ),
        );
      }
    }
    return diagnostics;
  }

  private toDiagnostic(document: vscode.TextDocument, problem: InputProblem): vscode.Diagnostic {
    return this.diagnostic(
      document,
      problem,
      `${problem.message} ${problem.fix}`,
      problem.severity === 'error' ? vscode.DiagnosticSeverity.Error : vscode.DiagnosticSeverity.Warning,
      problem.code,
    );
  }

  private diagnostic(
    document: vscode.TextDocument,
    span: { offset: number; length: number },
    message: string,
    severity: vscode.DiagnosticSeverity,
    code: InputDiagnosticCode,
  ): vscode.Diagnostic {
    const range = new vscode.Range(
      document.positionAt(span.offset),
      document.positionAt(span.offset + span.length),
    );
    const diagnostic = new vscode.Diagnostic(range, message, severity);
    diagnostic.source = diagnosticSource;
    diagnostic.code = code;
    return diagnostic;
  }

  override dispose(): void {
    for (const state of this.states.values()) {
      clearTimeout(state.timer);
      state.controller?.abort();
    }
    this.states.clear();
    super.dispose();
  }
}
