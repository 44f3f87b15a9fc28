import * as vscode from 'vscode';
import type { Environment } from '../../core/model/environment';
import type { SignedInAccount } from '../accounts/signedInAccount';
import type { ExplorerNode } from '../tree/explorerNode';
import { FlowNode } from '../tree/flowNodes';
import { MessageNode } from '../tree/messageNode';
import type { FlowChildContributor } from '../tree/treeContext';
import { factsTooltip } from '../tree/treeFormat';
import type { FlowSchemaResolver } from './flowSchemaResolver';
import type { IndexedInputFile, InputFileIndex } from './inputFileIndex';

/** The flow a group of input files belongs to, as the tree passes it to contributors. */
export interface FlowRef {
  readonly environmentId: string;
  readonly orgUrl: string;
  readonly flowId: string;
  readonly flowName: string;
}

/** "Input files" under a flow: the workspace's input files whose `$schema` names the flow. */
export class InputFilesGroupNode implements ExplorerNode {
  readonly id: string;
  private count: number | undefined;

  constructor(
    readonly parent: ExplorerNode,
    readonly account: SignedInAccount,
    readonly environment: Environment,
    readonly flow: FlowRef,
    private readonly index: InputFileIndex,
  ) {
    this.id = `${parent.id}/inputFiles`;
  }

  getTreeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem('Input files', vscode.TreeItemCollapsibleState.Collapsed);
    item.id = this.id;
    item.iconPath = new vscode.ThemeIcon('json');
    item.description = this.count === undefined ? undefined : String(this.count);
    item.contextValue = 'inputFiles';
    item.tooltip = `Workspace JSON files whose "$schema" names this flow (desktopflows-schema:/${this.flow.flowId}.json). Use "New Input File…" on the flow to add one.`;
    return item;
  }

  async getChildren(signal: AbortSignal): Promise<ExplorerNode[]> {
    await this.index.ready(signal);
    const files = this.index.filesFor(this.flow.flowId, this.environment);
    this.count = files.length;
    if (files.length === 0) {
      return [
        new MessageNode(
          this,
          `${this.id}/empty`,
          'empty',
          'No input files',
          vscode.workspace.workspaceFolders?.length
            ? 'Use "New Input File…" on the flow to create one.'
            : 'Open a folder to keep input files with your project.',
        ),
      ];
    }
    return files.map((f) => new InputFileNode(this, f));
  }
}

/** One input file. Its `uri` is what Run with This Input File and Validate act on. */
export class InputFileNode implements ExplorerNode {
  readonly id: string;
  readonly uri: vscode.Uri;

  constructor(
    readonly parent: InputFilesGroupNode,
    readonly file: IndexedInputFile,
  ) {
    this.uri = file.uri;
    this.id = `${parent.id}/${file.uri.toString()}`;
  }

  getTreeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(this.uri, vscode.TreeItemCollapsibleState.None);
    item.id = this.id;
    item.label = this.uri.path.split('/').pop() ?? this.uri.path;
    const relative = vscode.workspace.asRelativePath(this.uri, true);
    const folder = relative.includes('/') ? relative.slice(0, relative.lastIndexOf('/')) : '';
    // The file is listed under the environment its `$schema` names (by id, unique name, display name or URL):
    // that environment's display name says which one, whatever the URI spells.
    const pinned =
      this.file.target?.environment === undefined ? undefined : this.parent.environment.displayName;
    item.description = [folder, pinned === undefined ? undefined : `env: ${pinned}`]
      .filter(Boolean)
      .join(' · ');
    item.contextValue = 'inputFile';
    item.command = { command: 'vscode.open', title: 'Open', arguments: [this.uri] };
    item.tooltip = factsTooltip(
      item.label,
      [
        ['File', relative],
        ['Flow', this.parent.flow.flowName],
        [
          'Environment',
          pinned === undefined ? "the workspace's default (the file does not name one)" : pinned,
        ],
      ],
      'Click to open. Right-click to run or validate.',
    );
    return item;
  }
}

/**
 * Adds "Input files" under every flow, and passes the schema the flow node just fetched to the resolver,
 * so a change made in the portal is noticed when the flow is expanded or refreshed.
 */
export class InputFilesContributor implements FlowChildContributor {
  /** Live group nodes by id, re-rendered when the index changes. */
  private readonly groups = new Map<string, WeakRef<InputFilesGroupNode>>();

  constructor(
    private readonly index: InputFileIndex,
    private readonly resolver: FlowSchemaResolver,
  ) {}

  children(flowNode: ExplorerNode, flow: FlowRef, account: SignedInAccount): ExplorerNode[] {
    if (!(flowNode instanceof FlowNode)) {
      return [];
    }
    const schemas = flowNode.loadedSchemas;
    if (schemas !== undefined) {
      this.resolver.observe({ account, environment: flowNode.environment }, flowNode.flow, schemas.inputs);
    }
    const group = new InputFilesGroupNode(flowNode, account, flowNode.environment, flow, this.index);
    this.groups.set(group.id, new WeakRef(group));
    return [group];
  }

  /** The group nodes still in the tree. */
  liveGroups(): InputFilesGroupNode[] {
    const live: InputFilesGroupNode[] = [];
    for (const [id, ref] of this.groups) {
      const node = ref.deref();
      if (node === undefined) {
        this.groups.delete(id);
      } else {
        live.push(node);
      }
    }
    return live;
  }
}
