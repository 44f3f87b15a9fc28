/**
 * What the agent tools need from the front end they run in (the CLI's MCP server or the extension):
 * where to find environments and flows as the signed-in account sees them, the one `RunService` of that
 * front end, how secrets and input files are read, and the words for errors. Everything else (what the
 * tools check, send and return) is shared in `agentOperations.ts`.
 */
import type { AgentSurface } from './agentToolCatalog';
import type { FlowSchemaCache } from '../inputs/flowSchemaCache';
import type { SecretResolver } from '../inputs/secretReference';
import type { Environment } from '../model/environment';
import type { DesktopFlow } from '../model/flow';
import type { RunService } from '../runs/runService';
import type { EnvironmentRef } from '../runs/runJournal';
import type { ServiceSession } from '../serviceSession';

/** The environment a tool works in. */
export interface AgentEnvironment {
  readonly id: string | undefined;
  readonly displayName: string | undefined;
  readonly uniqueName: string | undefined;
  readonly orgUrl: string;
  readonly ref: EnvironmentRef;
  /** Discovery region code, when known (the China cloud's inputs limit differs). */
  readonly region?: string;
}

/** An environment with the session that reaches it. */
export interface AgentTarget {
  readonly session: ServiceSession;
  readonly environment: AgentEnvironment;
  /** The cloud's limit on the serialized inputs (`CloudEndpoints.inputLimitBytes`). */
  readonly limitBytes: number;
}

/** An input file as read. */
export interface AgentInputFile {
  /** How problems name it (a workspace-relative path or the path given). */
  readonly label: string;
  readonly text: string;
}

/** What the surface needs to know about one environment in a list. */
export interface AgentEnvironmentEntry {
  readonly environment: Environment;
  /** True for the environment tools use when none is given. */
  readonly isToolDefault: boolean;
}

/** The front end the tools run in. */
export interface AgentHost {
  /** Which tool names results mention. */
  readonly surface: AgentSurface;
  /** Every environment the signed-in account(s) reach. */
  listEnvironments(signal: AbortSignal): Promise<AgentEnvironmentEntry[]>;
  /**
   * The environment `key` names (display name, id, unique name or org URL), else the default one. Throws
   * `AgentToolError` when there is none or it is unknown.
   */
  target(key: string | undefined, signal: AbortSignal): Promise<AgentTarget>;
  /** The flow `key` names (id or exact name); `AgentToolError` when none or several match. */
  findFlow(target: AgentTarget, key: string, signal: AbortSignal): Promise<DesktopFlow>;
  /** The front end's one runs core: history, details, cancel, watching (and, through it, starting). */
  runs(signal: AbortSignal): Promise<RunService>;
  /** Reads an input file named by a tool argument. `AgentToolError` when it cannot be read. */
  readInputFile(path: string, signal: AbortSignal): Promise<AgentInputFile>;
  /** Resolves `${env:NAME}` / `${secret:NAME}` at run time. */
  readonly secretResolver: SecretResolver;
  /** The front end's one flow-schema cache, when it keeps one (the extension); else each run loads its own. */
  readonly schemas?: FlowSchemaCache;
  /** A sentence saying what went wrong and what to do, for any error the core throws. */
  describeError(error: unknown): string;
}
