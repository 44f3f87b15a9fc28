import * as vscode from 'vscode';
import type { CloudName } from '../core/clouds';

/** Every `desktopFlows.*` setting, typed. Defaults live in package.json only. */
export interface DesktopFlowsConfig {
  cloud: Exclude<CloudName, 'Sandbox'>;
  tenant: string;
  clientId: string;
  authMethod: 'auto' | 'browser' | 'deviceCode';
  sandboxUrl: string;
  defaultEnvironment: string;
  pageSize: number;
  showDrafts: boolean;
  httpTimeoutSeconds: number;
  notifyOnCompletion: 'off' | 'failures' | 'all';
  pollIntervalMinSeconds: number;
  pollIntervalMaxSeconds: number;
  defaultTimeoutSeconds: number;
  revealTranscript: 'never' | 'onStart' | 'onFailure';
  resendWhenUncertain: boolean;
  /** VS Code's own `http.proxy`, passed to the core because VS Code's proxy support does not reach undici. */
  httpProxy: string;
  /** VS Code's own `http.noProxy` (hosts that bypass the proxy). */
  httpNoProxy: string[];
}

/**
 * Reads the current window-wide settings. Resource-scoped ones (`desktopFlows.inputs.folder`) differ per
 * workspace folder and are read for a folder with `readInputsFolder`: reading them here, without a
 * resource, logs a warning in the extension host log.
 */
export function readConfig(): DesktopFlowsConfig {
  const c = vscode.workspace.getConfiguration('desktopFlows');
  const get = <T>(key: string): T => c.get<T>(key) as T;
  return {
    cloud: get('cloud'),
    tenant: get<string>('auth.tenant') || 'organizations',
    clientId: get('auth.clientId'),
    authMethod: get('auth.method'),
    sandboxUrl: get('sandbox.url'),
    defaultEnvironment: get('defaultEnvironment'),
    pageSize: get('explorer.pageSize'),
    showDrafts: get('explorer.showDrafts'),
    httpTimeoutSeconds: get('http.timeoutSeconds'),
    notifyOnCompletion: get('runs.notifyOnCompletion'),
    pollIntervalMinSeconds: get('runs.pollIntervalMinSeconds'),
    pollIntervalMaxSeconds: get('runs.pollIntervalMaxSeconds'),
    defaultTimeoutSeconds: get('runs.defaultTimeoutSeconds'),
    revealTranscript: get('runs.revealTranscript'),
    resendWhenUncertain: get('runs.resendWhenUncertain'),
    httpProxy: vscode.workspace.getConfiguration('http').get<string>('proxy') ?? '',
    httpNoProxy: vscode.workspace.getConfiguration('http').get<string[]>('noProxy') ?? [],
  };
}

/** `desktopFlows.inputs.folder` of a workspace folder (or of no folder in particular), as path segments. */
export function readInputsFolder(folder: vscode.WorkspaceFolder | undefined): string[] {
  const value =
    vscode.workspace.getConfiguration('desktopFlows', folder?.uri ?? null).get<string>('inputs.folder') ?? '';
  return value.split(/[\\/]+/).filter(Boolean);
}

/** Writes a setting where it belongs: the workspace when one is open, else user settings. */
export async function updateSetting(key: string, value: unknown): Promise<void> {
  const target = vscode.workspace.workspaceFolders?.length
    ? vscode.ConfigurationTarget.Workspace
    : vscode.ConfigurationTarget.Global;
  await vscode.workspace.getConfiguration('desktopFlows').update(key, value, target);
}
