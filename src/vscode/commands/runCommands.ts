import * as vscode from 'vscode';
import type { Logger } from '../../core/logger';
import type { RunSubject } from '../../core/runs/runEvents';
import { commandIds } from '../commandIds';
import type { Prompts } from '../prompts';
import { registerCommand, UserFacingError } from '../registerCommand';
import { FlowNode } from '../tree/flowNodes';
import { runActions, type RunActionId } from '../runs/runActions';
import type { StoreRun } from '../runs/runStore';
import { pickOtherRunOfFlow, pickWindowRun } from '../runs/runPickers';
import type { RunReviewActions, SaveOutputsArgs } from '../runs/runReviewActions';
import type { RunsController } from '../runs/runsController';
import { fileUriOf, startArgsOf, type RunStarter } from '../runs/runStarter';
import { asRunSubject, flowLabel, plainSubject } from '../runs/runSubjects';

/** What the run commands need. */
export interface RunCommandDeps {
  readonly log: Logger;
  readonly controller: RunsController;
  readonly starter: RunStarter;
  readonly review: RunReviewActions;
  /** Run picks go through the prompt helper (tests answer them from a queue). */
  readonly prompts: Prompts;
}

const isSucceeded = (r: StoreRun): boolean => r.phase === 'finished' && r.status === 'succeeded';
const hasRun = (r: StoreRun): boolean => r.runId !== undefined;

/** The input file a command argument names: a `Uri`, a tree node with a `uri`, a path; else the active editor's. */
function inputFileArg(arg: unknown): vscode.Uri | undefined {
  if (arg instanceof vscode.Uri) {
    return arg;
  }
  if (typeof arg === 'string') {
    return fileUriOf(arg);
  }
  if (typeof arg === 'object' && arg !== null) {
    const { uri, resourceUri } = arg as { uri?: unknown; resourceUri?: unknown };
    if (uri instanceof vscode.Uri) {
      return uri;
    }
    if (resourceUri instanceof vscode.Uri) {
      return resourceUri;
    }
  }
  return undefined;
}

/** A plain argument object (not a tree node or URI). */
function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype;
}

function saveArgsOf(v: unknown): SaveOutputsArgs {
  if (typeof v !== 'object' || v === null) {
    return {};
  }
  const { targetFlowId, file } = v as { targetFlowId?: unknown; file?: unknown };
  return {
    ...(typeof targetFlowId === 'string' ? { targetFlowId } : {}),
    ...(typeof file === 'string' ? { file } : {}),
  };
}

/**
 * The run commands. Every command takes its subject from the tree (a flow, input file or run node), from
 * plain JSON arguments (status bar links, tests, tasks.json), or asks. Commands that start a run resolve to
 * the started run (`RunSubject`), so callers can follow it.
 */
