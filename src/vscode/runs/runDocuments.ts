import { secretMasker } from '../../core/util/secretMasker';
import { runKey } from '../../core/runs/runKeys';
import * as vscode from 'vscode';
import type { RunService } from '../../core/runs/runService';
import type { RunSubject } from '../../core/runs/runEvents';
import { asRunSubject, plainSubject } from './runSubjects';
import type { FlowSchemaCache } from '../../core/inputs/flowSchemaCache';
import { flowSchemas, maskSensitive } from './sensitiveValues';
import type { RunAccounts } from './runAccounts';
import { runDetailsMarkdown } from './runDetailsMarkdown';
import { ProducedDocuments } from '../readOnlyDocuments';
import type { RunDocumentInput } from './runDocumentModel';

import { runDocumentScheme } from './runDocumentScheme';
import type { DesktopFlowConnection } from '../../core/model/connection';
import { orgKey } from '../../core/runs/runKeys';
import { raceAbort } from '../../core/util/abort';
import type { SignedInAccount } from '../accounts/signedInAccount';

export { runDocumentScheme };

export type RunDocumentKind = 'outputs' | 'details';

const maxCached = 50;
/** How long a run document reuses an environment's connection list (for display names). */
const connectionListMaxAgeMs = 5 * 60_000;

function safeSegment(text: string): string {
  return text.replace(/[\\/:*?"<>|#%\r\n]+/g, ' ').trim() || 'run';
}

/**
 * The URI of a run document. The path makes a readable tab title; the query carries the run (plain JSON), so
 * the document can be rebuilt after a reload without any other state.
 */
export function runDocumentUri(subject: RunSubject, kind: RunDocumentKind): vscode.Uri {
  const name = `${safeSegment(subject.flowName ?? 'Desktop flow')} · ${subject.runId.slice(0, 8)} · ${kind === 'outputs' ? 'outputs.json' : 'details.md'}`;
  return vscode.Uri.from({
    scheme: runDocumentScheme,
    path: `/${name}`,
    query: JSON.stringify({ kind, run: plainSubject(subject) }),
  });
}

/** What a run document URI names. */
export function parseRunDocumentUri(
  uri: vscode.Uri,
): { kind: RunDocumentKind; subject: RunSubject } | undefined {
  if (uri.scheme !== runDocumentScheme) {
    return undefined;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(uri.query);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) {
    return undefined;
  }
  const { kind, run } = parsed as { kind?: unknown; run?: unknown };
  const subject = asRunSubject(run);
  return (kind === 'outputs' || kind === 'details') && subject !== undefined ? { kind, subject } : undefined;
}

/**
 * Serves run outputs (JSON, sensitive outputs masked) and run details (markdown) as read-only documents, a
 * read-only file system (`ProducedDocuments`: the Markdown preview watches its document through one). A
 * document's text is read on its first read and kept while it is open. Outputs of a finished run never
 * change, so they are also kept after their document closes; details documents are read again when their
 * run changes state.
 */
export class RunDocumentProvider implements vscode.Disposable {
  private readonly cache = new Map<string, string>();
  private readonly openDetails = new Map<string, Set<string>>();
  private readonly connectionLists = new Map<
    string,
    { readonly at: number; readonly list: Promise<readonly DesktopFlowConnection[]> }
  >();
  private readonly files: ProducedDocuments;

  constructor(
    private readonly core: () => RunService,
    private readonly schemas: FlowSchemaCache,
    private readonly accounts: RunAccounts,
  ) {
    this.files = new ProducedDocuments(runDocumentScheme, (uri) => this.text(uri));
  }

  /** The text of the run document `uri`. */
  private async text(uri: vscode.Uri): Promise<string> {
    const parsed = parseRunDocumentUri(uri);
    if (parsed === undefined) {
      return `This is not a run document: ${uri.toString()}`;
    }
    const signal = AbortSignal.timeout(120_000);
    const key = uri.toString();
    if (parsed.kind === 'outputs') {
      const cached = this.cache.get(key);
      if (cached !== undefined) {
        return cached;
      }
      const text = `${JSON.stringify(await this.outputs(parsed.subject, signal), null, 2)}\n`;
      this.keep(key, text);
      return text;
    }
    const runKeyText = runKey(parsed.subject.environment.orgUrl, parsed.subject.runId);
    let uris = this.openDetails.get(runKeyText);
    if (uris === undefined) {
      uris = new Set();
      this.openDetails.set(runKeyText, uris);
    }
    uris.add(key);
    return this.details(parsed.subject, signal);
  }

  /** The masked outputs of a run (`{}` when it has none). */
  async outputs(subject: RunSubject, signal: AbortSignal): Promise<Record<string, unknown>> {
    const outputs = (await this.core().outputs(subject.environment, subject.runId, signal)) ?? {};
    const schema = await flowSchemas(this.schemas, subject.environment.orgUrl, subject.flowId, signal).catch(
      () => undefined,
    );
    // Resolved secrets the flow echoes in outputs it does not mark as sensitive are masked by value too.
    return secretMasker.maskValue(maskSensitive(outputs, schema?.outputs));
  }

  /** A run changed: details documents showing it are read again (their editors and previews refresh). */
  runChanged(orgUrl: string, runId: string): void {
    for (const uri of this.openDetails.get(runKey(orgUrl, runId)) ?? []) {
      this.files.refresh(vscode.Uri.parse(uri));
    }
  }

  /** Forget documents that were closed. */
  documentClosed(uri: vscode.Uri): void {
    const parsed = parseRunDocumentUri(uri);
    if (parsed === undefined) {
      return;
    }
    this.files.forget(uri);
    if (parsed.kind === 'details') {
      const runKeyText = runKey(parsed.subject.environment.orgUrl, parsed.subject.runId);
      const uris = this.openDetails.get(runKeyText);
      uris?.delete(uri.toString());
      if (uris?.size === 0) {
        this.openDetails.delete(runKeyText);
      }
    }
  }

  dispose(): void {
    this.files.dispose();
  }

  private async details(subject: RunSubject, signal: AbortSignal): Promise<string> {
    const input = await this.documentInput(subject, signal);
    return runDetailsMarkdown(input.details, input);
  }

  /**
   * Everything a run document shows, read now: the run's details (inputs and outputs masked by the flow's
   * schema), its V1 action log and V2 flow logs, and the Power Automate link. Shared by the rendered panel,
   * "Copy as Markdown" and the Markdown document.
   */
  async documentInput(subject: RunSubject, signal: AbortSignal): Promise<RunDocumentInput> {
    const schema = await flowSchemas(this.schemas, subject.environment.orgUrl, subject.flowId, signal).catch(
      () => undefined,
    );
    const details = await this.core().details(
      subject.environment,
      subject.runId,
      {
        maskInputs: (v) => maskSensitive(v, schema?.inputs),
        maskOutputs: (v) => maskSensitive(v, schema?.outputs),
      },
      signal,
    );
    const flowId = details.run.flowId ?? subject.flowId;
    let portalUrl: string | undefined;
    let account: SignedInAccount | undefined;
    try {
      account = await this.accounts.resolve(subject.environment.orgUrl, signal);
      portalUrl = flowId ? account.session.flowPortalUrl(subject.environment.id, flowId) : undefined;
    } catch {
      portalUrl = undefined;
    }
    const backend = this.accounts.backendFor(subject.environment);
    const [actions, flowLogs, connectionDisplayName] = await Promise.all([
      backend.getActionLog(subject.runId, signal).then(
        (list) => ({ list, error: undefined as unknown }),
        (error: unknown) => ({ list: undefined, error }),
      ),
      (backend.getFlowLogs?.(subject.runId, signal) ?? Promise.resolve([])).catch(() => []),
      account === undefined
        ? undefined
        : this.connectionDisplayName(account, subject.environment, details.run.connectionId, signal),
    ]);
    const sensitiveNames = [...(schema?.inputs.variables ?? []), ...(schema?.outputs.variables ?? [])]
      .filter((v) => v.sensitive)
      .map((v) => v.name);
    return {
      details,
      flowName: subject.flowName ?? details.run.flowName,
      portalUrl,
      schemaKnown: schema !== undefined,
      sensitiveNames,
      ...(actions.list === undefined ? { actionsError: actions.error } : { actions: actions.list }),
      flowLogs,
      ...(details.run.createdByName === undefined ? {} : { startedBy: details.run.createdByName }),
      ...(connectionDisplayName === undefined ? {} : { connectionDisplayName }),
      readAt: Date.now(),
    };
  }

  /**
   * The display name of a run's connection (`connectionid` is the connection's name), read from the list
   * the connection picker reads (`listDesktopFlowConnections`). The list is kept a few minutes per
   * environment, so a live document read again at each state change does not read it again; `undefined`
   * when the connection is not in it (deleted, or shared with someone else) or it cannot be read.
   */
  private async connectionDisplayName(
    account: SignedInAccount,
    environment: RunSubject['environment'],
    connectionId: string | undefined,
    signal: AbortSignal,
  ): Promise<string | undefined> {
    if (connectionId === undefined || connectionId === '') {
      return undefined;
    }
    const key = orgKey(environment.orgUrl);
    let cached = this.connectionLists.get(key);
    if (cached === undefined || Date.now() - cached.at > connectionListMaxAgeMs) {
      // Shared by the documents that ask meanwhile, so no one document's closing cancels it.
      const list = account.session.connections.listDesktopFlowConnections(
        environment.id,
        AbortSignal.timeout(60_000),
      );
      cached = { at: Date.now(), list };
      this.connectionLists.set(key, cached);
      const entry = cached;
      list.catch(() => {
        if (this.connectionLists.get(key) === entry) {
          this.connectionLists.delete(key);
        }
      });
    }
    try {
      const connections = await raceAbort(cached.list, signal);
      const wanted = connectionId.toLowerCase();
      return connections.find((c) => c.name.toLowerCase() === wanted || c.id?.toLowerCase() === wanted)
        ?.displayName;
    } catch {
      return undefined;
    }
  }

  private keep(key: string, text: string): void {
    this.cache.set(key, text);
    if (this.cache.size > maxCached) {
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) {
        this.cache.delete(oldest);
      }
    }
  }
}
