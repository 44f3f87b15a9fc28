import * as vscode from 'vscode';
import type { RunSubject } from '../../core/runs/runEvents';
import { describeStatus, formatDuration } from '../../core/runs/runTranscript';
import type { Environment } from '../../core/model/environment';
import type { DesktopFlow } from '../../core/model/flow';
import type { AccountService } from '../accounts/accountService';
import type { SignedInAccount } from '../accounts/signedInAccount';
import { commandIds } from '../commandIds';
import type { Prompts } from '../prompts';
import { UserFacingError } from '../registerCommand';
import { storeSubject, type StoreRun } from './runStore';
import type { RunsController } from './runsController';
import { phaseText } from './runStatusBar';
import { flowLabel, formatElapsed } from './runSubjects';

type RunItem = vscode.QuickPickItem & { subject: RunSubject };

function boardItem(run: StoreRun, now: number): RunItem | undefined {
  const subject = storeSubject(run);
  if (subject === undefined) {
    return undefined;
  }
  const { icon, words } = phaseText(run);
  const time =
    run.phase === 'finished'
      ? run.durationMs === undefined
        ? undefined
        : formatElapsed(run.durationMs)
      : formatElapsed(run.elapsedBaseMs + now - run.elapsedSince);
  return {
    label: `${icon} ${flowLabel(run)}`,
    description: [words, time, run.machine].filter((p) => p !== undefined).join(' · '),
    detail: `${run.environment.displayName ?? run.environment.orgUrl} · run ${subject.runId}`,
    subject,
  };
}

/**
 * Picks one of this window's runs (active first, then finished, newest first) matching `filter`.
 * Throws `UserFacingError` with `emptyMessage` when there is none; Escape → CancellationError.
 */
export async function pickWindowRun(
  prompts: Prompts,
  controller: RunsController,
  filter: (run: StoreRun) => boolean,
  title: string,
  emptyMessage: string,
): Promise<RunSubject> {
  const now = Date.now();
  const items = [...controller.store.active(), ...controller.store.finished()]
    .filter(filter)
    .map((r) => boardItem(r, now))
    .filter((i): i is RunItem => i !== undefined);
  if (items.length === 0) {
    throw new UserFacingError(emptyMessage);
  }
  return (await prompts.pick(items, { title, matchOnDescription: true, matchOnDetail: true })).subject;
}

/** Picks another succeeded run of the same flow from its recent history (to compare outputs with). */
export async function pickOtherRunOfFlow(
  prompts: Prompts,
  controller: RunsController,
  first: RunSubject,
): Promise<RunSubject> {
  const controllerAbort = new AbortController();
  const items = controller
    .history(first.environment, first.flowId, { pageSize: 50 }, controllerAbort.signal)
    .then((page) =>
      page.entries
        .filter((e) => e.run.id.toLowerCase() !== first.runId.toLowerCase() && e.run.status === 'succeeded')
        .map((e): RunItem => ({
          label: e.createdOn === undefined ? e.run.id : new Date(e.createdOn).toLocaleString(),
          description: [
            describeStatus(e.run.status),
            e.runTimeMs === undefined ? undefined : formatDuration(e.runTimeMs),
            e.run.machineName,
          ]
            .filter((p) => p !== undefined)
            .join(' · '),
          detail: `run ${e.run.id}`,
          subject: { ...first, runId: e.run.id },
        })),
    );
  try {
    const list = await items;
    if (list.length === 0) {
      throw new UserFacingError(`"${flowLabel(first)}" has no other succeeded run to compare with.`);
    }
    const picked = await prompts.pick(list, {
      title: `Compare the outputs of "${flowLabel(first)}" run ${first.runId.slice(0, 8)} with…`,
      matchOnDescription: true,
    });
    return picked.subject;
  } finally {
    controllerAbort.abort();
  }
}

/** An environment and the account that reaches it. */
export interface RunEnvironmentChoice {
  readonly account: SignedInAccount;
  readonly environment: Environment;
}

