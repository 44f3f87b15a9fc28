import * as vscode from 'vscode';
import { DisposableBase } from './disposableBase';
import {
  inputsFolderSegments,
  inputsFolderSettingId,
  normaliseConfig,
  settingIds,
  type DesktopFlowsConfig,
} from './configurationValues';

export type { DesktopFlowsConfig } from './configurationValues';

/** A change of settings, asked in terms of the typed fields. */
export interface ConfigurationChange {
  /** True when the change touches one of these fields. */
  affects(...fields: (keyof DesktopFlowsConfig)[]): boolean;
  /** True when the change touches `desktopFlows.inputs.folder` (of `folder`, when given). */
  affectsInputsFolder(folder?: vscode.WorkspaceFolder): boolean;
}

/**
 * The one configuration service: typed, normalised values (re-read once per change, not per use) and one
 * change listener for the whole extension. Resource-scoped settings are read with their resource
 * (`inputsFolder(folder)`), so the host log never warns about a resource setting read without one.
 */
export class ConfigurationService extends DisposableBase {
  private cached: DesktopFlowsConfig | undefined;
  private readonly changed = this.register(new vscode.EventEmitter<ConfigurationChange>());
  /**
   * Fires after a setting of ours (or one of VS Code's we depend on: `http.proxy`, `http.noProxy`,
   * `json.validate.enable`) changed; `current` is already new.
   */
  readonly onDidChange = this.changed.event;

  constructor() {
    super();
    this.register(
      vscode.workspace.onDidChangeConfiguration((e) => {
        const ours =
          e.affectsConfiguration('desktopFlows') ||
          Object.values(settingIds).some((id) => e.affectsConfiguration(id));
        if (!ours) {
          return;
        }
        this.cached = undefined;
        this.changed.fire({
          affects: (...fields) => fields.some((f) => e.affectsConfiguration(settingIds[f])),
          affectsInputsFolder: (folder) =>
            folder === undefined
              ? e.affectsConfiguration(inputsFolderSettingId)
              : e.affectsConfiguration(inputsFolderSettingId, folder),
        });
      }),
    );
  }

  /** The window-wide settings, typed and normalised. */
  get current(): DesktopFlowsConfig {
    this.cached ??= readConfig();
    return this.cached;
  }

  /** `desktopFlows.inputs.folder` of a workspace folder (or of no folder in particular), as path segments. */
  inputsFolder(folder: vscode.WorkspaceFolder | undefined): string[] {
    return readInputsFolder(folder);
  }

  /** Writes a setting where it belongs: the workspace when one is open, else user settings. */
  async update(field: keyof DesktopFlowsConfig, value: unknown): Promise<void> {
    const id = settingIds[field];
    const dot = id.indexOf('.');
    const target = vscode.workspace.workspaceFolders?.length
      ? vscode.ConfigurationTarget.Workspace
      : vscode.ConfigurationTarget.Global;
    await vscode.workspace.getConfiguration(id.slice(0, dot)).update(id.slice(dot + 1), value, target);
  }
}

/** Reads the window-wide settings, normalised (the service caches this until the next change). */
function readConfig(): DesktopFlowsConfig {
  return normaliseConfig((id) => {
    const dot = id.indexOf('.');
    const section = vscode.workspace.getConfiguration(id.slice(0, dot));
    const key = id.slice(dot + 1);
    return { value: section.get(key), defaultValue: section.inspect(key)?.defaultValue };
  });
}

/** `desktopFlows.inputs.folder` of a workspace folder (or of no folder in particular), as path segments. */
function readInputsFolder(folder: vscode.WorkspaceFolder | undefined): string[] {
  return inputsFolderSegments(
    vscode.workspace.getConfiguration('desktopFlows', folder?.uri ?? null).get<string>('inputs.folder'),
  );
}
