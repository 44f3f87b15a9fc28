/**
 * Registrations that exist from activation while the code behind them loads on first use (see
 * CONTRIBUTING.md, "Adding a feature without slowing activation"). At activation, the composition root
 * registers a stand-in for each document scheme (a content provider or a read-only file system) and
 * language-model tool a lazily loaded feature serves; the stand-in loads the feature on first use and hands
 * the call to what the feature registered (a scheme whose documents only the feature's memory holds needs
 * not load it: before it has loaded no such document exists, `heldDocumentsOnFirstUse`). Feature code
 * registers through `registerContentProvider`, `registerFileSystemProvider` and `registerTool` below: when a
 * stand-in exists they attach to it, otherwise they register with VS Code directly. (Commands work the same
 * way through `registerCommand` and `commandsOnFirstUse` in registerCommand.ts.)
 */
import * as vscode from 'vscode';

type Load = () => Promise<unknown>;

interface ProviderSlot {
  readonly load: Load;
  readonly changed: vscode.EventEmitter<vscode.Uri>;
  provider: vscode.TextDocumentContentProvider | undefined;
}

const providerSlots = new Map<string, ProviderSlot>();

/**
 * A content provider for `scheme` that loads the feature (`load`) on its first request and then serves
 * what the feature registered through `registerContentProvider`. Documents restored in a reloaded window
 * (and schemas the JSON language service asks for) are served without loading the feature at activation.
 */
export function contentProviderOnFirstUse(scheme: string, load: Load): vscode.Disposable {
  const slot: ProviderSlot = { load, changed: new vscode.EventEmitter<vscode.Uri>(), provider: undefined };
  providerSlots.set(scheme, slot);
  const registration = vscode.workspace.registerTextDocumentContentProvider(scheme, {
    onDidChange: slot.changed.event,
    async provideTextDocumentContent(uri, token) {
      await slot.load();
      if (slot.provider === undefined) {
        throw new Error(`The feature loaded for ${scheme}: documents registered no content provider.`);
      }
      return slot.provider.provideTextDocumentContent(uri, token);
    },
  });
  return {
    dispose: () => {
      registration.dispose();
      slot.changed.dispose();
      if (providerSlots.get(scheme) === slot) {
        providerSlots.delete(scheme);
      }
    },
  };
}

/** `workspace.registerTextDocumentContentProvider`, attaching to the stand-in of `scheme` when there is one. */
export function registerContentProvider(
  scheme: string,
  provider: vscode.TextDocumentContentProvider,
): vscode.Disposable {
  const slot = providerSlots.get(scheme);
  if (slot === undefined) {
    return vscode.workspace.registerTextDocumentContentProvider(scheme, provider);
  }
  slot.provider = provider;
  const changes = provider.onDidChange?.((uri) => slot.changed.fire(uri));
  return {
    dispose: () => {
      changes?.dispose();
      if (slot.provider === provider) {
        slot.provider = undefined;
      }
    },
  };
}

interface FileSystemSlot {
  readonly changed: vscode.EventEmitter<vscode.FileChangeEvent[]>;
  provider: vscode.FileSystemProvider | undefined;
}

const fileSystemSlots = new Map<string, FileSystemSlot>();

/** How every read-only document scheme is registered, by its stand-in or by the feature. */
export const readOnlyFileSystemOptions = { isReadonly: true, isCaseSensitive: true } as const;

/**
 * A read-only file system for `scheme` that loads the feature (`load`) on its first request and then hands every call
 * to the provider the feature registered through `registerFileSystemProvider`, whose changes it reports. So a
 * document restored in a reloaded window opens without loading the feature at activation.
 */
export function readOnlyFileSystemOnFirstUse(scheme: string, load: Load): vscode.Disposable {
  return fileSystemStandIn(scheme, async (slot) => {
    await load();
    if (slot.provider === undefined) {
      throw new Error(`The feature loaded for ${scheme}: documents registered no file system.`);
    }
    return slot.provider;
  });
}

/**
 * A read-only file system for `scheme`, whose documents the feature that makes them holds only in memory
 * (`ReadOnlyDocuments`): until the feature registers its provider through `registerFileSystemProvider`, this
 * window has made no document of the scheme, so every one asked for (an editor or a Markdown preview restored
 * after a window reload) reads as `missingText` without loading the feature. Once the feature has registered,
 * every call goes to its provider (which answers a document it does not hold with the same text).
 */
