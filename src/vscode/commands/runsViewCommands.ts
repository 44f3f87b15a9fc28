/**
 * The Runs view's commands (refresh, mine/all, status and environment filters, load more) and the run
 * document's (Copy as Markdown, Open in Power Automate). The view's commands resolve to the rows as shown
 * (label, description, tooltip, context value), which is also what tasks and tests read.
 */
import * as vscode from 'vscode';
import type { Logger } from '../../core/logger';
import type { RunStatusFilter } from '../../core/runs/runsFeed';
import type { RunSubject } from '../../core/runs/runEvents';
import { orgKey } from '../../core/runs/runKeys';
import { commandIds } from '../commandIds';
import { registerCommand, UserFacingError } from '../registerCommand';
import { runDetailsMarkdown } from '../runs/runDetailsMarkdown';
import { pickWindowRun } from '../runs/runPickers';
import type { Prompts } from '../prompts';
import type { RunsController } from '../runs/runsController';
import type { RunsView, RunsViewRow } from '../runs/runsView';
import { asRunSubject, plainSubject } from '../runs/runSubjects';

/** A row as the Runs view shows it. */
export interface RunsViewRowShown {
  readonly kind: RunsViewRow['kind'];
  readonly label: string;
  readonly description: string | undefined;
  readonly tooltip: string | undefined;
  readonly contextValue: string | undefined;
  readonly runId: string | undefined;
}

/** What the view's commands resolve to. */
export interface RunsViewShown {
  readonly description: string | undefined;
  readonly message: string | undefined;
  readonly rows: readonly RunsViewRowShown[];
}

async function shown(view: RunsView): Promise<RunsViewShown> {
  const rows = await view.ready();
  return {
    description: view.view.description,
    message: view.view.message,
    rows: rows.map((row) => {
      const item = view.getTreeItem(row);
      const tooltip = item.tooltip;
      return {
        kind: row.kind,
        label: typeof item.label === 'string' ? item.label : (item.label?.label ?? ''),
        description: typeof item.description === 'string' ? item.description : undefined,
        tooltip: tooltip === undefined ? undefined : typeof tooltip === 'string' ? tooltip : tooltip.value,
        contextValue: item.contextValue,
        runId: row.kind === 'run' ? row.subject.runId : undefined,
      };
    }),
  };
}

const statusChoices: readonly { label: string; value: RunStatusFilter; description?: string }[] = [
  { label: '$(list-flat) All statuses', value: 'all' },
  { label: '$(sync) Queued or running', value: 'active' },
  { label: '$(pass) Succeeded', value: 'succeeded' },
  { label: '$(error) Failed', value: 'failed', description: 'failed, faulted, timed out, aborted' },
  { label: '$(circle-slash) Cancelled', value: 'cancelled' },
];

const isStatusFilter = (v: unknown): v is RunStatusFilter =>
  typeof v === 'string' && statusChoices.some((c) => c.value === v);