/**
 * The environment of a run, asked only when the workspace has no default (or the maker chose "Change
 * environment…"): every environment of every signed-in account, the current one first.
 */
export async function pickRunEnvironment(
  prompts: Prompts,
  accounts: AccountService,
  currentId: string | undefined,
  title: string,
  signal: AbortSignal,
): Promise<RunEnvironmentChoice> {
  if (accounts.accounts.length === 0) {
    throw new UserFacingError('Sign in first to run a desktop flow.', [
      { title: 'Sign In', run: () => vscode.commands.executeCommand(commandIds.signIn) },
      { title: 'Try the Sandbox', run: () => vscode.commands.executeCommand(commandIds.trySandbox) },
    ]);
  }
  const items = accounts.allEnvironments(signal).then((all) =>
    [...all]
      .sort((a, b) => Number(b.environment.id === currentId) - Number(a.environment.id === currentId))
      .map((choice) => ({
        label: `${choice.environment.id === currentId ? '$(check) ' : ''}${choice.environment.displayName}`,
        description: [
          choice.environment.sku,
          choice.environment.region,
          accounts.accounts.length > 1 ? choice.account.label : undefined,
        ]
          .filter(Boolean)
          .join(' · '),
        detail: choice.environment.orgUrl,
        choice,
      })),
  );
  return (
    await prompts.pick(items, {
      title,
      placeHolder: 'Environment',
      matchOnDescription: true,
      matchOnDetail: true,
    })
  ).choice;
}

/** Flows listed at once in the run's flow pick; more are found by "Search flows…". */
const flowPageSize = 100;

/**
 * The flow of a run: the environment's flows (published and drafts marked), "Search flows…" when there are
 * more than one page, and "Change environment…" (the environment was not asked for).
 */
export async function pickRunFlow(
  prompts: Prompts,
  choice: RunEnvironmentChoice,
  title: string,
  signal: AbortSignal,
): Promise<DesktopFlow | 'changeEnvironment'> {
  let search: string | undefined;
  for (;;) {
    type Item = vscode.QuickPickItem & { flow?: DesktopFlow; action?: 'search' | 'changeEnvironment' };
    const query = search;
    const items = choice.account.session.flows
      .listPage(
        choice.environment.orgUrl,
        { pageSize: flowPageSize, ...(query === undefined ? {} : { nameContains: query }) },
        signal,
      )
      .then((page): Item[] => [
        ...page.items.map((flow) => ({
          label: flow.name,
          ...(flow.isUnpublished ? { description: 'draft' } : {}),
          ...(flow.description === undefined ? {} : { detail: flow.description }),
          flow,
        })),
        ...(page.items.length === 0
          ? [{ label: query === undefined ? 'No desktop flows here' : `No desktop flow contains "${query}"` }]
          : []),
        { label: '', kind: vscode.QuickPickItemKind.Separator },
        ...(page.nextLink !== undefined || query !== undefined
          ? [
              {
                label: '$(search) Search flows…',
                detail: 'Search every flow of the environment by name',
                action: 'search' as const,
              },
            ]
          : []),
        {
          label: '$(arrow-swap) Change environment…',
          description: choice.environment.displayName,
          action: 'changeEnvironment' as const,
        },
      ]);
    const picked = await prompts.pick(items, {
      title: `${title} in ${choice.environment.displayName}`,
      placeHolder: 'Desktop flow',
      matchOnDetail: true,
    });
    if (picked.flow !== undefined) {
      return picked.flow;
    }
    if (picked.action === 'changeEnvironment') {
      return 'changeEnvironment';
    }
    if (picked.action === 'search') {
      search = (
        await prompts.text({
          title: `${title}: search`,
          prompt: 'Part of the flow name',
          value: search ?? '',
        })
      ).trim();
      search = search === '' ? undefined : search;
    }
  }
}
