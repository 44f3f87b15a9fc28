import * as vscode from 'vscode';
import { outputsToInputFile } from '../../core/inputs/outputsToInputFile';
import { isTerminal } from '../../core/model/run';
import type { RunSubject } from '../../core/runs/runEvents';
import { describeStatus } from '../../core/runs/runTranscript';
import type { ConfigurationService } from '../configuration';
import { pickFlow } from '../pickers';
import type { Prompts } from '../prompts';
import { flowSchemas } from './sensitiveValues';
import { UserFacingError } from '../userFacingError';
import { describeRunError } from './runErrorWords';
import type { RunDocumentPanels } from './runDocumentPanel';
import { runDocumentUri } from './runDocuments';
import type { RunsController } from './runsController';
import { flowLabel } from './runSubjects';

/** Where "Save Outputs as Input File" writes, and for which flow (tests and power users skip the prompts). */
export interface SaveOutputsArgs {
  /** The flow the new input file is for (default: the run's flow). */
  readonly targetFlowId?: string;
  /** Exact file path or URI (default: `<inputs folder>/<flow folder>/from-run-<id>.json`, confirmed in a save dialog). */
  readonly file?: string;
}

function runWords(subject: RunSubject): string {
  return `"${flowLabel(subject)}" run ${subject.runId.slice(0, 8)}`;
}