export function registerRunCommands(deps: RunCommandDeps): vscode.Disposable[] {
  const { log, controller, starter, review } = deps;

  const runOrPick = (
    arg: unknown,
    filter: (r: StoreRun) => boolean,
    title: string,
    empty: string,
  ): Promise<RunSubject> => {
    const subject = asRunSubject(arg);
    return subject !== undefined
      ? Promise.resolve(plainSubject(subject))
      : pickWindowRun(deps.prompts, controller, filter, title, empty);
  };

  return [
    registerCommand(commandIds.runFlow, log, (arg?: unknown, extra?: unknown) => {
      const args = { ...startArgsOf(arg instanceof FlowNode ? undefined : arg), ...startArgsOf(extra) };
      const target =
        arg instanceof FlowNode
          ? { account: arg.account, environment: arg.environment, flow: arg.flow }
          : undefined;
      return starter.startFlow(target, args);
    }),

    registerCommand(commandIds.runInputFile, log, (arg?: unknown, extra?: unknown) => {
      const args = { ...(isPlainObject(arg) ? startArgsOf(arg) : {}), ...startArgsOf(extra) };
      const uri =
        inputFileArg(arg) ??
        (args.inputFile === undefined ? undefined : fileUriOf(args.inputFile)) ??
        vscode.window.activeTextEditor?.document.uri;
      if (uri === undefined) {
        throw new UserFacingError('Open an input file (or pick one in the Desktop Flows view) to run it.');
      }
      return starter.startFromFile(uri, args);
    }),

    registerCommand(commandIds.runAgain, log, async (arg?: unknown, extra?: unknown) => {
      const subject = await runOrPick(arg, hasRun, 'Run again', 'No run to repeat yet: start one first.');
      return starter.runAgain(subject, startArgsOf(extra));
    }),

    registerCommand(commandIds.cancelRun, log, async (arg?: unknown) => {
      // A run whose watching stopped (its account signed out) cannot be cancelled from here until signing in.
      const stopped = controller.store.stopped();
      const signInFirst = (what: string): UserFacingError =>
        new UserFacingError(
          `${what} is no longer watched because its account signed out; sign in again to resume watching and cancel it.`,
          [{ title: 'Sign In', run: () => vscode.commands.executeCommand(commandIds.signIn) }],
        );
      const given = asRunSubject(arg);
      if (given !== undefined) {
        const run = controller.store.find(given.environment.orgUrl, given.runId);
        if (run?.watchStopped !== undefined) {
          throw signInFirst(`The run of "${flowLabel(run)}"`);
        }
      }
      const watched = (r: StoreRun): boolean =>
        r.phase !== 'finished' && r.watchStopped === undefined && hasRun(r);
      if (given === undefined && stopped.length > 0 && !controller.store.all().some(watched)) {
        throw signInFirst(
          stopped.length === 1
            ? `The run of "${flowLabel(stopped[0] as StoreRun)}"`
            : `Each of ${stopped.length} active runs`,
        );
      }
      const subject = await runOrPick(arg, watched, 'Cancel which run?', 'No run is active in this window.');
      await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Window, title: `Cancelling "${subject.flowName ?? 'run'}"…` },
        () => controller.cancel(subject, AbortSignal.timeout(60_000)),
      );
      void vscode.window.setStatusBarMessage(
        `$(debug-stop) Cancel requested for "${subject.flowName ?? subject.runId}"`,
        5_000,
      );
      return subject;
    }),

    registerCommand(commandIds.showRunTranscript, log, () => controller.transcript.show(false)),

    registerCommand(commandIds.openRunOutputs, log, async (arg?: unknown) => {
      const subject = await runOrPick(
        arg,
        isSucceeded,
        'Open the outputs of…',
        'No succeeded run in this window yet.',
      );
      return (await review.openOutputs(subject)).toString();
    }),

    registerCommand(commandIds.showRunDetails, log, async (arg?: unknown) => {
      const subject = await runOrPick(arg, hasRun, 'Show the details of…', 'No run in this window yet.');
      return (await review.showDetails(subject)).toString();
    }),

    registerCommand(commandIds.saveOutputsAsInputFile, log, async (arg?: unknown, extra?: unknown) => {
      const subject = await runOrPick(
        arg,
        isSucceeded,
        'Save the outputs of…',
        'No succeeded run in this window yet.',
      );
      return (await review.saveOutputsAsInputFile(subject, saveArgsOf(extra))).toString();
    }),

    registerCommand(commandIds.compareRunOutputs, log, async (arg?: unknown, other?: unknown) => {
      const first = await runOrPick(
        arg,
        isSucceeded,
        'Compare the outputs of…',
        'No succeeded run in this window yet.',
      );
      const given = asRunSubject(other);
      const second =
        given !== undefined ? plainSubject(given) : await pickOtherRunOfFlow(deps.prompts, controller, first);
      const uris = await review.compareOutputs(first, second);
      return uris.map((u) => u.toString());
    }),

    registerCommand(commandIds.showActiveRuns, log, async () => {
      const subject = await pickWindowRun(
        deps.prompts,
        controller,
        hasRun,
        'Desktop flow runs',
        'No run in this window yet. Start one with "Run Desktop Flow…".',
      );
      const run = controller.store.find(subject.environment.orgUrl, subject.runId);
      // What the run offers is decided once, by runActions (as for the status bar and the views' rows).
      const offered = runActions({
        status:
          run === undefined ? undefined : run.phase === 'finished' ? run.status : (run.status ?? 'waiting'),
        hasRunId: true,
        watched: run?.watchStopped === undefined,
        hasOutputs: run?.phase === 'finished' ? run.hasOutputs : undefined,
        otherSucceeded: undefined,
        inTranscript: run !== undefined,
      });
      const entries: Partial<Record<RunActionId, { label: string; command: string }>> = {
        showOutput: { label: '$(output) Show Output', command: commandIds.showRunTranscript },
        cancel: { label: '$(debug-stop) Cancel Run', command: commandIds.cancelRun },
        whyWaiting: { label: '$(question) Why Is It Waiting?', command: commandIds.whyWaiting },
        outputs: { label: '$(json) Open Outputs', command: commandIds.openRunOutputs },
        details: { label: '$(info) Show Details', command: commandIds.showRunDetails },
        runAgain: { label: '$(debug-restart) Run Again', command: commandIds.runAgain },
        createTest: { label: '$(beaker) Create Test from Run…', command: commandIds.createTestFromRun },
      };
      const actions = offered
        .map((id) => entries[id])
        .filter((a): a is { label: string; command: string } => a !== undefined);
      const picked = await deps.prompts.pick(actions, {
        title: `"${subject.flowName ?? 'Run'}" ${subject.runId.slice(0, 8)}`,
      });
      return vscode.commands.executeCommand(picked.command, subject);
    }),
  ];
}
