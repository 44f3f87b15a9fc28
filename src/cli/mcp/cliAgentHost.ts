/**
 * The agent tools' host in the CLI: one `CliConnection` (sign-in as for every other command: service
 * principal, `DESKTOPFLOWS_TOKEN`, sandbox, or a device code whose prompt becomes a tool result), the
 * environment of `--env` as the default, and one `RunService` for the server's lifetime, so starts share
 * the rate limit and exactly-once bookkeeping.
 */
import type {
  AgentEnvironment,
  AgentHost,
  AgentInputFile,
  AgentTarget,
  AgentEnvironmentEntry,
} from '../../core/agent/agentHost';
import {
  AgentToolError,
  type AgentPreparedRun,
  type AgentRunStarter,
} from '../../core/agent/agentOperations';
import type { SecretResolver } from '../../core/inputs/secretReference';
import type { Logger } from '../../core/logger';
import type { DesktopFlow } from '../../core/model/flow';
import type { RunService } from '../../core/runs/runService';
import type { TriggeredRun } from '../../core/runs/runTrigger';
import type { ServiceSession } from '../../core/serviceSession';
import { CliConnection, type ConnectionSettings } from '../cliConnection';
import { CliError, describeFailure } from '../cliErrors';
import { CliOutput, type CliIo } from '../cliIo';
import { resolveEnvironment, type CliEnvironment } from '../environmentLookup';
import { resolveFlow } from '../flowLookup';
import { cliSecretResolver, readInputFile } from '../runInputFile';
import { createRunService } from '../runProgress';
import { SharedLoads } from '../../core/util/sharedLoads';

/** Notes go to stderr (stdout belongs to the protocol); a device-code prompt is also handed to the host. */
class McpOutput extends CliOutput {
  onNote: ((text: string) => void) | undefined;

  constructor(private readonly errIo: CliIo) {
    super(errIo);
  }

  override line(text = ''): void {
    this.note(text);
  }

  override json(value: unknown): void {
    this.note(JSON.stringify(value));
  }

  override note(text: string): void {
    super.note(text);
    this.onNote?.(text);
  }

  get stderrIo(): CliIo {
    return this.errIo;
  }
}

function agentEnvironment(e: CliEnvironment): AgentEnvironment {
  return {
    id: e.id,
    displayName: e.displayName,
    uniqueName: e.uniqueName,
    orgUrl: e.orgUrl,
    ref: e.ref,
    ...(e.region === undefined ? {} : { region: e.region }),
  };
}

/** Options of `CliAgentHost`. */
export interface CliAgentHostOptions {
  readonly io: CliIo;
  readonly settings: ConnectionSettings;
  readonly logger: Logger;
  /** Fastest status check of watched runs. */
  readonly pollMs: number;
  /** Ends with the server: sign-in and watching outlive single tool calls. */
  readonly lifetime: AbortSignal;
}

/** The CLI's `AgentHost` for one MCP server. */
export class CliAgentHost implements AgentHost {
  readonly surface = 'mcp' as const;
  readonly secretResolver: SecretResolver;
  private readonly out: McpOutput;
  private connection: CliConnection;
  private signingIn: Promise<ServiceSession> | undefined;
  private service: RunService | undefined;
  private readonly environments: SharedLoads<CliEnvironment>;

  constructor(private readonly options: CliAgentHostOptions) {
    this.environments = new SharedLoads(options.lifetime);
    // stdout is the protocol's: results never go there, not even by mistake.
    const stderrOnly: CliIo = { ...options.io, stdout: options.io.stderr };
    this.out = new McpOutput(stderrOnly);
    this.connection = this.connect();
    this.secretResolver = cliSecretResolver(options.io.env);
  }

  private connect(): CliConnection {
    // Device code is allowed although stdin is a pipe: its prompt is returned as a tool result.
    return new CliConnection(
      { ...this.out.stderrIo, stdin: undefined },
      { ...this.options.settings, deviceCode: true },
      this.options.logger,
      this.out,
    );
  }

