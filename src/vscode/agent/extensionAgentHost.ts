import * as vscode from 'vscode';
import type {
  AgentEnvironment,
  AgentEnvironmentEntry,
  AgentHost,
  AgentInputFile,
  AgentTarget,
} from '../../core/agent/agentHost';
import {
  AgentToolError,
  type AgentPreparedRun,
  type AgentRunStarter,
} from '../../core/agent/agentOperations';
import { ApiError } from '../../core/errors';
import type { FlowSchemaCache } from '../../core/inputs/flowSchemaCache';
import type { SecretResolver } from '../../core/inputs/secretReference';
import type { Environment } from '../../core/model/environment';
import type { DesktopFlow } from '../../core/model/flow';
import type { RunService } from '../../core/runs/runService';
import type { TriggeredRun } from '../../core/runs/runTrigger';
import type { AccountService } from '../accounts/accountService';
import type { SignedInAccount } from '../accounts/signedInAccount';
import type { EnvironmentStatusBar } from '../environmentStatusBar';
import { describeError } from '../errorMessages';
import { UserFacingError } from '../registerCommand';
import type { ConfigurationService } from '../configuration';
import { describeRunError } from '../runs/runErrorWords';
import { runCoreSettings } from '../runs/runCoreSettings';
import type { RunsController } from '../runs/runsController';

/** What the extension's agent host is built from. */
export interface ExtensionAgentHostDeps {
  readonly accounts: AccountService;
  readonly environmentStatus: Pick<EnvironmentStatusBar, 'resolveDefault'>;
  readonly runs: RunsController;
  /** `${secret:NAME}` from SecretStorage, `${env:NAME}` from the extension host (the input files' resolver). */
  readonly secretResolver: SecretResolver;
  readonly config: Pick<ConfigurationService, 'current'>;
}

const guid = /^\{?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\}?$/i;

function agentEnvironment(e: Environment): AgentEnvironment {
  return {
    id: e.id,
    displayName: e.displayName,
    uniqueName: e.uniqueName,
    orgUrl: e.orgUrl,
    ref: { id: e.id, orgUrl: e.orgUrl, displayName: e.displayName },
    ...(e.region === undefined ? {} : { region: e.region }),
  };
}

/**
 * The agent tools' host in the extension: the signed-in accounts and their environments, the workspace
 * default environment, SecretStorage for `${secret:…}`, workspace files, and the window's one runs
 * controller, so runs started by a tool show in the status bar, transcript and "Recent runs" like any other.
 */
export class ExtensionAgentHost implements AgentHost {
  readonly surface = 'lm' as const;
  readonly secretResolver: SecretResolver;
  /** The window's one schema cache (the runs controller's, made by the composition root). */
  readonly schemas: FlowSchemaCache;

  constructor(private readonly deps: ExtensionAgentHostDeps) {
    this.secretResolver = deps.secretResolver;
    this.schemas = deps.runs.schemas;
  }

  private requireSignedIn(): void {
    if (this.deps.accounts.accounts.length === 0) {
      throw new AgentToolError(
        'Not signed in to Power Platform in VS Code. Ask the user to run "Desktop Flows: Sign In" (or "Try the Sandbox"), then call the tool again.',
      );
    }
  }

  async listEnvironments(signal: AbortSignal): Promise<AgentEnvironmentEntry[]> {
    this.requireSignedIn();
    const all = await this.deps.accounts.allEnvironments(signal);
    const preferred = await this.deps.environmentStatus.resolveDefault(signal).catch(() => undefined);
    return all.map(({ environment }) => ({
      environment,
      isToolDefault: preferred?.environment.orgUrl.toLowerCase() === environment.orgUrl.toLowerCase(),
    }));
  }

  async target(key: string | undefined, signal: AbortSignal): Promise<AgentTarget> {
    this.requireSignedIn();
    let found: { account: SignedInAccount; environment: Environment } | undefined;
    if (key === undefined) {
      found = await this.deps.environmentStatus.resolveDefault(signal);
      if (found === undefined) {
        throw new AgentToolError(
          'No environment given and no default environment is selected. Pass `environment` ({listEnvironments} lists them), or ask the user to run "Desktop Flows: Select Environment…".',
        );
      }
    } else {
      found = await this.deps.accounts.findEnvironment(key, signal);
      if (found === undefined) {
        throw new AgentToolError(
          `No signed-in account reaches an environment "${key}". {listEnvironments} lists the environments (by name, id or org URL).`,
        );
      }
    }
    // The one answer to "which account reaches this org": the run this tool may start goes through it.
    this.deps.runs.runAccounts.remember(found.environment.orgUrl, found.account);
    return {
      session: found.account.session,
      environment: agentEnvironment(found.environment),
      limitBytes: found.account.session.cloud.inputLimitBytes,
    };
  }

