/**
 * "Create Test from Run" (run details, a "Recent runs" row, the status bar and its quick pick): writes a
 * `*.flowtest.json` from a finished run (src/core/flowTests/flowTestFromRun.ts: inputs with sensitive values
 * as `${secret:NAME}` references, the final status and outputs as expectations) and opens it. Loaded on
 * first use by flowTestFeatures.ts.
 */
import * as vscode from 'vscode';
import { runKey } from '../../core/runs/runKeys';
import { flowTestFromRun } from '../../core/flowTests/flowTestFromRun';
import { isTerminal } from '../../core/model/run';
import type { RunSubject } from '../../core/runs/runEvents';
import { describeStatus } from '../../core/runs/runTranscript';
import { UserFacingError } from '../registerCommand';
import { parseRunDocumentUri } from '../runs/runDocuments';
import { describeRunError } from '../runs/runErrorWords';
import { pickWindowRun } from '../runs/runPickers';
import type { Prompts } from '../prompts';
import type { RunsController } from '../runs/runsController';
import { asRunSubject, flowLabel, plainSubject } from '../runs/runSubjects';
import { flowSchemas } from '../runs/sensitiveValues';

/** What the command accepts besides the run (tests and tasks skip the save dialog). */
export interface CreateTestArgs {
  /** Exact file path or URI of the new test file. */
  readonly file?: string;
}

function fileNameFor(flowName: string, runId: string): string {
  const base = flowName
    .normalize('NFKC')
    .replace(/[<>:"/\\|?*\p{Cc}]+/gu, ' ')
    .trim()
    .toLowerCase()
    .replace(/\s+/g, '-')
    .replace(/^[.-]+|[.-]+$/g, '')
    .slice(0, 60);
  return `${base === '' ? 'flow' : base}-${runId.slice(0, 8)}.flowtest.json`;
}

async function subjectOf(arg: unknown, controller: RunsController, prompts: Prompts): Promise<RunSubject> {
  if (arg instanceof vscode.Uri) {
    const parsed = parseRunDocumentUri(arg);
    if (parsed !== undefined) {
      return parsed.subject;
    }
  }
  const subject = asRunSubject(arg);
  if (subject !== undefined) {
    return plainSubject(subject);
  }
  const active = vscode.window.activeTextEditor?.document.uri;
  const fromEditor = active === undefined ? undefined : parseRunDocumentUri(active);
  if (fromEditor !== undefined) {
    return fromEditor.subject;
  }
  return pickWindowRun(
    prompts,
    controller,
    (r) => r.phase === 'finished' && r.runId !== undefined,
    'Create a flow test from which run?',
    'No finished run in this window yet. Run a flow, or use a run of "Recent runs" in the Desktop Flows view.',
  );
}

/** Writes the test file of a finished run and opens it; returns its URI. */
export async function createTestFromRun(
  arg: unknown,
  controller: RunsController,
  prompts: Prompts,
  args: CreateTestArgs = {},
): Promise<vscode.Uri> {
  const subject = await subjectOf(arg, controller, prompts);
  const signal = AbortSignal.timeout(120_000);
  const words = `"${flowLabel(subject)}" run ${subject.runId.slice(0, 8)}`;
  const backend = controller.runAccounts.backendFor(subject.environment);
  let run;
  try {
    run = await backend.getRun(subject.runId, signal);
  } catch (e) {
    throw describeRunError(e, subject.flowName);
  }
  if (!isTerminal(run.status)) {
    throw new UserFacingError(
      `${words} is still ${describeStatus(run.status)}: a test can be made from it once it has finished.`,
    );
  }
  const [inputs, outputs, schemas, flow] = await Promise.all([
    backend.getRunInputs(subject.runId, signal).catch(() => undefined),
    run.status === 'succeeded' ? backend.getRunOutputs(subject.runId, signal) : Promise.resolve(undefined),
    flowSchemas(controller.schemas, subject.environment.orgUrl, subject.flowId, signal).catch(
      () => undefined,
    ),
    subject.flowName === undefined
      ? controller.runAccounts
          .resolve(subject.environment.orgUrl, signal)
          .then((a) =>
            a.session.flows.get(subject.environment.orgUrl, subject.flowId, signal, { includeDrafts: true }),
          )
          .then((f) => f.name)
      : Promise.resolve(subject.flowName),
  ]);
  if (inputs !== undefined && Object.keys(inputs).length > 0 && schemas === undefined) {
    // Without the schema, sensitive inputs cannot be told apart: never risk writing one.
    throw new UserFacingError(
      `The input schema of "${flow}" could not be read, so its sensitive inputs cannot be told apart; no test file was written. Try again.`,
    );
  }
  const launch = controller.memory.launchOf(runKey(subject.environment.orgUrl, subject.runId));
  const connection = launch?.options.connection;
  const file = flowTestFromRun({
    flowName: flow,
    ...(subject.environment.displayName === undefined
      ? {}
      : { environmentName: subject.environment.displayName }),
    status: run.status,
    ...(run.errorCode === undefined ? {} : { errorCode: run.errorCode }),
    inputs,
    outputs,
    ...(schemas === undefined ? {} : { inputSchema: schemas.inputs, outputSchema: schemas.outputs }),
    ...(connection === undefined
      ? {}
      : {
          connection:
            connection.kind === 'connection'
              ? { kind: 'connection' as const, name: connection.name }
              : { kind: 'connectionReference' as const, name: connection.logicalName },
        }),
    ...(launch === undefined ? {} : { mode: launch.options.runMode }),
  });
  const uri = await destination(prompts, flow, subject, args);
  await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(file.content));
  await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
  const secrets = Object.entries(file.secrets);
  const notes = [
    secrets.length > 0
      ? `Sensitive inputs are references: set ${secrets.map(([, s]) => `"${s}"`).join(', ')} with "Desktop Flows: Set Secret…" before running the test.`
      : undefined,
    file.skippedOutputs.length > 0
      ? `Sensitive outputs are not expected: ${file.skippedOutputs.join(', ')}.`
      : undefined,
  ].filter((n) => n !== undefined);
  void vscode.window.showInformationMessage(
    `Created the test ${vscode.workspace.asRelativePath(uri)} from ${words}. ${notes.join(' ')}`.trim(),
  );
  return uri;
}

async function destination(
  prompts: Prompts,
  flowName: string,
  subject: RunSubject,
  args: CreateTestArgs,
): Promise<vscode.Uri> {
  if (args.file !== undefined) {
    return /^[a-z][a-z0-9+.-]+:\/\//i.test(args.file)
      ? vscode.Uri.parse(args.file)
      : vscode.Uri.file(args.file);
  }
  const folder = vscode.workspace.workspaceFolders?.[0];
  const suggested =
    folder === undefined
      ? undefined
      : vscode.Uri.joinPath(folder.uri, 'tests', fileNameFor(flowName, subject.runId));
  return prompts.save({
    title: `Save a flow test from "${flowName}" run ${subject.runId.slice(0, 8)}`,
    ...(suggested === undefined ? {} : { defaultUri: suggested }),
    filters: { 'Flow tests': ['flowtest.json'] },
    saveLabel: 'Create Test',
  });
}
