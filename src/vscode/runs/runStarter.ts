import * as vscode from 'vscode';
import { CancellationError } from '../../core/errors';
import type { Environment } from '../../core/model/environment';
import type { DesktopFlow } from '../../core/model/flow';
import type { RunSubject } from '../../core/runs/runEvents';
import type { EnvironmentRef } from '../../core/runs/runJournal';
import type { RunOptions } from '../../core/runs/runOptions';
import type { AccountService } from '../accounts/accountService';
import type { SignedInAccount } from '../accounts/signedInAccount';
import { toAbortSignal } from '../cancellation';
import type { EnvironmentStatusBar } from '../environmentStatusBar';
import { pickEnvironment, pickFlow } from '../pickers';
import { UserFacingError } from '../registerCommand';
import { maskSensitive } from './flowSchemaCache';
import { maskedInputsText, type RunInputFiles } from './runInputFiles';
import { checkedOptions, optionArgsOf, resolveRunOptions, type RunOptionArgs } from './runOptionsPrompts';
import type { RunsController, StartRunRequest } from './runsController';
import { runKey } from './runSubjects';

/** Arguments of "Run Desktop Flow…" for power users, tasks and tests; anything given is not asked for. */
export interface RunStartArgs extends RunOptionArgs {
  /** Environment id, org URL, unique name or display name. */
  readonly environment?: string;
  readonly flowId?: string;
  /** Exact flow name (case-insensitive), when `flowId` is not given. */
  readonly flowName?: string;
  /** An input file (path or URI); the file names its flow. */
  readonly inputFile?: string;
  /** Inputs given inline (an object, or its JSON text). */
  readonly inputs?: Record<string, unknown> | string;
  /** Send no inputs, without asking. */
  readonly noInputs?: boolean;
}

/** The `RunStartArgs` in a command argument, if it is an argument object. */
export function startArgsOf(v: unknown): RunStartArgs {
  if (typeof v !== 'object' || v === null || v instanceof vscode.Uri) {
    return {};
  }
  const o = v as Record<string, unknown>;
  const str = (k: string): string | undefined => (typeof o[k] === 'string' ? o[k] : undefined);
  const inputs = o.inputs;
  return {
    ...optionArgsOf(v),
    ...(str('environment') === undefined ? {} : { environment: str('environment') }),
    ...(str('flowId') === undefined ? {} : { flowId: str('flowId') }),
    ...(str('flowName') === undefined ? {} : { flowName: str('flowName') }),
    ...(str('inputFile') === undefined ? {} : { inputFile: str('inputFile') }),
    ...(typeof inputs === 'string' ||
    (typeof inputs === 'object' && inputs !== null && !Array.isArray(inputs))
      ? { inputs: inputs as Record<string, unknown> | string }
      : {}),
    ...(o.noInputs === true ? { noInputs: true } : {}),
  };
}

/** A file argument as a URI: a `Uri`, a URI string with a scheme, or a file path. */
export function fileUriOf(v: string | vscode.Uri): vscode.Uri {
  if (v instanceof vscode.Uri) {
    return v;
  }
  return /^[a-z][a-z0-9+.-]+:\/\//i.test(v) ? vscode.Uri.parse(v) : vscode.Uri.file(v);
}

function environmentRef(e: Pick<Environment, 'id' | 'orgUrl' | 'displayName'>): EnvironmentRef {
  return { id: e.id, orgUrl: e.orgUrl, displayName: e.displayName };
}

interface ChosenInputs {
  readonly inputs?: string;
  readonly maskedInputs?: string;
  readonly inputFile?: string;
}

/** Dependencies of `RunStarter`. */
export interface RunStarterDeps {
  readonly accounts: AccountService;
  readonly environmentStatus: Pick<EnvironmentStatusBar, 'resolveDefault'>;
  readonly controller: RunsController;
  readonly inputFiles: RunInputFiles | undefined;
}