/** Registers the Runs view and run document commands. */
export function registerRunsViewCommands(deps: {
  readonly log: Logger;
  readonly view: RunsView;
  readonly controller: RunsController;
  readonly prompts: Prompts;
}): vscode.Disposable[] {
  const { log, view, controller, prompts } = deps;

  const subjectOf = (arg: unknown, title: string): Promise<RunSubject> => {
    const subject = asRunSubject(arg);
    return subject !== undefined
      ? Promise.resolve(plainSubject(subject))
      : pickWindowRun(prompts, controller, (r) => r.runId !== undefined, title, 'No run in this window yet.');
  };

  return [
    registerCommand(commandIds.refreshRunsView, log, () => {
      view.refresh();
      return shown(view);
    }),
    registerCommand(commandIds.showMyRuns, log, async () => {
      await view.setFilter({ ...view.filter, mine: true });
      return shown(view);
    }),
    registerCommand(commandIds.showAllRuns, log, async () => {
      await view.setFilter({ ...view.filter, mine: false });
      return shown(view);
    }),
    registerCommand(commandIds.filterRunsByStatus, log, async (arg?: unknown) => {
      let status: RunStatusFilter;
      if (isStatusFilter(arg)) {
        status = arg;
      } else {
        const picked = await prompts.pick(
          statusChoices.map((c) => ({ ...c, picked: c.value === view.filter.status })),
          { title: 'Show runs with status…', placeHolder: 'The Runs view shows only runs with this status' },
        );
        status = picked.value;
      }
      await view.setFilter({ ...view.filter, status });
      return shown(view);
    }),
    registerCommand(commandIds.filterRunsByEnvironment, log, async (arg?: unknown) => {
      let environments: string[] | undefined;
      if (typeof arg === 'string' || Array.isArray(arg)) {
        environments = (Array.isArray(arg) ? arg : [arg]).filter((a): a is string => typeof a === 'string');
      } else {
        const all = await vscode.window.withProgress({ location: { viewId: 'desktopFlows.runs' } }, () =>
          view.environments(AbortSignal.timeout(60_000)),
        );
        if (all.length === 0) {
          throw new UserFacingError(
            'No signed-in account reaches an environment with Dataverse: sign in first.',
          );
        }
        const current = view.filter.environments?.map(orgKey);
        const picked = await prompts.pickMany(
          all.map((e) => ({
            label: e.displayName ?? e.orgUrl,
            description: e.orgUrl,
            orgUrl: e.orgUrl,
            picked: current === undefined || current.includes(orgKey(e.orgUrl)),
          })),
          { title: 'Show runs of these environments' },
          'Pick at least one environment (or Clear Filter to show every one).',
        );
        environments = picked.length === all.length ? undefined : picked.map((p) => p.orgUrl);
      }
      await view.setFilter({ ...view.filter, environments });
      return shown(view);
    }),
    registerCommand(commandIds.clearRunsFilter, log, async () => {
      await view.setFilter({ mine: false, status: 'all', environments: undefined });
      return shown(view);
    }),
    registerCommand(commandIds.loadMoreRuns, log, async () => {
      await vscode.window.withProgress({ location: { viewId: 'desktopFlows.runs' } }, () => view.loadMore());
      return shown(view);
    }),

    registerCommand(commandIds.copyRunAsMarkdown, log, async (arg?: unknown) => {
      const subject = await subjectOf(arg, 'Copy which run as Markdown?');
      const input = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Window, title: 'Reading the run…' },
        () => controller.documents.documentInput(subject, AbortSignal.timeout(120_000)),
      );
      const markdown = runDetailsMarkdown(input.details, input);
      await vscode.env.clipboard.writeText(markdown);
      void vscode.window.setStatusBarMessage(
        `$(check) Copied the run of "${input.flowName ?? 'the flow'}" as Markdown (inputs and outputs masked).`,
        5_000,
      );
      return markdown;
    }),
    registerCommand(commandIds.openRunInPortal, log, async (arg?: unknown) => {
      const subject = await subjectOf(arg, 'Open which run in Power Automate?');
      const signal = AbortSignal.timeout(60_000);
      const account = await controller.runAccounts.resolve(subject.environment.orgUrl, signal);
      let flowId = subject.flowId;
      if (flowId === '') {
        flowId =
          (await controller.runAccounts.backendFor(subject.environment).getRun(subject.runId, signal))
            .flowId ?? '';
      }
      if (flowId === '') {
        throw new UserFacingError(
          'The run does not say which flow it belongs to, so it cannot be opened in Power Automate.',
        );
      }
      // The run page's URL is unconfirmed (docs/service-contract.md#portal-deep-links): the flow's page lists its runs.
      const url = account.session.flowPortalUrl(subject.environment.id, flowId);
      await vscode.env.openExternal(vscode.Uri.parse(url));
      return url;
    }),
  ];
}
