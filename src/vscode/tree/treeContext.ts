import type { Logger } from '../../core/logger';
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

/** What every node needs: the account it belongs to, the view state, and a way to re-render itself. */
export interface TreeContext {
  readonly log: Logger;
  readonly view: ExplorerViewState;
  readonly rerender: (node: ExplorerNode | undefined) => void;
  readonly flowChildren: FlowChildContributor[];
}