/** Gathers what a run needs (environment, flow, inputs, options), asking only for what is missing, and starts it. */
export class RunStarter {
  constructor(private readonly deps: RunStarterDeps) {}

  /** "Run Desktop Flow…": from the palette (asks), a flow node (flow known), or arguments. */
  async startFlow(
    target: { account: SignedInAccount; environment: Environment; flow: DesktopFlow } | undefined,
    args: RunStartArgs,
  ): Promise<RunSubject> {
    if (target === undefined && args.inputFile !== undefined) {
      return this.startFromFile(fileUriOf(args.inputFile), args);
    }
    const signal = AbortSignal.timeout(120_000);
    const { account, environment, flow } = target ?? (await this.chooseFlow(args, signal));
    const ref = environmentRef(environment);
    const remembered = this.deps.controller.memory.lastFor(environment.orgUrl, flow.id);
    const inputs = await this.chooseInputs(account, ref, flow, args, remembered?.inputFile, signal);
    if (inputs.inputFile !== undefined && inputs.inputs === undefined) {
      return this.startFromFile(vscode.Uri.parse(inputs.inputFile), args, { flowId: flow.id });
    }
    const options = await resolveRunOptions(args, {
      account,
      environment,
      flowName: flow.name,
      remembered: remembered?.options,
    });
    return this.submit({
      account,
      environment: ref,
      flowId: flow.id,
      flowName: flow.name,
      options,
      ...inputs,
    });
  }

