/**
 * The rendered run document: one webview panel per run, past or live. No scripts; the buttons are
 * `command:` links the panel allows by name (Copy as Markdown, Open in Power Automate, Why Is It Waiting?).
 * A live run's panel is read again when the run store reports a change of that run.
 */
import { randomBytes } from 'node:crypto';
import { runKey } from '../../core/runs/runKeys';
import * as vscode from 'vscode';
import { CancellationError } from '../../core/errors';
import type { Logger } from '../../core/logger';
import type { RunSubject } from '../../core/runs/runEvents';
import { commandIds } from '../commandIds';
import { runDocumentHtml, type DocumentButton } from './runDocumentHtml';
import { runDocumentModel, type RunDocumentModel } from './runDocumentModel';
import type { RunDocumentProvider } from './runDocuments';
import type { RunStore } from './runStore';
import { commandLink, plainSubject } from './runSubjects';

/** The panels' view type. */
export const runDocumentViewType = 'desktopFlows.runDocument';

const allowedCommands = [
  commandIds.copyRunAsMarkdown,
  commandIds.openRunInPortal,
  commandIds.whyWaiting,
  commandIds.showRunDetails,
];

interface OpenPanel {
  readonly panel: vscode.WebviewPanel;
  readonly subject: RunSubject;
  model: RunDocumentModel | undefined;
  loading: Promise<void> | undefined;
  again: boolean;
  abort: AbortController;
}

/** Opens and follows run documents. */
export class RunDocumentPanels implements vscode.Disposable {
  private readonly panels = new Map<string, OpenPanel>();
  private readonly subscription: { dispose(): void };

  constructor(
    private readonly documents: RunDocumentProvider,
    store: RunStore,
    private readonly log: Logger,
  ) {
    this.subscription = store.onDidChange((change) => {
      const run = change.run;
      if (run?.runId === undefined) {
        return;
      }
      const open = this.panels.get(runKey(run.environment.orgUrl, run.runId));
      if (
        open !== undefined &&
        (change.action.kind === 'stateChanged' ||
          change.action.kind === 'finished' ||
          change.action.kind === 'actionLog')
      ) {
        this.reload(open);
      }
    });
  }

  /** Opens (or reveals) the run's document and resolves once it shows the run as read now. */
  async show(subject: RunSubject): Promise<RunDocumentModel> {
    const key = runKey(subject.environment.orgUrl, subject.runId);
    let open = this.panels.get(key);
    if (open === undefined) {
      const panel = vscode.window.createWebviewPanel(
        runDocumentViewType,
        `${subject.flowName ?? 'Run'} · ${subject.runId.slice(0, 8)}`,
        { viewColumn: vscode.ViewColumn.Active, preserveFocus: false },
        { enableScripts: false, enableCommandUris: allowedCommands, localResourceRoots: [] },
      );
      open = {
        panel,
        subject: plainSubject(subject),
        model: undefined,
        loading: undefined,
        again: false,
        abort: new AbortController(),
      };
      const created = open;
      this.panels.set(key, created);
      panel.webview.html = this.placeholder(panel.webview, 'Reading the run…');
      panel.onDidDispose(() => {
        created.abort.abort(new CancellationError());
        this.panels.delete(key);
      });
    } else {
      open.panel.reveal(undefined, false);
    }
    await this.load(open);
    if (open.model === undefined) {
      throw new Error('The run could not be read.');
    }
    return open.model;
  }

  /** The open documents' runs (for the view's context and tests through the command results). */
  openRuns(): RunSubject[] {
    return [...this.panels.values()].map((p) => p.subject);
  }

  dispose(): void {
    this.subscription.dispose();
    for (const open of [...this.panels.values()]) {
      open.panel.dispose();
    }
    this.panels.clear();
  }

  private reload(open: OpenPanel): void {
    if (open.loading !== undefined) {
      open.again = true;
      return;
    }
    this.load(open).catch(() => undefined);
  }

  private load(open: OpenPanel): Promise<void> {
    if (open.loading !== undefined) {
      return open.loading;
    }
    const work = (async () => {
      do {
        open.again = false;
        const signal = AbortSignal.any([open.abort.signal, AbortSignal.timeout(120_000)]);
        try {
          const input = await this.documents.documentInput(open.subject, signal);
          const model = runDocumentModel(input);
          open.model = model;
          // The tab says where the run stands, so a live run's tab changes as it goes.
          open.panel.title = `${model.title.replace(/ — run /, ' · ')} · ${model.status}`;
          open.panel.webview.html = runDocumentHtml(model, {
            cspSource: open.panel.webview.cspSource,
            nonce: randomBytes(16).toString('base64'),
            buttons: this.buttons(open.subject, model),
          });
        } catch (e) {
          if (CancellationError.is(e) || open.abort.signal.aborted) {
            return;
          }
          const message = e instanceof Error ? e.message : String(e);
          this.log.warn(`[runs] the document of run ${open.subject.runId} could not be read: ${message}`);
          if (open.model === undefined) {
            open.panel.webview.html = this.placeholder(
              open.panel.webview,
              `The run could not be read: ${message}`,
            );
            throw e;
          }
        }
      } while (open.again);
    })();
    open.loading = work.finally(() => {
      open.loading = undefined;
    });
    return open.loading;
  }

  private buttons(subject: RunSubject, model: RunDocumentModel): DocumentButton[] {
    const plain = plainSubject(subject);
    return [
      { title: 'Copy as Markdown', href: commandLink(commandIds.copyRunAsMarkdown, plain) },
      ...(model.portalUrl === undefined
        ? []
        : [{ title: 'Open in Power Automate', href: commandLink(commandIds.openRunInPortal, plain) }]),
      ...(model.status === 'queued'
        ? [{ title: 'Why Is It Waiting?', href: commandLink(commandIds.whyWaiting, plain) }]
        : []),
      { title: 'Refresh', href: commandLink(commandIds.showRunDetails, plain) },
    ];
  }

  private placeholder(webview: vscode.Webview, text: string): string {
    const nonce = randomBytes(16).toString('base64');
    return `<!DOCTYPE html><html lang="en"><head><meta charset="UTF-8"><meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'nonce-${nonce}'; font-src ${webview.cspSource}"><style nonce="${nonce}">body{font-family:var(--vscode-font-family);color:var(--vscode-foreground);padding:20px}</style></head><body><p role="status">${text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)}</p></body></html>`;
  }
}
