import * as vscode from 'vscode';
import { RunError } from '../../core/runs/runErrors';
import type { RunOptionsProblem } from '../../core/runs/runOptions';
import { describeStatus } from '../../core/runs/runTranscript';
import type { RunStatus } from '../../core/model/run';
import { commandIds } from '../commandIds';
import { UserFacingError } from '../userFacingError';

/** One run-options problem in words. */
export function describeOptionsProblem(p: RunOptionsProblem): string {
  switch (p.field) {
    case 'connection':
      return p.code === 'missing'
        ? 'choose a connection or a connection reference'
        : 'the connection must be a connection name (connectionType 1) or a connection reference logical name (connectionType 2)';
    case 'runMode':
      return p.code === 'missing'
        ? 'choose attended or unattended'
        : 'the run mode must be "attended" or "unattended"';
    case 'priority':
      return p.code === 'tooLarge'
        ? `the priority name is longer than ${p.limit ?? 100} characters`
        : 'the priority must be "normal", "high" or a custom name (no surrounding spaces)';
    case 'timeoutSeconds':
      switch (p.code) {
        case 'tooLarge':
          return 'the timeout is at most 86,400 seconds (24 hours)';
        case 'tooSmall':
          return 'the timeout is at least 1 second';
        case 'notInteger':
          return 'the timeout is a whole number of seconds';
        case 'missing':
        case 'invalid':
          return 'the timeout must be a number of seconds';
      }
      break;
    case 'options':
      return 'the run options are missing or not an object';
  }
  return 'the run options are not valid';
}

/**
 * A run failure in words a maker can act on, as a `UserFacingError` (shown by the command error path), or the
 * error itself when it is not run-specific (service and sign-in errors are worded by errorMessages.ts).
 */
export function describeRunError(e: unknown, flowName?: string): unknown {
  if (!RunError.is(e)) {
    return e;
  }
  const flow = flowName === undefined ? 'the flow' : `"${flowName}"`;
  const showTranscript = {
    title: 'Show Run Transcript',
    run: () => vscode.commands.executeCommand(commandIds.showRunTranscript),
  };
  switch (e.reason) {
    case 'invalidOptions':
      return new UserFacingError(
        `Cannot start ${flow}: ${e.problems.map(describeOptionsProblem).join('; ') || 'the run options are not valid'}.`,
      );
    case 'alreadyFinished':
      return new UserFacingError(
        `The run of ${flow} already ended (${describeStatus((e.status ?? 'unknown') as RunStatus)}); there is nothing to cancel.`,
      );
    case 'notOwner':
      return new UserFacingError(
        `You can start ${flow}, but checking and cancelling its runs needs Owner access to the run. Ask the flow's owner to share it with you as a co-owner.`,
      );
    case 'runNotFound':
      return new UserFacingError(`The run of ${flow} no longer exists, or you cannot see it.`);
    case 'outcomeUnknown': {
      const ids = e.candidateRunIds;
      const since = e.since === undefined ? '' : ` since ${e.since}`;
      const showCandidates = {
        title: 'Show Candidates',
        run: async (): Promise<void> => {
          const read = new Map(e.candidates.map((c) => [c.id, c]));
          const items = ids.map((id) => {
            const c = read.get(id);
            const created = c?.createdOn === undefined ? undefined : new Date(c.createdOn);
            const when =
              created === undefined || Number.isNaN(created.getTime())
                ? `Created${since}`
                : `Created ${created.toLocaleString()}`;
            const state = c === undefined ? '' : ` · ${describeStatus(c.status)}`;
            const machine = c?.machineName === undefined ? '' : ` on ${c.machineName}`;
            return { label: `$(history) ${when}${state}${machine}`, detail: id, id };
          });
          // Not Prompts.pick: this runs from an error notification's button, outside any command's prompts.
          const picked = await vscode.window.showQuickPick(items, {
            title: `Runs of ${flow} that the lost start may have created`,
            placeHolder: 'Pick one to copy its run id',
            matchOnDetail: true,
          });
          if (picked !== undefined) {
            await vscode.env.clipboard.writeText(picked.id);
          }
        },
      };
      return new UserFacingError(
        ids.length === 0
          ? `The run of ${flow} may have started, but it could not be confirmed (the service's answer was lost and no run was found${since}). It was not sent again: check the flow's recent runs before starting it again.`
          : `The run of ${flow} may have started, but the service's answer was lost and ${ids.length === 1 ? 'one run' : `${ids.length} runs`} created${since} could be it. It was not sent again, so it cannot run twice: check the candidates before starting it again.`,
        ids.length === 0 ? [showTranscript] : [showCandidates, showTranscript],
      );
    }
  }
}