  /**
   * "Run with This Input File": the file names the flow; trust is asked for first. `expect.flowId` refuses a
   * file of another flow; `expect.options` are used as they are unless the arguments give options.
   */
  async startFromFile(
    uri: vscode.Uri,
    args: RunStartArgs,
    expect: { readonly flowId?: string; readonly options?: RunOptions } = {},
  ): Promise<RunSubject> {
    const inputFiles = this.requireInputFiles();
    // Trust first: an untrusted file must not get its references resolved and sent.
    if (inputFiles.ensureTrustedForRun !== undefined && !(await inputFiles.ensureTrustedForRun())) {
      throw new UserFacingError(
        'The run was not started: running from an input file needs a trusted workspace.',
      );
    }
    const prepared = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: 'Checking the input file…' },
      () => inputFiles.prepareForRun(uri, AbortSignal.timeout(120_000)),
    );
    if (expect.flowId !== undefined && expect.flowId.toLowerCase() !== prepared.flowId.toLowerCase()) {
      throw new UserFacingError(
        `${vscode.workspace.asRelativePath(uri)} is an input file of "${prepared.flowName}", not of the flow being run.`,
      );
    }
    const remembered = this.deps.controller.memory.lastFor(prepared.environment.orgUrl, prepared.flowId);
    const options =
      expect.options !== undefined && !hasOptionArgs(args)
        ? checkedOptions(expect.options, prepared.flowName)
        : await resolveRunOptions(args, {
            account: prepared.account,
            environment: prepared.environment,
            flowName: prepared.flowName,
            remembered: expect.options ?? remembered?.options,
          });
    return this.submit({
      account: prepared.account,
      environment: environmentRef(prepared.environment),
      flowId: prepared.flowId,
      flowName: prepared.flowName,
      options,
      inputs: prepared.inputs,
      maskedInputs: maskedInputsText(prepared.maskedInputs),
      inputFile: uri.toString(),
    });
  }

  /**
   * "Run Again": the same options and the same inputs, without asking. A run started in this window reuses
   * its input file (read again) or its exact inputs; a run from history reuses the inputs the service stored
   * and the flow's remembered options (asked for when there are none).
   */
  async runAgain(subject: RunSubject, args: RunStartArgs): Promise<RunSubject> {
    const { controller } = this.deps;
    const signal = AbortSignal.timeout(120_000);
    const launch = controller.memory.launchOf(runKey(subject.environment.orgUrl, subject.runId));
    if (launch?.inputFile !== undefined) {
      return this.startFromFile(vscode.Uri.parse(launch.inputFile), args, {
        flowId: subject.flowId,
        options: launch.options,
      });
    }
    const account = await controller.runAccounts.resolve(subject.environment.orgUrl, signal);
    const flowName =
      subject.flowName ??
      (
        await account.session.flows.get(subject.environment.orgUrl, subject.flowId, signal, {
          includeDrafts: true,
        })
      ).name;
    let inputs: ChosenInputs;
    if (launch !== undefined) {
      inputs = {
        ...(launch.inputs === undefined ? {} : { inputs: launch.inputs }),
        ...(launch.maskedInputs === undefined ? {} : { maskedInputs: launch.maskedInputs }),
      };
    } else {
      const details = await controller.core.details(subject.environment, subject.runId, {}, signal);
      inputs =
        details.inputs === undefined
          ? {}
          : await this.inline(subject.environment, subject.flowId, details.inputs, signal);
    }
    const remembered =
      launch?.options ?? controller.memory.lastFor(subject.environment.orgUrl, subject.flowId)?.options;
    const options =
      remembered !== undefined && !hasOptionArgs(args)
        ? checkedOptions(remembered, flowName)
        : await resolveRunOptions(args, {
            account,
            environment: {
              ...subject.environment,
              displayName: subject.environment.displayName ?? subject.environment.orgUrl,
            },
            flowName,
            remembered,
          });
    return this.submit({
      account,
      environment: subject.environment,
      flowId: subject.flowId,
      flowName,
      options,
      ...inputs,
    });
  }

  private async submit(request: StartRunRequest): Promise<RunSubject> {
    const run = await vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: `Starting "${request.flowName}"…`,
        cancellable: true,
      },
      (_progress, token) => this.deps.controller.startRun(request, toAbortSignal(token)),
    );
    return { environment: run.environment, flowId: run.flowId, flowName: request.flowName, runId: run.runId };
  }

  private requireInputFiles(): RunInputFiles {
    if (this.deps.inputFiles === undefined) {
      throw new UserFacingError('Input files are not available in this window, so the run cannot use one.');
    }
    return this.deps.inputFiles;
  }

  /** The flow's input files in this workspace, when the input service can list them. */
  private async inputFilesOf(
    environment: EnvironmentRef,
    flow: DesktopFlow,
    signal: AbortSignal,
  ): Promise<vscode.Uri[]> {
    const index = this.deps.inputFiles?.index;
    if (index === undefined) {
      return [];
    }
    await index.ready(signal);
    const account = await this.deps.controller.runAccounts.resolve(environment.orgUrl, signal);
    const full = (await this.deps.accounts.environments(account, signal)).find(
      (e) => e.orgUrl.toLowerCase() === environment.orgUrl.toLowerCase(),
    );
    return full === undefined ? [] : index.filesFor(flow.id, full).map((f) => f.uri);
  }

  private async chooseFlow(
    args: RunStartArgs,
    signal: AbortSignal,
  ): Promise<{ account: SignedInAccount; environment: Environment; flow: DesktopFlow }> {
    const { accounts, environmentStatus } = this.deps;
    let choice: { account: SignedInAccount; environment: Environment };
    if (args.environment !== undefined) {
      const found = await accounts.findEnvironment(args.environment, signal);
      if (found === undefined) {
        throw new UserFacingError(`No signed-in account reaches the environment "${args.environment}".`);
      }
      choice = found;
    } else {
      const preferred = await environmentStatus.resolveDefault(signal).catch(() => undefined);
      choice = await pickEnvironment(accounts, preferred?.environment.id, 'Run a desktop flow: environment');
    }
    const flows = choice.account.session.flows;
    let flow: DesktopFlow;
    if (args.flowId !== undefined) {
      flow = await flows.get(choice.environment.orgUrl, args.flowId, signal, { includeDrafts: true });
    } else if (args.flowName !== undefined) {
      const wanted = args.flowName.toLowerCase();
      const page = await flows.listPage(
        choice.environment.orgUrl,
        { pageSize: 100, nameContains: args.flowName, includeDrafts: true },
        signal,
      );
      const match = page.items.find((f) => f.name.toLowerCase() === wanted);
      if (match === undefined) {
        throw new UserFacingError(
          `${choice.environment.displayName} has no desktop flow named "${args.flowName}".`,
        );
      }
      flow = match;
    } else {
      flow = await pickFlow(choice, 'Run a desktop flow');
    }
    return { ...choice, flow };
  }

  /** Inputs from the arguments, or asked for: an input file of the flow, or none. */
  private async chooseInputs(
    account: SignedInAccount,
    environment: EnvironmentRef,
    flow: DesktopFlow,
    args: RunStartArgs,
    lastFile: string | undefined,
    signal: AbortSignal,
  ): Promise<ChosenInputs> {
    if (args.noInputs === true) {
      return {};
    }
    if (args.inputs !== undefined) {
      let parsed: unknown = args.inputs;
      if (typeof args.inputs === 'string') {
        try {
          parsed = JSON.parse(args.inputs);
        } catch {
          throw new UserFacingError('The inputs given are not valid JSON.');
        }
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        throw new UserFacingError('The inputs must be a JSON object of input names and values.');
      }
      return this.inline(environment, flow.id, parsed as Record<string, unknown>, signal);
    }
    this.deps.controller.runAccounts.remember(environment.orgUrl, account);
    const schema = await this.deps.controller.schemas.get(environment.orgUrl, flow.id, signal);
    if (schema.inputs.variables.length === 0) {
      return {};
    }
    const files = await this.inputFilesOf(environment, flow, signal);
    type Item = vscode.QuickPickItem & { file?: vscode.Uri; browse?: boolean };
    const items: Item[] = files.map((file) => ({
      label: `${file.toString() === lastFile ? '$(history) ' : '$(json) '}${vscode.workspace.asRelativePath(file)}`,
      file,
    }));
    items.sort((a, b) => Number(b.file?.toString() === lastFile) - Number(a.file?.toString() === lastFile));
    items.push(
      {
        label: '$(circle-slash) No inputs',
        detail: "The flow's defaults apply; required inputs without one make the run fail.",
      },
      ...(this.deps.inputFiles === undefined
        ? []
        : [{ label: '$(folder-opened) Choose an input file…', browse: true }]),
    );
    const picked = await vscode.window.showQuickPick(items, {
      title: `Run "${flow.name}": inputs`,
      placeHolder: 'Input file',
    });
    if (picked === undefined) {
      throw new CancellationError();
    }
    if (picked.browse === true) {
      const chosen = await vscode.window.showOpenDialog({
        title: `Input file for "${flow.name}"`,
        canSelectMany: false,
        filters: { 'Input files': ['json'] },
      });
      const file = chosen?.[0];
      if (file === undefined) {
        throw new CancellationError();
      }
      return { inputFile: file.toString() };
    }
    return picked.file === undefined ? {} : { inputFile: picked.file.toString() };
  }

  /** Inputs given as values: sent as their JSON; shown masked per the flow's schema. */
  private async inline(
    environment: EnvironmentRef,
    flowId: string,
    values: Record<string, unknown>,
    signal: AbortSignal,
  ): Promise<ChosenInputs> {
    const schema = await this.deps.controller.schemas
      .get(environment.orgUrl, flowId, signal)
      .catch(() => undefined);
    return {
      inputs: JSON.stringify(values),
      maskedInputs: JSON.stringify(maskSensitive(values, schema?.inputs)),
    };
  }
}

/** True when the arguments set any run option. */
function hasOptionArgs(args: RunOptionArgs): boolean {
  return (
    args.connectionName !== undefined ||
    args.runMode !== undefined ||
    args.priority !== undefined ||
    args.timeoutSeconds !== undefined ||
    args.chooseOptions === true
  );
}