  async findFlow(target: AgentTarget, key: string, signal: AbortSignal): Promise<DesktopFlow> {
    const flows = target.session.flows;
    const org = target.environment.orgUrl;
    const where = target.environment.displayName ?? org;
    const wanted = key.trim();
    if (guid.test(wanted)) {
      const id = wanted.replace(/^\{|\}$/g, '').toLowerCase();
      try {
        return await flows.get(org, id, signal, { includeDrafts: true });
      } catch (e) {
        if (ApiError.is(e, 'notFound')) {
          throw new AgentToolError(`No desktop flow with id ${id} in ${where}. {listFlows} lists them.`);
        }
        throw e;
      }
    }
    const candidates = await flows.listAll(org, { includeDrafts: true, nameContains: wanted }, signal);
    const byId = new Map<string, DesktopFlow>();
    for (const f of candidates) {
      const seen = byId.get(f.id.toLowerCase());
      if (seen === undefined || (seen.isUnpublished && !f.isUnpublished)) {
        byId.set(f.id.toLowerCase(), f);
      }
    }
    const unique = [...byId.values()];
    let matches = unique.filter((f) => f.name === wanted);
    if (matches.length === 0) {
      matches = unique.filter((f) => f.name.toLowerCase() === wanted.toLowerCase());
    }
    if (matches.length === 1 && matches[0] !== undefined) {
      return matches[0];
    }
    if (matches.length > 1) {
      throw new AgentToolError(
        `${matches.length} desktop flows in ${where} are named "${wanted}" (${matches.map((f) => f.id).join(', ')}): give the flow id.`,
      );
    }
    const near = unique.map((f) => f.name).slice(0, 5);
    throw new AgentToolError(
      `No desktop flow named "${wanted}" in ${where}.${near.length > 0 ? ` Similar: ${near.map((n) => `"${n}"`).join(', ')}.` : ''} {listFlows} lists the flows; a flow id works too.`,
    );
  }

  runs(): Promise<RunService> {
    return Promise.resolve(this.deps.runs.core);
  }

  async readInputFile(path: string, signal: AbortSignal): Promise<AgentInputFile> {
    void signal;
    const uri = this.fileUri(path);
    if (!vscode.workspace.isTrusted) {
      throw new AgentToolError(
        'Input files are used only in a trusted workspace. Ask the user to trust the workspace, or pass `inputs` instead.',
      );
    }
    try {
      // An open editor's unsaved text is what the user sees and what the editor validates.
      const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
      const text = open?.getText() ?? new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
      return { label: vscode.workspace.asRelativePath(uri, false), text };
    } catch {
      throw new AgentToolError(
        `The input file ${path} cannot be read: check the path (relative to the workspace folder).`,
      );
    }
  }

  private fileUri(path: string): vscode.Uri {
    if (/^[a-z][a-z0-9+.-]+:\/\//i.test(path)) {
      return vscode.Uri.parse(path);
    }
    if (path.startsWith('/') || /^[a-z]:[\\/]/i.test(path)) {
      return vscode.Uri.file(path);
    }
    const folder = vscode.workspace.workspaceFolders?.[0];
    return folder === undefined
      ? vscode.Uri.file(path)
      : vscode.Uri.joinPath(folder.uri, ...path.split(/[\\/]/));
  }

  describeError(error: unknown): string {
    const words = describeRunError(error);
    if (words instanceof UserFacingError) {
      return words.message;
    }
    return describeError(words)?.message ?? (words instanceof Error ? words.message : String(words));
  }

  /**
   * Starts a prepared run with the window's one `RunService` (`RunService.start`): its events reach the
   * runs controller, so the run shows in the status bar, transcript and "Recent runs" like any other.
   */
  readonly start: AgentRunStarter = async (
    prepared: AgentPreparedRun,
    signal: AbortSignal,
  ): Promise<TriggeredRun> => {
    return this.deps.runs.core.start(prepared.run, signal, {
      followActionLog: true,
      resendWhenUncertain: runCoreSettings(this.deps.config.current).resendWhenUncertain,
    });
  };
}