/** The flow folder name New Input File uses ("Invoice Processing" → "invoice-processing"). */
function folderNameFor(flowName: string): string {
  const cleaned = flowName
    .normalize('NFKC')
    .replace(/[<>:"/\\|?*\p{Cc}]+/gu, ' ')
    .trim()
    .toLowerCase()
    .replace(/\s+/g, '-')
    .replace(/^[.-]+|[.-]+$/g, '')
    .slice(0, 80);
  return cleaned === '' ? 'flow' : cleaned;
}

/** Reviewing runs: outputs and details documents, comparing outputs, outputs → new input file. */
export class RunReviewActions {
  constructor(
    private readonly controller: RunsController,
    private readonly prompts: Prompts,
    private readonly config: ConfigurationService,
    /** The rendered run documents; without them, details open as a Markdown text document. */
    private readonly panels?: RunDocumentPanels,
  ) {}

  /** Opens a succeeded run's outputs as a read-only JSON document. Returns its URI. */
  async openOutputs(subject: RunSubject): Promise<vscode.Uri> {
    await this.requireSucceeded(subject, AbortSignal.timeout(60_000));
    const uri = runDocumentUri(subject, 'outputs');
    const document = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(document, { preview: true });
    return uri;
  }

  /**
   * Opens a run's document, rendered (status, times, error and remedy, failing action, inputs and outputs
   * masked, action log, portal link); it follows a live run. Returns the URI of its Markdown form.
   */
  async showDetails(subject: RunSubject): Promise<vscode.Uri> {
    const uri = runDocumentUri(subject, 'details');
    if (this.panels !== undefined) {
      await this.panels.show(subject);
      return uri;
    }
    const document = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(document, { preview: true });
    return uri;
  }

  /** Shows the outputs of two runs side by side (the older on the left). */
  async compareOutputs(first: RunSubject, second: RunSubject): Promise<[vscode.Uri, vscode.Uri]> {
    const signal = AbortSignal.timeout(60_000);
    const [a, b] = await Promise.all([
      this.requireSucceeded(first, signal),
      this.requireSucceeded(second, signal),
    ]);
    const [left, right] = (a.createdOn ?? '') <= (b.createdOn ?? '') ? [first, second] : [second, first];
    const leftUri = runDocumentUri(left, 'outputs');
    const rightUri = runDocumentUri(right, 'outputs');
    await vscode.commands.executeCommand(
      'vscode.diff',
      leftUri,
      rightUri,
      `Outputs: ${flowLabel(left)} ${left.runId.slice(0, 8)} ↔ ${flowLabel(right)} ${right.runId.slice(0, 8)}`,
      { preview: true },
    );
    return [leftUri, rightUri];
  }

  /**
   * Writes a new input file for a flow (the run's own by default) filled from the run's outputs where an
   * output and an input share a name. Sensitive values are never copied. Returns the file's URI.
   */
  async saveOutputsAsInputFile(subject: RunSubject, args: SaveOutputsArgs): Promise<vscode.Uri> {
    const signal = AbortSignal.timeout(120_000);
    const { controller } = this;
    await this.requireSucceeded(subject, signal);
    const outputs = await controller.core.outputs(subject.environment, subject.runId, signal);
    if (outputs === undefined || Object.keys(outputs).length === 0) {
      throw new UserFacingError(`${runWords(subject)} has no outputs to save.`);
    }
    const target = await this.targetFlow(subject, args, signal);
    const [targetSchemas, runSchemas] = await Promise.all([
      flowSchemas(controller.schemas, subject.environment.orgUrl, target.id, signal),
      flowSchemas(controller.schemas, subject.environment.orgUrl, subject.flowId, signal),
    ]);
    const file = outputsToInputFile(outputs, targetSchemas.inputs, {
      flowId: target.id,
      environment: subject.environment.id,
      outputSchema: runSchemas.outputs,
    });
    if (file.copied.length === 0 && file.skippedSensitive.length === 0) {
      throw new UserFacingError(
        `None of the outputs of ${runWords(subject)} (${Object.keys(outputs).join(', ')}) has the name of an input of "${target.name}", so there is nothing to save.`,
      );
    }
    const uri = await this.destination(target.name, subject, args);
    await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(file.content));
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
    const notes = [
      `Copied ${file.copied.length} input${file.copied.length === 1 ? '' : 's'} from the outputs${file.copied.length > 0 ? ` (${file.copied.join(', ')})` : ''}.`,
      file.skippedSensitive.length > 0
        ? `Sensitive, not copied (set a \${secret:…} reference): ${file.skippedSensitive.join(', ')}.`
        : undefined,
      file.mismatched.length > 0
        ? `Outputs of another type, not copied: ${file.mismatched.join(', ')}.`
        : undefined,
    ].filter((n) => n !== undefined);
    void vscode.window.showInformationMessage(
      `Saved ${vscode.workspace.asRelativePath(uri)}. ${notes.join(' ')}`,
    );
    return uri;
  }

  private async targetFlow(
    subject: RunSubject,
    args: SaveOutputsArgs,
    signal: AbortSignal,
  ): Promise<{ id: string; name: string }> {
    const account = await this.controller.runAccounts.resolve(subject.environment.orgUrl, signal);
    const flowId = args.targetFlowId ?? subject.flowId;
    // Asked only when nothing was given: a call with arguments (a task, a test) means the run's own flow.
    if (args.targetFlowId !== undefined || args.file !== undefined || subject.flowName === undefined) {
      const flow = await account.session.flows.get(subject.environment.orgUrl, flowId, signal, {
        includeDrafts: true,
      });
      return { id: flow.id, name: flow.name };
    }
    const picked = await this.prompts.pick(
      [
        { label: `$(symbol-event) ${subject.flowName}`, description: 'the flow that ran', same: true },
        { label: '$(search) Another flow…', description: 'in the same environment', same: false },
      ],
      { title: `Save the outputs of ${runWords(subject)} as an input file for…` },
    );
    if (picked.same) {
      return { id: subject.flowId, name: subject.flowName };
    }
    const environment = (await account.session.environments.list(signal)).find(
      (e) => e.orgUrl.toLowerCase() === subject.environment.orgUrl.toLowerCase(),
    );
    if (environment === undefined) {
      throw new UserFacingError(`The environment of ${runWords(subject)} is no longer reachable.`);
    }
    const flow = await pickFlow({ account, environment }, 'Input file for which flow?');
    return { id: flow.id, name: flow.name };
  }

  private async destination(
    flowName: string,
    subject: RunSubject,
    args: SaveOutputsArgs,
  ): Promise<vscode.Uri> {
    if (args.file !== undefined) {
      return /^[a-z][a-z0-9+.-]+:\/\//i.test(args.file)
        ? vscode.Uri.parse(args.file)
        : vscode.Uri.file(args.file);
    }
    const folder = vscode.workspace.workspaceFolders?.[0];
    const inputsFolder = this.config.inputsFolder(folder);
    const suggested =
      folder === undefined
        ? undefined
        : vscode.Uri.joinPath(
            folder.uri,
            ...inputsFolder,
            folderNameFor(flowName),
            `from-run-${subject.runId.slice(0, 8)}.json`,
          );
    return this.prompts.save({
      title: `Save the outputs of ${runWords(subject)} as an input file`,
      ...(suggested === undefined ? {} : { defaultUri: suggested }),
      filters: { 'Input files': ['json'] },
      saveLabel: 'Save Input File',
    });
  }

  /** The run, checked to have succeeded (outputs exist only then). */
  private async requireSucceeded(
    subject: RunSubject,
    signal: AbortSignal,
  ): Promise<{ createdOn: string | undefined }> {
    let details;
    try {
      details = await this.controller.runAccounts
        .backendFor(subject.environment)
        .getRun(subject.runId, signal);
    } catch (e) {
      throw describeRunError(e, subject.flowName);
    }
    if (!isTerminal(details.status)) {
      throw new UserFacingError(
        `${runWords(subject)} is still ${describeStatus(details.status)}: its outputs are there once it succeeds.`,
      );
    }
    if (details.status !== 'succeeded') {
      throw new UserFacingError(
        `${runWords(subject)} ${describeStatus(details.status)}, so it has no outputs. Show its details for the error.`,
        [{ title: 'Show Details', run: () => this.showDetails(subject) }],
      );
    }
    return { createdOn: details.createdOn };
  }
}
