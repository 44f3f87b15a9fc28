import type { Logger } from '../../core/logger';
import type { Environment } from '../../core/model/environment';
import type { DesktopFlow } from '../../core/model/flow';
import type { FlowSchemas } from '../../core/model/flowSchema';
import type { SignedInAccount } from '../accounts/signedInAccount';
import type { ExplorerNode } from './explorerNode';

/** The explorer's view state shared by its nodes (filter, drafts, page size). */
export interface ExplorerViewState {
  /** Name filter for desktop flows; empty for none. */
  flowFilter: string;
  showDrafts: boolean;
  pageSize: number;
  /** The workspace's default environment id, marked in the tree. */
  defaultEnvironmentId: string | undefined;
}

/** Extra children a flow node shows, filled by later features (input files, recent runs). */
export interface FlowChildContributor {
  /** Awaited before `children` on each expand: a contributor loaded on first use loads here. */
  prepare?(): Promise<void>;
  children(
    flowNode: ExplorerNode,
    flow: { environmentId: string; orgUrl: string; flowId: string; flowName: string },
    account: SignedInAccount,
  ): ExplorerNode[];
}

/**
 * Reads a flow's schemas for its node (`fresh` after the node was refreshed). The features set the window's
 * one schema cache here (`ExplorerView.flowSchemas`), so the tree and the runs share one load.
 */
export type FlowSchemaSource = (
  account: SignedInAccount,
  environment: Environment,
  flow: DesktopFlow,
  signal: AbortSignal,
  fresh: boolean,
) => Promise<FlowSchemas>;

/** What every node needs: the account it belongs to, the view state, and a way to re-render itself. */
export interface TreeContext {
  readonly log: Logger;
  readonly view: ExplorerViewState;
  readonly rerender: (node: ExplorerNode | undefined) => void;
  readonly flowChildren: FlowChildContributor[];
  readonly flowSchemas: FlowSchemaSource;
}
