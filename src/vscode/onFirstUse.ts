/**
 * Registrations that exist from activation while the code behind them loads on first use (see
 * CONTRIBUTING.md, "Adding a feature without slowing activation"). At activation, the composition root
 * registers a stand-in for each document scheme and language-model tool a lazily loaded feature serves;
 * the stand-in loads the feature on first use and hands the call to what the feature registered.
 * Feature code registers through `registerContentProvider` and `registerTool` below: when a stand-in
 * exists they attach to it, otherwise they register with VS Code directly. (Commands work the same way
 * through `registerCommand` and `commandsOnFirstUse` in registerCommand.ts.)
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
