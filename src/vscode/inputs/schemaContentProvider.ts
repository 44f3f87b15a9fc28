import * as vscode from 'vscode';
import { registerContentProvider } from '../onFirstUse';
import { toEditorJsonSchema } from '../../core/inputs/editorJsonSchema';
import { jsonSchemaDraft } from '../../core/inputs/flowJsonSchema';
import { parseSchemaUri, schemaUriScheme } from '../../core/inputs/schemaUri';
import { CancellationError } from '../../core/errors';
import type { Logger } from '../../core/logger';
import type { FlowSchemaResolver } from './flowSchemaResolver';
import { DisposableBase } from '../disposableBase';

/**
 * Serves `desktopflows-schema:` URIs as JSON Schema documents. VS Code's JSON language service asks the
 * extension host for schemas of schemes it does not know (`workspace.openTextDocument`), which lands
 * here, so input files get completion and hover from VS Code itself. What is served is a guide without
 * constraints (`toEditorJsonSchema`): the input diagnostics report every problem, once, as an error when
 * it blocks a run; the JSON language service would repeat each one as a warning.
 *
 * When the flow cannot be found (signed out, no default environment, unknown flow) a permissive schema is
 * served: the JSON language service would otherwise put a bare "unable to load schema" on the `$schema`
 * line, while the input diagnostics say there what to do.
 */
export class SchemaContentProvider extends DisposableBase implements vscode.TextDocumentContentProvider {
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  /** Every URI served, with the flow key it resolved to ('' when it did not resolve). */
  private readonly served = new Map<string, { uri: vscode.Uri; key: string }>();

  constructor(
    private readonly resolver: FlowSchemaResolver,
    private readonly log: Logger,
  ) {
    super();
    this.register(
      this.changed,
      registerContentProvider(schemaUriScheme, this),
      resolver.onDidChangeSchema((change) => this.refresh((key) => key === change.key)),
      // Signing in, out, or changing the default environment can change what any URI means.
      resolver.onDidReset(() => this.refresh(() => true)),
      // A closed schema document is fetched afresh when next needed; a change event for it is noise.
      vscode.workspace.onDidCloseTextDocument((d) => {
        if (d.uri.scheme === schemaUriScheme) {
          this.served.delete(d.uri.toString());
        }
      }),
    );
  }

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const text = uri.toString();
    const target = parseSchemaUri(text);
    if (target === undefined) {
      this.served.set(text, { uri, key: '' });
      return permissive(
        'Not a well-formed desktop flow schema URI: use desktopflows-schema:/<flowId>.json or desktopflows-schema:/<environment>/<flowId>.json.',
      );
    }
    try {
      // Not the request's token: what is served here stays until the next change event, so a load is
      // finished even when the first asker loses interest.
      const resolution = await this.resolver.resolve(target, AbortSignal.timeout(loadTimeoutMs));
      if (resolution.kind === 'unresolved') {
        this.served.set(text, { uri, key: '' });
        this.log.debug(`[inputs] schema ${text} not resolved: ${resolution.reason}`);
        return permissive(resolution.message);
      }
      this.served.set(text, { uri, key: resolution.key });
      const flow = resolution.flow;
      const description = [
        `Inputs of the desktop flow "${flow.name}" in ${resolution.environment.displayName}${resolution.viaDefault ? ' (the workspace default environment)' : ''}.`,
        flow.description,
      ]
        .filter(Boolean)
        .join(' ');
      const schema = toEditorJsonSchema(resolution.schema, { id: text, title: flow.name, description });
      this.log.debug(`[inputs] served ${text} (${resolution.schema.variables.length} inputs)`);
      return JSON.stringify(schema, undefined, 2);
    } catch (e) {
      if (CancellationError.is(e)) {
        this.served.set(text, { uri, key: '' });
        return permissive('Loading the flow took too long; edit the file to try again.');
      }
      throw e;
    }
  }

  /**
   * Called when a document's `$schema` was just resolved: if what was served for it is out of date (a
   * permissive schema served before signing in, or a flow that now resolves elsewhere), VS Code fetches
   * it again.
   */
  reconcile(schemaUri: string, key: string): void {
    let normalized: string;
    try {
      normalized = vscode.Uri.parse(schemaUri, true).toString();
    } catch {
      return;
    }
    const entry = this.served.get(normalized);
    const open = vscode.workspace.textDocuments.some((d) => d.uri.toString() === normalized);
    if (entry !== undefined && entry.key !== key && open) {
      entry.key = key;
      this.changed.fire(entry.uri);
    }
  }

  /** URIs served so far (for tests and diagnostics). */
  get servedUris(): readonly vscode.Uri[] {
    return [...this.served.values()].map((s) => s.uri);
  }

  /** Makes VS Code fetch the matching URIs again (it re-validates the documents that use them). */
  private refresh(matches: (key: string) => boolean): void {
    const open = new Set(vscode.workspace.textDocuments.map((d) => d.uri.toString()));
    for (const [text, { uri, key }] of this.served) {
      if (!open.has(text)) {
        this.served.delete(text);
      } else if (matches(key)) {
        this.changed.fire(uri);
      }
    }
  }
}

const loadTimeoutMs = 120_000;

/** A schema that accepts anything, explaining why nothing more is known (the diagnostics say what to do). */
function permissive(reason: string): string {
  return JSON.stringify({ $schema: jsonSchemaDraft, description: reason }, undefined, 2);
}
