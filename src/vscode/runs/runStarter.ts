/**
 * Every way the extension starts a run ends here: the palette's "Run Desktop Flow…", a flow in the tree,
 * an input file (CodeLens, editor title, tree), Run Again (this window or history) and inline command
 * arguments. Each gathers what is missing (asking once), builds one `RunRequest` and hands it to
 * `RunsController.startRun` (core `prepareRun`, then `RunService.start`). Nothing else sends a run.
 */
import * as vscode from 'vscode';
import type { InputProblem } from '../../core/inputs/inputProblem';
import type { Environment } from '../../core/model/environment';
import type { DesktopFlow } from '../../core/model/flow';
import type { RunProblem } from '../../core/runs/prepareRun';
import type { RunSubject } from '../../core/runs/runEvents';
import type { EnvironmentRef } from '../../core/runs/runJournal';
import { flowKey, idKey, runKey } from '../../core/runs/runKeys';
import type { RunOptions } from '../../core/runs/runOptions';
import type { RunInputsSource, RunOrigin, RunRequest } from '../../core/runs/runRequest';
import type { AccountService } from '../accounts/accountService';
import type { SignedInAccount } from '../accounts/signedInAccount';
import { toAbortSignal } from '../cancellation';
import type { EnvironmentStatusBar } from '../environmentStatusBar';
import { revealProblem } from '../inputs/inputFileService';
import type { ConfigurationService } from '../configuration';
import type { Prompts } from '../prompts';
import type { Logger } from '../../core/logger';
import { UserFacingError } from '../registerCommand';
import {
  InputFileRefusedError,
  type InputFileForRun,
  type InputFileText,
  type RunInputFiles,
} from './runInputFiles';
import { blockingProblems, describeRunProblems } from './runProblemWords';
import { optionArgsOf, resolveRunOptions, type ChosenOptions, type RunOptionArgs } from './runOptionsPrompts';
import { enterInputs, offerToSaveEnteredInputs } from './runInputPrompts';
import { checkBeforeSending } from './runStartChecks';
import { pickRunEnvironment, pickRunFlow } from './runPickers';
import type { RunsController } from './runsController';
import { flowSchemas } from './sensitiveValues';
import { inputsToAsk } from '../../core/runs/enteredInputs';

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

/** An environment as `RunRequest` takes it once it is known: resolved, with the other names it goes by. */
function resolvedEnvironment(e: Environment): RunRequest['target']['environment'] {
  return {
    kind: 'resolved',
    ref: environmentRef(e),
    names: [e.displayName, e.id, e.uniqueName, e.orgUrl].filter(
      (n): n is string => n !== undefined && n !== '',
    ),
    ...(e.region === undefined ? {} : { region: e.region }),
  };
}

/** Inputs as chosen: a source for `prepareRun`, the file they came from (for Run Again), or typed values. */
interface ChosenInputs {
  readonly source: RunInputsSource;
  readonly file?: InputFileForRun;
  /** The values typed through "Enter inputs…" (offered to be saved as an input file once the run started). */
  readonly entered?: Readonly<Record<string, unknown>>;
}

/** Dependencies of `RunStarter`. */
export interface RunStarterDeps {
  readonly accounts: AccountService;
  readonly environmentStatus: Pick<EnvironmentStatusBar, 'resolveDefault'>;
  readonly controller: RunsController;
  readonly inputFiles: RunInputFiles | undefined;
  /** Every question of the start path goes through here (tests answer them from a queue). */
  readonly prompts: Prompts;
  readonly config: Pick<ConfigurationService, 'current' | 'inputsFolder'>;
  readonly log: Logger;
}

