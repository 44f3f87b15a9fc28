/**
 * "Why Is It Waiting?" on a run (a run row, plain `{ runId, environment }` arguments, or a run id typed in
 * the palette): explains with `explainWaiting` and shows a rendered Markdown document.
 */
import * as vscode from 'vscode';
import type { Logger } from '../../core/logger';
import { explainWaiting, type WaitingExplanation } from '../../core/runs/whyWaiting';
import { whyWaitingMarkdown } from '../../core/runs/whyWaitingMarkdown';
import type { AccountService } from '../accounts/accountService';
import { commandIds } from '../commandIds';
import { ReadOnlyDocuments } from '../readOnlyDocuments';
import { registerCommand, UserFacingError } from '../registerCommand';
import { asRunSubject } from '../runs/runSubjects';
import { whyWaitingGoneText, whyWaitingScheme } from './readinessDocumentSchemes';

/** What the command resolves to (tests read it). */
export interface WhyWaitingResult {
  readonly uri: vscode.Uri;
  readonly answer: WaitingExplanation;
}

function targetOf(arg: unknown): { runId: string; environment: string; flowName?: string } | undefined {
  const subject = asRunSubject(arg);
  if (subject !== undefined) {
    return {
      runId: subject.runId,
      environment: subject.environment.orgUrl,
      ...(subject.flowName === undefined ? {} : { flowName: subject.flowName }),
    };
  }
  if (typeof arg === 'object' && arg !== null) {
    const { runId, environment } = arg as { runId?: unknown; environment?: unknown };
    if (typeof runId === 'string' && typeof environment === 'string') {
      return { runId, environment };
    }
  }
  return undefined;
}

/** Registers the command and its document provider. */
export function registerWhyWaiting(deps: {
  readonly log: Logger;
  readonly accounts: AccountService;
}): vscode.Disposable[] {
  const documents = new ReadOnlyDocuments(whyWaitingScheme, whyWaitingGoneText);
  return [
    documents,
    registerCommand(commandIds.whyWaiting, deps.log, async (arg?: unknown): Promise<WhyWaitingResult> => {
      const target = targetOf(arg);
      if (target === undefined) {
        throw new UserFacingError(
          'Pick a queued run (a run row, or a run in Show Active Runs) to ask why it waits.',
        );
      }
      const signal = AbortSignal.timeout(60_000);
      const found = await deps.accounts.findEnvironment(target.environment, signal);
      if (found === undefined) {
        throw new UserFacingError(`No signed-in account can see the environment "${target.environment}".`);
      }
      const org = found.environment.orgUrl;
      const answer = await explainWaiting(org, target.runId, { session: found.account.session }, signal);
      let flowName = target.flowName;
      const run = await found.account.session.runs.getFlowSession(org, target.runId, signal);
      if (flowName === undefined && run.flowId !== undefined) {
        flowName = (await found.account.session.flows.get(org, run.flowId, signal).catch(() => undefined))
          ?.name;
      }
      const uri = vscode.Uri.from({
        scheme: whyWaitingScheme,
        path: `/Why is ${(flowName ?? 'the run').replace(/[\\/]/g, '-')} waiting.md`,
        query: `${target.runId}/${Date.now()}`,
      });
      documents.set(
        uri,
        whyWaitingMarkdown(
          answer,
          { environmentName: found.environment.displayName, ...(flowName === undefined ? {} : { flowName }) },
          new Date(),
        ),
      );
      deps.log.info(`[waiting] run ${target.runId}: ${answer.reasons.join(' ')}`);
      await vscode.commands.executeCommand('markdown.showPreview', uri);
      return { uri, answer };
    }),
  ];
}