export function heldDocumentsOnFirstUse(scheme: string, missingText: string): vscode.Disposable {
  const missing = new TextEncoder().encode(missingText);
  const none: vscode.FileSystemProvider = {
    onDidChangeFile: () => new vscode.Disposable(() => undefined),
    watch: () => new vscode.Disposable(() => undefined),
    stat: () => ({
      type: vscode.FileType.File,
      ctime: 0,
      mtime: 0,
      size: missing.byteLength,
      permissions: vscode.FilePermission.Readonly,
    }),
    readFile: () => missing,
    readDirectory: (uri) => {
      throw vscode.FileSystemError.FileNotADirectory(uri);
    },
    createDirectory: (uri) => {
      throw vscode.FileSystemError.NoPermissions(uri);
    },
    writeFile: (uri) => {
      throw vscode.FileSystemError.NoPermissions(uri);
    },
    delete: (uri) => {
      throw vscode.FileSystemError.NoPermissions(uri);
    },
    rename: (uri) => {
      throw vscode.FileSystemError.NoPermissions(uri);
    },
  };
  return fileSystemStandIn(scheme, (slot) => Promise.resolve(slot.provider ?? none));
}

/** Registers the stand-in of `scheme`: every call goes to what `provider` answers for its slot at that moment. */
function fileSystemStandIn(
  scheme: string,
  provider: (slot: FileSystemSlot) => Promise<vscode.FileSystemProvider>,
): vscode.Disposable {
  const slot: FileSystemSlot = {
    changed: new vscode.EventEmitter<vscode.FileChangeEvent[]>(),
    provider: undefined,
  };
  fileSystemSlots.set(scheme, slot);
  const loaded = (): Promise<vscode.FileSystemProvider> => provider(slot);
  const stand: vscode.FileSystemProvider = {
    onDidChangeFile: slot.changed.event,
    // Before the feature registers there is nothing to watch; its changes are reported once it has.
    watch: (uri, watchOptions) =>
      slot.provider?.watch(uri, watchOptions) ?? new vscode.Disposable(() => undefined),
    stat: async (uri) => (await loaded()).stat(uri),
    readFile: async (uri) => (await loaded()).readFile(uri),
    readDirectory: async (uri) => (await loaded()).readDirectory(uri),
    createDirectory: async (uri) => (await loaded()).createDirectory(uri),
    writeFile: async (uri, content, writeOptions) => (await loaded()).writeFile(uri, content, writeOptions),
    delete: async (uri, deleteOptions) => (await loaded()).delete(uri, deleteOptions),
    rename: async (from, to, renameOptions) => (await loaded()).rename(from, to, renameOptions),
  };
  const registration = vscode.workspace.registerFileSystemProvider(scheme, stand, readOnlyFileSystemOptions);
  return {
    dispose: () => {
      registration.dispose();
      slot.changed.dispose();
      if (fileSystemSlots.get(scheme) === slot) {
        fileSystemSlots.delete(scheme);
      }
    },
  };
}

/** `workspace.registerFileSystemProvider`, attaching to the stand-in of `scheme` when there is one. */
export function registerFileSystemProvider(
  scheme: string,
  provider: vscode.FileSystemProvider,
  options: { readonly isCaseSensitive?: boolean; readonly isReadonly?: boolean },
): vscode.Disposable {
  const slot = fileSystemSlots.get(scheme);
  if (slot === undefined) {
    return vscode.workspace.registerFileSystemProvider(scheme, provider, options);
  }
  slot.provider = provider;
  const changes = provider.onDidChangeFile((events) => slot.changed.fire(events));
  return {
    dispose: () => {
      changes.dispose();
      if (slot.provider === provider) {
        slot.provider = undefined;
      }
    },
  };
}

interface ToolSlot {
  readonly load: Load;
  tool: vscode.LanguageModelTool<unknown> | undefined;
}

const toolSlots = new Map<string, ToolSlot>();

/** True when this VS Code has the language-model tools API. */
export function hasToolsApi(): boolean {
  return typeof vscode.lm?.registerTool === 'function';
}

/**
 * Registers the language-model tools `names` (package.json `languageModelTools`) at activation; the first
 * call of any loads the feature (`load`), whose `registerTool` calls provide the implementations.
 */