/** Gathers what a run needs (environment, flow, inputs, options), asking only for what is missing, and starts it. */
export class RunStarter {
  /**
   * What was typed through "Enter inputs…" per flow (`flowKey`) until a run with it is sent: escaping a later
   * question (options, a readiness check) or a refused run loses nothing, the boxes open with it next time.
   * Memory only; sensitive values reappear in password boxes.
   */
  private readonly typedInputs = new Map<string, Record<string, string>>();

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
    const origin: RunOrigin =
      target !== undefined ? 'tree' : args.inputs !== undefined ? 'inline' : 'palette';
    // Account, environment and flow are resolved once, here; an input file picked below is read, not re-resolved.
    const { account, environment, flow } = target ?? (await this.chooseFlow(args, signal));
    const remembered = this.deps.controller.memory.lastFor(environment.orgUrl, flow.id);
    const inputs = await this.chooseInputs(account, environment, flow, args, remembered?.inputFile, signal);
    let chosen: ChosenOptions = await resolveRunOptions(args, {
      prompts: this.deps.prompts,
      defaultTimeoutSeconds: this.deps.config.current.defaultTimeoutSeconds,
      account,
      environment,
      flowName: flow.name,
      remembered: remembered?.options,
    });
    const requestOf = (options: RunOptions): RunRequest => ({
      target: {
        environment: resolvedEnvironment(environment),
        flow: { kind: 'resolved', flow },
      },
      inputs: inputs.source,
      options,
      origin: inputs.file === undefined ? origin : 'inputFile',
    });
    // Options given whole as arguments (tasks, tests, agents) are never questioned: warnings go to the transcript.
    const interactive = !hasCompleteOptionArgs(args);
    for (;;) {
      const verdict = await checkBeforeSending(this.checkDeps(account), requestOf(chosen.options), {
        flowName: flow.name,
        interactive,
        confirmedFailure: chosen.confirmedFailure,
      });
      if (verdict === 'send') {
        break;
      }
      chosen = await resolveRunOptions(
        { ...args, chooseOptions: true },
        {
          prompts: this.deps.prompts,
          defaultTimeoutSeconds: this.deps.config.current.defaultTimeoutSeconds,
          account,
          environment,
          flowName: flow.name,
          remembered: chosen.options,
        },
      );
    }
    const started = await this.submit(account, requestOf(chosen.options), flow.name, inputs.file);
    if (inputs.entered !== undefined) {
      this.typedInputs.delete(flowKey(environment.orgUrl, flow.id));
    }
    if (inputs.entered !== undefined && this.deps.inputFiles !== undefined) {
      offerToSaveEnteredInputs(
        this.deps.inputFiles,
        environment,
        flow,
        inputs.entered,
        this.deps.controller.schemas,
        this.deps,
        this.deps.log,
      );
    }
    return started;
  }

  private checkDeps(account: SignedInAccount): Parameters<typeof checkBeforeSending>[0] {
    return {
      prompts: this.deps.prompts,
      session: account.session,
      schemas: this.deps.controller.schemas,
      transcript: (line) => this.deps.controller.transcript.appendStamped(line),
      ...(this.deps.inputFiles === undefined ? {} : { resolver: this.deps.inputFiles.secrets }),
    };
  }

  /**
   * "Run with This Input File": the file names the flow; trust is asked for first. `expect.flowId` refuses a
   * file of another flow; `expect.options` are used as they are unless the arguments give options.
   */
  async startFromFile(
    uri: vscode.Uri,
    args: RunStartArgs,
    expect: { readonly flowId?: string; readonly options?: RunOptions; readonly origin?: RunOrigin } = {},
  ): Promise<RunSubject> {
    const signal = AbortSignal.timeout(120_000);
    const file = await this.openFile(uri, signal);
    if (expect.flowId !== undefined && idKey(expect.flowId) !== idKey(file.flowId)) {
      throw new UserFacingError(
        `"${file.label}" is an input file of another flow, not of the flow being run.`,
      );
    }
    const remembered = this.deps.controller.memory.lastFor(file.environment.orgUrl, file.flowId);
    const flowName = await this.flowNameOf(file.account, file.environment, file.flowId, signal);
    const options =
      expect.options !== undefined && !hasOptionArgs(args)
        ? expect.options
        : (
            await resolveRunOptions(args, {
              prompts: this.deps.prompts,
              defaultTimeoutSeconds: this.deps.config.current.defaultTimeoutSeconds,
              account: file.account,
              environment: file.environment,
              flowName,
              remembered: expect.options ?? remembered?.options,
            })
          ).options;
    return this.submit(
      file.account,
      {
        target: {
          environment: resolvedEnvironment(file.environment),
          flow: { kind: 'key', key: file.flowId },
        },
        inputs: { kind: 'file', text: file.text, label: file.label },
        options,
        origin: expect.origin ?? 'inputFile',
      },
      flowName,
      file,
    );
  }

  /**
   * "Run Again": the same options and the same inputs, without asking. A run started from an input file in
   * this window reads that file again; any other run sends the inputs the service stored for it, checked
   * against the flow's current schema (what no longer fits is shown, and nothing is sent).
   */
  async runAgain(subject: RunSubject, args: RunStartArgs): Promise<RunSubject> {
    const { controller } = this.deps;
    const signal = AbortSignal.timeout(120_000);
    const launch = controller.memory.launchOf(runKey(subject.environment.orgUrl, subject.runId));
    if (launch?.inputFile !== undefined) {
      return this.startFromFile(vscode.Uri.parse(launch.inputFile), args, {
        flowId: subject.flowId,
        options: launch.options,
        origin: 'runAgain',
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
    const remembered =
      launch?.options ?? controller.memory.lastFor(subject.environment.orgUrl, subject.flowId)?.options;
    const options =
      remembered !== undefined && !hasOptionArgs(args)
        ? remembered
        : (
            await resolveRunOptions(args, {
              prompts: this.deps.prompts,
              defaultTimeoutSeconds: this.deps.config.current.defaultTimeoutSeconds,
              account,
              environment: {
                ...subject.environment,
                displayName: subject.environment.displayName ?? subject.environment.orgUrl,
              },
              flowName,
              remembered,
            })
          ).options;
    return this.submit(
      account,
      {
        target: {
          environment: { kind: 'resolved', ref: subject.environment },
          flow: { kind: 'key', key: subject.flowId },
        },
        inputs: { kind: 'run', runId: subject.runId },
        options,
        origin: 'runAgain',
      },
      flowName,
    );
  }

  /** Prepares and starts the run; refuses it in words (with the file's problems in the Problems panel). */
  private async submit(
    account: SignedInAccount,
    request: RunRequest,
    flowName: string,
    file?: InputFileForRun,
  ): Promise<RunSubject> {
    const { controller } = this.deps;
    const result = await vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: `Starting "${flowName}"…`,
        cancellable: true,
      },
      (_progress, token) =>
        controller.startRun(
          {
            account,
            request,
            flowName,
            ...(file === undefined ? {} : { inputFile: file.document.uri.toString() }),
          },
          toAbortSignal(token),
        ),
    );
    if (file !== undefined) {
      this.showFileProblems(file, result.ok ? result.warnings : result.problems);
    }
    if (!result.ok) {
      throw this.refusal(flowName, result.problems, file);
    }
    const run = result.run;
    return {
      environment: run.environment,
      flowId: run.flowId,
      flowName: run.display.flowName,
      runId: run.runId,
    };
  }

  private refusal(
    flowName: string,
    problems: readonly RunProblem[],
    file: InputFileForRun | undefined,
  ): Error {
    const first = blockingProblems(problems)[0];
    const located = first?.located === true ? first.input : undefined;
    const actions =
      file === undefined
        ? []
        : [
            { title: 'Go to Problem', run: () => revealProblem(file.document.uri, located) },
            {
              title: 'Show Problems',
              run: () => vscode.commands.executeCommand('workbench.actions.view.problems'),
            },
          ];
    return new UserFacingError(describeRunProblems(flowName, problems), actions);
  }

  /** An input file's located problems (and warnings) in the Problems panel. */
  private showFileProblems(file: InputFileForRun, problems: readonly RunProblem[]): void {
    const inputs = problems
      .filter((p) => p.located === true && p.input !== undefined)
      .map((p) => p.input as InputProblem);
    this.requireInputFiles().showProblems(file.document, inputs);
  }

  /** Reads an input file (trust is asked for first: an untrusted file's references are never resolved). */
  private async readFile(uri: vscode.Uri): Promise<InputFileText> {
    const inputFiles = this.requireInputFiles();
    if (!(await inputFiles.ensureTrustedForRun())) {
      throw new UserFacingError(
        'The run was not started: running from an input file needs a trusted workspace.',
      );
    }
    try {
      return await inputFiles.read(uri);
    } catch (e) {
      if (e instanceof InputFileRefusedError) {
        // Like a refusal by prepareRun: in the transcript too, not only in the notification.
        this.deps.controller.transcript.appendStamped(e.message);
      }
      throw e;
    }
  }

  /** Reads an input file and finds the environment its `$schema` names. */
  private async openFile(uri: vscode.Uri, signal: AbortSignal): Promise<InputFileForRun> {
    const file = await this.readFile(uri);
    return vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: 'Finding the flow of the input file…' },
      () => this.requireInputFiles().locate(file, signal),
    );
  }

  private async flowNameOf(
    account: SignedInAccount,
    environment: Environment,
    flowId: string,
    signal: AbortSignal,
  ): Promise<string> {
    try {
      return (await account.session.flows.get(environment.orgUrl, flowId, signal, { includeDrafts: true }))
        .name;
    } catch {
      // prepareRun says precisely what is wrong with the flow; until then, its id names it.
      return flowId;
    }
  }

  private requireInputFiles(): RunInputFiles {
    if (this.deps.inputFiles === undefined) {
      throw new UserFacingError('Input files are not available in this window, so the run cannot use one.');
    }
    return this.deps.inputFiles;
  }

  /** The flow's input files in this workspace, when the input service can list them. */
  private async inputFilesOf(
    environment: Environment,
    flow: DesktopFlow,
    signal: AbortSignal,
  ): Promise<vscode.Uri[]> {
    const index = this.deps.inputFiles?.index;
    if (index === undefined) {
      return [];
    }
    await index.ready(signal);
    return index.filesFor(flow.id, environment).map((f) => f.uri);
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
      // Don't ask what is known: the workspace default environment is used, and the flow pick offers a change.
      const preferred = await environmentStatus.resolveDefault(signal).catch(() => undefined);
      choice =
        preferred ??
        (await pickRunEnvironment(
          this.deps.prompts,
          accounts,
          undefined,
          'Run a desktop flow: environment',
          signal,
        ));
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
      for (;;) {
        const picked = await pickRunFlow(this.deps.prompts, choice, 'Run a desktop flow', signal);
        if (picked !== 'changeEnvironment') {
          flow = picked;
          break;
        }
        choice = await pickRunEnvironment(
          this.deps.prompts,
          accounts,
          choice.environment.id,
          'Run a desktop flow: environment',
          signal,
        );
      }
    }
    return { ...choice, flow };
  }

  /** Inputs from the arguments, or asked for: an input file of the flow, or none. */
  private async chooseInputs(
    account: SignedInAccount,
    environment: Environment,
    flow: DesktopFlow,
    args: RunStartArgs,
    lastFile: string | undefined,
    signal: AbortSignal,
  ): Promise<ChosenInputs> {
    if (args.noInputs === true) {
      return { source: { kind: 'none' } };
    }
    if (args.inputs !== undefined) {
      let parsed: unknown = args.inputs;
      if (typeof args.inputs === 'string') {
        try {
          parsed = JSON.parse(args.inputs);
        } catch {
          throw new UserFacingError(
            `"${flow.name}" was not started; nothing was sent. The inputs given are not valid JSON: give a JSON object of input names and values.`,
          );
        }
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        throw new UserFacingError(
          `"${flow.name}" was not started; nothing was sent. The inputs must be a JSON object of input names and values.`,
        );
      }
      return { source: { kind: 'values', values: parsed as Record<string, unknown> } };
    }
    this.deps.controller.runAccounts.remember(environment.orgUrl, account);
    const schema = await flowSchemas(this.deps.controller.schemas, environment.orgUrl, flow.id, signal);
    if (schema.inputs.variables.length === 0) {
      return { source: { kind: 'none' } };
    }
    // Only files that are still there: the index can lag behind a deletion.
    const indexed = await this.inputFilesOf(environment, flow, signal);
    const present = await Promise.all(
      indexed.map((file) =>
        Promise.resolve(vscode.workspace.fs.stat(file)).then(
          () => true,
          () => false,
        ),
      ),
    );
    const files = indexed.filter((_, i) => present[i]);
    type Item = vscode.QuickPickItem & { file?: vscode.Uri; browse?: boolean; enter?: 'needed' | 'all' };
    const items: Item[] = files.map((file) => ({
      label: `${file.toString() === lastFile ? '$(history) ' : '$(json) '}${vscode.workspace.asRelativePath(file)}`,
      file,
    }));
    items.sort((a, b) => Number(b.file?.toString() === lastFile) - Number(a.file?.toString() === lastFile));
    const variables = schema.inputs.variables;
    const required = variables.filter((v) => v.requirement === 'required' && !v.hasDefault);
    const withoutDefault = inputsToAsk(variables, false);
    const enterItems: Item[] = [
      ...(withoutDefault.length > 0
        ? [
            {
              label: '$(edit) Enter inputs…',
              description: `${withoutDefault.map((v) => v.name).join(', ')}`,
              detail:
                withoutDefault.length === variables.length
                  ? 'One box per input, checked as you type.'
                  : 'One box per input without a default; the defaults apply to the others.',
              enter: 'needed' as const,
            },
          ]
        : []),
      ...(withoutDefault.length < variables.length
        ? [
            {
              label: '$(edit) Enter all inputs…',
              detail: 'One box per input, prefilled with its default.',
              enter: 'all' as const,
            },
          ]
        : []),
    ];
    // Required inputs are never skipped silently: with some lacking a default, typing them comes first
    // (unless the flow has input files) and "No inputs" is not offered, as the run would be refused.
    const none: Item[] =
      required.length > 0
        ? []
        : [{ label: '$(circle-slash) No inputs', detail: "The flow's defaults apply." }];
    const browse: Item[] =
      this.deps.inputFiles === undefined
        ? []
        : [{ label: '$(folder-opened) Choose an input file…', browse: true }];
    if (required.length > 0 && files.length === 0) {
      items.unshift(...enterItems);
      items.push(...browse);
    } else {
      items.push(...none, ...enterItems, ...browse);
    }
    const picked = await this.deps.prompts.pick(items, {
      title: `Run "${flow.name}": inputs`,
      placeHolder:
        required.length > 0
          ? `Required: ${required.map((v) => v.name).join(', ')}`
          : 'Input file, typed values, or none',
    });
    if (picked.enter !== undefined) {
      const key = flowKey(environment.orgUrl, flow.id);
      const typed = this.typedInputs.get(key) ?? {};
      this.typedInputs.set(key, typed);
      const values = await enterInputs(
        this.deps.prompts,
        flow.name,
        inputsToAsk(variables, picked.enter === 'all'),
        typed,
      );
      return { source: { kind: 'values', values }, entered: values };
    }
    let uri = picked.file;
    if (picked.browse === true) {
      uri = (
        await this.deps.prompts.open({
          title: `Input file for "${flow.name}"`,
          canSelectMany: false,
          filters: { 'Input files': ['json'] },
        })
      )[0];
    }
    if (uri === undefined) {
      return { source: { kind: 'none' } };
    }
    // The file is read for its text; the flow and environment stay the ones chosen above (prepareRun
    // refuses a file whose "$schema" names another flow or environment).
    const file = await this.readFile(uri);
    return {
      source: { kind: 'file', text: file.text, label: file.label },
      file: { ...file, account, environment, flowId: flow.id },
    };
  }
}

/** True when the arguments set any run option. */
/** True when the arguments give every option a run needs (nothing is asked). */
function hasCompleteOptionArgs(args: RunOptionArgs): boolean {
  return args.connectionName !== undefined && args.runMode !== undefined && args.chooseOptions !== true;
}

function hasOptionArgs(args: RunOptionArgs): boolean {
  return (
    args.connectionName !== undefined ||
    args.runMode !== undefined ||
    args.priority !== undefined ||
    args.timeoutSeconds !== undefined ||
    args.chooseOptions === true
  );
}
