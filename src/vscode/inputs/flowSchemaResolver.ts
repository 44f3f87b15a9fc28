import * as vscode from 'vscode';
import { compareSchemas, type SchemaComparison } from '../../core/inputs/compareSchemas';
import {
  parseDesktopFlowSchema,
  type DesktopFlowSchema,
  type ParsedFlowSchema,
} from '../../core/inputs/desktopFlowSchema';
import type { CachedFlowSchemas, FlowSchemaCache } from '../../core/inputs/flowSchemaCache';
import type { SchemaUriTarget } from '../../core/inputs/schemaUri';
import { inputLimitBytesFor } from '../../core/clouds';
import { ApiError, CancellationError } from '../../core/errors';
import type { Logger } from '../../core/logger';
import type { Environment } from '../../core/model/environment';
import type { DesktopFlow } from '../../core/model/flow';
import type { RawFlowSchema } from '../../core/model/flowSchema';
import { flowKey as orgFlowKey } from '../../core/runs/runKeys';
import type { AccountService } from '../accounts/accountService';
import type { SignedInAccount } from '../accounts/signedInAccount';
import type { ConfigurationService } from '../configuration';
import { describeError } from '../errorMessages';
import { DisposableBase } from '../disposableBase';

/** Where a flow lives: the account that reaches it and the environment. */
export interface FlowLocation {
  readonly account: SignedInAccount;
  readonly environment: Environment;
}

/** A flow and its input schema, found for a `$schema` URI (or for a flow picked in the UI). */
export interface ResolvedFlowSchema extends FlowLocation {
  readonly kind: 'resolved';
  /** Cache key: account, environment and flow. */
  readonly key: string;
  readonly flow: DesktopFlow;
  readonly parsed: ParsedFlowSchema;
  readonly schema: DesktopFlowSchema;
  /** The version before the last change seen in this session: renamed and removed inputs are explained with it. */
  readonly previousSchema: DesktopFlowSchema | undefined;
  /** The cloud's limit on the serialized inputs, in UTF-8 bytes. */
  readonly limitBytes: number;
  /** True when the environment is the workspace default (the URI names none). */
  readonly viaDefault: boolean;
}

/** Why a `$schema` URI could not be resolved. */
export type UnresolvedReason =
  'notSignedIn' | 'noDefaultEnvironment' | 'environmentNotFound' | 'flowNotFound' | 'failed';

export interface UnresolvedFlowSchema {
  readonly kind: 'unresolved';
  readonly reason: UnresolvedReason;
  /** What is wrong and what to do, in words for the `$schema` line. */
  readonly message: string;
  readonly error?: unknown;
}

export type FlowSchemaResolution = ResolvedFlowSchema | UnresolvedFlowSchema;

/** A flow's input schema changed between two fetches in this session. */
export interface FlowSchemaChange extends FlowLocation {
  readonly key: string;
  readonly flow: DesktopFlow;
  readonly previous: DesktopFlowSchema;
  readonly current: DesktopFlowSchema;
  readonly comparison: SchemaComparison;
}

/** The flow and input schema last seen for a flow (what a change is detected against). */
interface FlowEntry {
  readonly flow: DesktopFlow;
  readonly fingerprint: string;
  readonly parsed: ParsedFlowSchema;
  /** When the schemas it holds were loaded (epoch ms). */
  readonly loadedAt: number;
}

/**
 * How long "this flow does not exist" is remembered: live validation runs on every pause in typing,
 * and must not ask the service each time.
 */
const notFoundMemoryMs = 30_000;

/** The key of a flow as reached by an account: the account id and the core flow key (runKeys.ts). */
export function flowKey(account: SignedInAccount, environment: Environment, flowId: string): string {
  return `${account.id}\n${orgFlowKey(environment.orgUrl, flowId)}`;
}

/**
 * Finds the flow a `desktopflows-schema:` URI names (its environment, or the workspace default) and its
 * input schema, for the schema content provider, diagnostics, commands and run preparation. Schemas come
 * from the core `FlowSchemaCache` (loads shared, under the cache's own lifetime); every fetch (tree
 * expansion, explicit validation, a run) is compared with the version seen before, and a change fires
 * `onDidChangeSchema`.
 */
export class FlowSchemaResolver extends DisposableBase {
  private readonly changed = new vscode.EventEmitter<FlowSchemaChange>();
  /** Fires when a flow's input schema differs from the version seen before. */
  readonly onDidChangeSchema = this.changed.event;
  private readonly reset = new vscode.EventEmitter<void>();
  /** Fires when what a URI resolves to may have changed (accounts, default environment). */
  readonly onDidReset = this.reset.event;
  /** Per org and flow: what was seen last, and the version before the last change. */
  private readonly latest = new Map<string, FlowEntry>();
  private readonly previous = new Map<string, DesktopFlowSchema>();
  /** Flows found not to exist, until when (epoch ms). */
  private readonly missing = new Map<string, number>();