export function toolsOnFirstUse(names: readonly string[], load: Load): vscode.Disposable[] {
  if (!hasToolsApi()) {
    return [];
  }
  return names.map((name) => {
    const slot: ToolSlot = { load, tool: undefined };
    toolSlots.set(name, slot);
    const loaded = async (): Promise<vscode.LanguageModelTool<unknown>> => {
      await slot.load();
      if (slot.tool === undefined) {
        throw new Error(`The feature loaded for the tool ${name} registered no implementation.`);
      }
      return slot.tool;
    };
    const registration = vscode.lm.registerTool<unknown>(name, {
      prepareInvocation: async (options, token) => (await loaded()).prepareInvocation?.(options, token),
      invoke: async (options, token) => (await loaded()).invoke(options, token),
    });
    return {
      dispose: () => {
        registration.dispose();
        if (toolSlots.get(name) === slot) {
          toolSlots.delete(name);
        }
      },
    };
  });
}

/** `lm.registerTool`, attaching to the stand-in of `name` when there is one. */
export function registerTool(name: string, tool: vscode.LanguageModelTool<unknown>): vscode.Disposable {
  const slot = toolSlots.get(name);
  if (slot === undefined) {
    return vscode.lm.registerTool(name, tool);
  }
  slot.tool = tool;
  return {
    dispose: () => {
      if (slot.tool === tool) {
        slot.tool = undefined;
      }
    },
  };
}

interface TreeSlot {
  readonly load: Load;
  readonly view: vscode.TreeView<unknown>;
  readonly changed: vscode.EventEmitter<unknown>;
  provider: vscode.TreeDataProvider<unknown> | undefined;
}

const treeSlots = new Map<string, TreeSlot>();

/**
 * The tree view `viewId`, created at activation with a provider that loads the feature (`load`) the first time
 * the view asks for its rows, then hands every call to the provider the feature passes to `createTreeView`.
 * So a view opened before anything else loaded the feature shows its rows, not "no data provider".
 */
export function treeViewOnFirstUse(viewId: string, load: Load): vscode.Disposable {
  const changed = new vscode.EventEmitter<unknown>();
  const provider = (): vscode.TreeDataProvider<unknown> => {
    if (slot.provider === undefined) {
      throw new Error(`The feature loaded for the ${viewId} view registered no tree data provider.`);
    }
    return slot.provider;
  };
  const stand: vscode.TreeDataProvider<unknown> = {
    onDidChangeTreeData: changed.event,
    async getChildren(element) {
      await slot.load();
      return provider().getChildren(element);
    },
    getTreeItem: (element) => provider().getTreeItem(element),
    getParent: (element) => provider().getParent?.(element),
    resolveTreeItem: (item, element, token) => provider().resolveTreeItem?.(item, element, token) ?? item,
  };
  const view = vscode.window.createTreeView(viewId, { treeDataProvider: stand, showCollapseAll: false });
  const slot: TreeSlot = { load, view, changed, provider: undefined };
  treeSlots.set(viewId, slot);
  return {
    dispose: () => {
      view.dispose();
      changed.dispose();
      if (treeSlots.get(viewId) === slot) {
        treeSlots.delete(viewId);
      }
    },
  };
}

/**
 * `window.createTreeView`, attaching to the stand-in of `viewId` when there is one: the feature gets the view
 * VS Code already shows (its title, description and message are the feature's to set), and disposing what it
 * gets back only detaches its provider.
 */
export function createTreeView<T>(viewId: string, options: vscode.TreeViewOptions<T>): vscode.TreeView<T> {
  const slot = treeSlots.get(viewId);
  if (slot === undefined) {
    return vscode.window.createTreeView(viewId, options);
  }
  const provider = options.treeDataProvider as vscode.TreeDataProvider<unknown>;
  slot.provider = provider;
  const changes = provider.onDidChangeTreeData?.((e) => slot.changed.fire(e));
  slot.changed.fire(undefined);
  const view = slot.view as vscode.TreeView<T>;
  return new Proxy(view, {
    get(target, key, receiver) {
      if (key === 'dispose') {
        return () => {
          changes?.dispose();
          if (slot.provider === provider) {
            slot.provider = undefined;
          }
        };
      }
      const value: unknown = Reflect.get(target, key, receiver);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
    set(target, key, value) {
      return Reflect.set(target, key, value);
    },
  });
}