  /**
   * The signed-in session. While a device-code sign-in waits for the user, the prompt is returned as an
   * `AgentToolError` (a tool result), and the sign-in goes on: the next call finds it done.
   */
  private async session(): Promise<ServiceSession> {
    if (this.signingIn === undefined) {
      const pending = this.connection.session(this.options.lifetime);
      this.signingIn = pending;
      pending.catch(() => {
        // A failed sign-in is not kept: the next call starts over.
        if (this.signingIn === pending) {
          this.signingIn = undefined;
          const old = this.connection;
          this.connection = this.connect();
          this.environments.clear();
          void old.dispose();
        }
      });
    }
    const pending = this.signingIn;
    let onPrompt: (text: string) => void = () => undefined;
    const prompt = new Promise<string>((resolve) => (onPrompt = resolve));
    this.out.onNote = (text) => onPrompt(text);
    try {
      const first = await Promise.race([
        pending.then((session) => ({ session })),
        prompt.then((text) => ({ text })),
      ]);
      if ('session' in first) {
        return first.session;
      }
      throw new AgentToolError(`Sign-in needed. ${first.text} Once signed in, call the tool again.`, {
        signInRequired: true,
        prompt: first.text,
      });
    } finally {
      this.out.onNote = undefined;
    }
  }

  async listEnvironments(signal: AbortSignal): Promise<AgentEnvironmentEntry[]> {
    const session = await this.session();
    const list = await session.environments.list(signal);
    let defaultOrg: string | undefined;
    if (this.defaultKey() !== undefined) {
      defaultOrg = await this.environment(undefined, signal).then(
        (e) => e.orgUrl.toLowerCase(),
        () => undefined,
      );
    }
    return list.map((environment) => ({
      environment,
      isToolDefault: environment.orgUrl.toLowerCase() === defaultOrg,
    }));
  }

  private defaultKey(): string | undefined {
    return this.options.settings.env ?? this.options.settings.defaultEnv;
  }

  private environment(key: string | undefined, signal: AbortSignal): Promise<CliEnvironment> {
    const wanted = key ?? this.defaultKey();
    if (wanted === undefined) {
      return Promise.reject(
        new AgentToolError(
          'No environment given and no default: pass `environment` ({listEnvironments} lists them), or start the server with --env.',
        ),
      );
    }
    // Shared by concurrent tool calls: one the client cancels does not cancel the others' lookup.
    return this.environments.get(
      wanted.trim().toLowerCase(),
      (shared) => this.session().then((s) => resolveEnvironment(s, wanted, shared, this.options.logger)),
      signal,
    );
  }

  async target(key: string | undefined, signal: AbortSignal): Promise<AgentTarget> {
    const session = await this.session();
    const environment = await this.environment(key, signal);
    const cloud = await this.connection.cloud(signal);
    return {
      session,
      environment: agentEnvironment(environment),
      limitBytes: cloud.endpoints.inputLimitBytes,
    };
  }

  findFlow(target: AgentTarget, key: string, signal: AbortSignal): Promise<DesktopFlow> {
    return resolveFlow(target.session, { ...target.environment }, key, signal);
  }

  /** The runs core over the session, built once. */
  async runs(signal: AbortSignal): Promise<RunService> {
    void signal;
    if (this.service === undefined) {
      const session = await this.session();
      this.service ??= createRunService(session, this.options.logger, this.options.pollMs);
    }
    return this.service;
  }

  async readInputFile(path: string, signal: AbortSignal): Promise<AgentInputFile> {
    void signal;
    if (path.trim() === '-') {
      throw new AgentToolError('`inputFile` must be a file path: stdin carries the protocol here.');
    }
    try {
      const file = await readInputFile(path, this.options.io);
      return { label: file.label, text: file.text };
    } catch (e) {
      if (CliError.is(e)) {
        throw new AgentToolError(e.message);
      }
      throw e;
    }
  }

  describeError(error: unknown): string {
    return describeFailure(error).message;
  }

  /** Starts a prepared run through the one `RunService` (rate limit, exactly once). */
  readonly start: AgentRunStarter = async (
    prepared: AgentPreparedRun,
    signal: AbortSignal,
  ): Promise<TriggeredRun> => {
    const service = await this.runs(signal);
    return service.start(prepared.run, signal);
  };

  async dispose(): Promise<void> {
    this.environments.dispose();
    this.service?.dispose();
    this.service = undefined;
    await this.connection.dispose();
  }
}