  /**
   * @param schemas the window's one schema cache (made by the composition root, shared with the runs and
   *   the tree); its loads read through the account `runAccounts` says reaches the org.
   * @param runAccounts the one answer to "which signed-in account reaches this org": a flow located here
   *   is remembered there, so the shared load reads through the account that located it.
   */
  constructor(
    private readonly accounts: AccountService,
    private readonly resolveDefault: (signal: AbortSignal) => Promise<FlowLocation | undefined>,
    private readonly config: ConfigurationService,
    private readonly log: Logger,
    private readonly schemas: FlowSchemaCache,
    private readonly runAccounts: { remember(orgUrl: string, account: SignedInAccount): void },
  ) {
    super();
    this.register(
      this.changed,
      this.reset,
      accounts.onDidChangeAccounts(() => this.reset.fire()),
      config.onDidChange((e) => {
        if (e.affects('defaultEnvironment')) {
          this.reset.fire();
        }
      }),
    );
  }

  /** Finds the environment a URI target means: its own, or the workspace default. */
  async locate(
    target: SchemaUriTarget,
    signal: AbortSignal,
  ): Promise<(FlowLocation & { viaDefault: boolean }) | UnresolvedFlowSchema> {
    if (this.accounts.accounts.length === 0) {
      return {
        kind: 'unresolved',
        reason: 'notSignedIn',
        message:
          'Sign in to check this file against its desktop flow: run "Desktop Flows: Sign In…" (or "Try the Sandbox").',
      };
    }
    try {
      if (target.environment !== undefined) {
        const found = await this.accounts.findEnvironment(target.environment, signal);
        return found
          ? { ...found, viaDefault: false }
          : {
              kind: 'unresolved',
              reason: 'environmentNotFound',
              message: `Environment "${target.environment}" in "$schema" is not reachable with the signed-in accounts. Check the environment id or org unique name, or sign in with an account that can reach it.`,
            };
      }
      const found = await this.resolveDefault(signal);
      if (found) {
        return { ...found, viaDefault: true };
      }
      const key = this.config.current.defaultEnvironment;
      return {
        kind: 'unresolved',
        reason: 'noDefaultEnvironment',
        message: key
          ? `"$schema" names no environment, and the workspace default environment "${key}" is not reachable with the signed-in accounts. Pick another with "Desktop Flows: Select Environment…", or sign in with an account that can reach it.`
          : `"$schema" names no environment, and this workspace has no default environment. Pick one with "Desktop Flows: Select Environment…" (status bar), or name it in the URI: desktopflows-schema:/<environment>/${target.flowId}.json.`,
      };
    } catch (e) {
      return this.failure(e);
    }
  }

  /** Resolves a `$schema` URI target to its flow and input schema. Never throws except CancellationError. */
  async resolve(
    target: SchemaUriTarget,
    signal: AbortSignal,
    options: { fresh?: boolean } = {},
  ): Promise<FlowSchemaResolution> {
    const location = await this.locate(target, signal);
    if ('kind' in location) {
      return location;
    }
    return this.resolveIn(location, target.flowId, signal, { ...options, viaDefault: location.viaDefault });
  }

  /** Resolves a flow in a known environment (New Input File, the tree). Never throws except CancellationError. */
  async resolveIn(
    location: FlowLocation,
    flowId: string,
    signal: AbortSignal,
    options: { fresh?: boolean; viaDefault?: boolean } = {},
  ): Promise<FlowSchemaResolution> {
    const { account, environment } = location;
    const key = flowKey(account, environment, flowId);
    const seen = orgFlowKey(environment.orgUrl, flowId);
    try {
      const missingUntil = this.missing.get(seen);
      if (missingUntil !== undefined && missingUntil > Date.now() && options.fresh !== true) {
        throw missingFlow(flowId);
      }
      this.runAccounts.remember(environment.orgUrl, account);
      const cached = await this.schemas.get(
        { orgUrl: environment.orgUrl, flowId, ...(options.fresh === true ? { notBefore: Date.now() } : {}) },
        signal,
      );
      let entry = this.latest.get(seen);
      if (entry === undefined || entry.loadedAt < cached.loadedAt) {
        // Schemas loaded since the flow was last read (or never read): read the flow (name, draft state).
        const flow = await readFlow(account, environment.orgUrl, flowId, signal);
        this.log.debug(`[inputs] read the input schema of "${flow.name}" in ${environment.displayName}`);
        this.remember(location, flowId, this.toEntry(flow, cached));
        entry = this.latest.get(seen);
      }
      this.missing.delete(seen);
      if (entry === undefined) {
        throw missingFlow(flowId);
      }
      return {
        kind: 'resolved',
        key,
        account,
        environment,
        flow: entry.flow,
        parsed: cached.inputs,
        schema: cached.inputs.schema,
        previousSchema: this.previous.get(seen),
        limitBytes: inputLimitBytesFor(account.session.cloud, environment.region),
        viaDefault: options.viaDefault === true,
      };
    } catch (e) {
      if (CancellationError.is(e) && signal.aborted) {
        throw e;
      }
      if (ApiError.is(e, 'notFound')) {
        this.missing.set(seen, Date.now() + notFoundMemoryMs);
        return {
          kind: 'unresolved',
          reason: 'flowNotFound',
          message: `Desktop flow ${flowId} does not exist in environment "${environment.displayName}", or you cannot see it. Check the flow id in "$schema"; if the flow is in another environment, name it in the URI (desktopflows-schema:/<environment>/${flowId}.json) or change the default environment.`,
          error: e,
        };
      }
      return this.failure(e);
    }
  }

  /**
   * Tells the resolver about a schema the tree read when a flow was expanded (through the same schema
   * cache), so a change made in the portal is noticed without another request.
   */
  observe(location: FlowLocation, flow: DesktopFlow, raw: RawFlowSchema | undefined): void {
    const parsed = parseDesktopFlowSchema(raw, 'inputs');
    this.remember(location, flow.id, {
      flow,
      fingerprint: fingerprintOf(parsed),
      parsed,
      loadedAt: Date.now(),
    });
  }

  /** Forgets cached schemas (they are fetched again on next use). */
  forget(): void {
    this.schemas.clear();
    this.missing.clear();
  }

  private failure(e: unknown): UnresolvedFlowSchema {
    if (CancellationError.is(e)) {
      throw e;
    }
    const description = describeError(e, "load the flow's input schema");
    return {
      kind: 'unresolved',
      reason: 'failed',
      message: description?.message ?? "Could not load the flow's input schema.",
      error: e,
    };
  }

  private toEntry(flow: DesktopFlow, cached: CachedFlowSchemas): FlowEntry {
    return {
      flow,
      fingerprint: fingerprintOf(cached.inputs),
      parsed: cached.inputs,
      loadedAt: cached.loadedAt,
    };
  }

  /** Notes the flow and input schema seen; true when the schema changed since the last time. */
  private remember(location: FlowLocation, flowId: string, entry: FlowEntry): boolean {
    const seen = orgFlowKey(location.environment.orgUrl, flowId);
    const before = this.latest.get(seen);
    this.latest.set(seen, entry);
    if (before === undefined || before.fingerprint === entry.fingerprint) {
      return false;
    }
    const comparison = compareSchemas(before.parsed.schema, entry.parsed.schema);
    this.previous.set(seen, before.parsed.schema);
    this.log.info(
      `[inputs] the inputs of "${entry.flow.name}" in ${location.environment.displayName} changed: ` +
        `${comparison.added.length} added, ${comparison.removed.length} removed, ${comparison.renamed.length} renamed, ` +
        `${comparison.typeChanged.length} retyped`,
    );
    this.changed.fire({
      ...location,
      key: flowKey(location.account, location.environment, flowId),
      flow: entry.flow,
      previous: before.parsed.schema,
      current: entry.parsed.schema,
      comparison,
    });
    return true;
  }
}

/** The flow (published, else its unpublished layer: a flow never published exists only as a draft). */
async function readFlow(
  account: SignedInAccount,
  orgUrl: string,
  flowId: string,
  signal: AbortSignal,
): Promise<DesktopFlow> {
  const flows = account.session.flows;
  try {
    return await flows.get(orgUrl, flowId, signal);
  } catch (e) {
    if (ApiError.is(e, 'notFound')) {
      return await flows.get(orgUrl, flowId, signal, { includeDrafts: true });
    }
    throw e;
  }
}

/** What a change of the input schema is detected by: the variables as the core reads them. */
function fingerprintOf(parsed: ParsedFlowSchema): string {
  return JSON.stringify(parsed.schema);
}

function missingFlow(flowId: string): ApiError {
  return new ApiError({
    reason: 'notFound',
    message: `Desktop flow ${flowId} was not found.`,
    status: 404,
    mayHaveReachedService: true,
  });
}
