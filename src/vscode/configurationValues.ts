import type { CloudName } from '../core/clouds';

/**
 * Every `desktopFlows.*` setting (and the VS Code settings we depend on: proxy, JSON validation), typed and
 * normalised.
 */
export interface DesktopFlowsConfig {
  cloud: Exclude<CloudName, 'Sandbox'>;
  tenant: string;
  clientId: string;
  authMethod: 'auto' | 'browser' | 'deviceCode';
  /** Without a trailing slash; '' when not set. */
  sandboxUrl: string;
  defaultEnvironment: string;
  pageSize: number;
  showDrafts: boolean;
  httpTimeoutSeconds: number;
  notifyOnCompletion: 'off' | 'failures' | 'all';
  pollIntervalMinSeconds: number;
  /** Never below `pollIntervalMinSeconds`. */
  pollIntervalMaxSeconds: number;
  defaultTimeoutSeconds: number;
  revealTranscript: 'never' | 'onStart' | 'onFailure';
  resendWhenUncertain: boolean;
  /** Runs per environment and page in the Runs view. */
  runsViewPageSize: number;
  /** Flow tests: the connection name of tests that name none ('' when not set). */
  testsConnection: string;
  /** Flow tests: the connection reference logical name of tests that name none ('' when not set). */
  testsConnectionReference: string;
  /** Flow tests: the run mode of tests that name none. */
  testsMode: 'attended' | 'unattended';
  /** VS Code's own `http.proxy`, passed to the core because VS Code's proxy support does not reach undici. */
  httpProxy: string;
  /** VS Code's own `http.noProxy` (hosts that bypass the proxy). */
  httpNoProxy: string[];
  /**
   * VS Code's own `json.validate.enable` (a window setting): when off, the JSON language service reports
   * nothing, so the input diagnostics report syntax problems themselves. True unless set to `false`.
   */
  jsonValidate: boolean;
}

/** The setting id behind each field (what `affectsConfiguration` is asked). */
export const settingIds: Readonly<Record<keyof DesktopFlowsConfig, string>> = {
  cloud: 'desktopFlows.cloud',
  tenant: 'desktopFlows.auth.tenant',
  clientId: 'desktopFlows.auth.clientId',
  authMethod: 'desktopFlows.auth.method',
  sandboxUrl: 'desktopFlows.sandbox.url',
  defaultEnvironment: 'desktopFlows.defaultEnvironment',
  pageSize: 'desktopFlows.explorer.pageSize',
  showDrafts: 'desktopFlows.explorer.showDrafts',
  httpTimeoutSeconds: 'desktopFlows.http.timeoutSeconds',
  notifyOnCompletion: 'desktopFlows.runs.notifyOnCompletion',
  pollIntervalMinSeconds: 'desktopFlows.runs.pollIntervalMinSeconds',
  pollIntervalMaxSeconds: 'desktopFlows.runs.pollIntervalMaxSeconds',
  defaultTimeoutSeconds: 'desktopFlows.runs.defaultTimeoutSeconds',
  revealTranscript: 'desktopFlows.runs.revealTranscript',
  resendWhenUncertain: 'desktopFlows.runs.resendWhenUncertain',
  runsViewPageSize: 'desktopFlows.runs.viewPageSize',
  testsConnection: 'desktopFlows.tests.connection',
  testsConnectionReference: 'desktopFlows.tests.connectionReference',
  testsMode: 'desktopFlows.tests.mode',
  httpProxy: 'http.proxy',
  httpNoProxy: 'http.noProxy',
  jsonValidate: 'json.validate.enable',
};

/** The resource-scoped setting, read per workspace folder. */
export const inputsFolderSettingId = 'desktopFlows.inputs.folder';

/** A setting as VS Code has it: the effective value and package.json's default (the only place defaults live). */
export interface RawSetting {
  readonly value: unknown;
  readonly defaultValue: unknown;
}

/**
 * Typed, normalised settings from raw values. A value of the wrong type, outside its enum or its range
 * (hand-edited settings.json is not checked by VS Code) falls back to the default or is clamped, strings are
 * trimmed, the sandbox URL loses its trailing slash, and the poll interval maximum is never below the minimum.
 */
export function normaliseConfig(read: (id: string) => RawSetting): DesktopFlowsConfig {
  const text = (id: string): string => {
    const { value, defaultValue } = read(id);
    return typeof value === 'string' ? value.trim() : typeof defaultValue === 'string' ? defaultValue : '';
  };
  const oneOf = <T extends string>(id: string, allowed: readonly T[]): T => {
    const { value, defaultValue } = read(id);
    const v = typeof value === 'string' ? value.trim() : value;
    return (allowed as readonly unknown[]).includes(v) ? (v as T) : (defaultValue as T);
  };
  const number = (id: string, min: number, max: number, integer: boolean): number => {
    const { value, defaultValue } = read(id);
    const v = typeof value === 'number' && Number.isFinite(value) ? value : Number(defaultValue);
    const clamped = Math.min(max, Math.max(min, v));
    return integer ? Math.round(clamped) : clamped;
  };
  const flag = (id: string): boolean => {
    const { value, defaultValue } = read(id);
    return typeof value === 'boolean' ? value : defaultValue === true;
  };
  const pollMin = number(settingIds.pollIntervalMinSeconds, 1, 60, false);
  const noProxy = read(settingIds.httpNoProxy).value;
  return {
    cloud: oneOf(settingIds.cloud, ['Public', 'GCC', 'GCCHigh', 'DoD', 'China']),
    tenant: text(settingIds.tenant) || 'organizations',
    clientId: text(settingIds.clientId),
    authMethod: oneOf(settingIds.authMethod, ['auto', 'browser', 'deviceCode']),
    sandboxUrl: text(settingIds.sandboxUrl).replace(/\/+$/, ''),
    defaultEnvironment: text(settingIds.defaultEnvironment),
    pageSize: number(settingIds.pageSize, 10, 5000, true),
    showDrafts: flag(settingIds.showDrafts),
    httpTimeoutSeconds: number(settingIds.httpTimeoutSeconds, 5, 600, true),
    notifyOnCompletion: oneOf(settingIds.notifyOnCompletion, ['off', 'failures', 'all']),
    pollIntervalMinSeconds: pollMin,
    pollIntervalMaxSeconds: Math.max(pollMin, number(settingIds.pollIntervalMaxSeconds, 5, 600, false)),
    defaultTimeoutSeconds: number(settingIds.defaultTimeoutSeconds, 60, 86_400, true),
    revealTranscript: oneOf(settingIds.revealTranscript, ['never', 'onStart', 'onFailure']),
    resendWhenUncertain: flag(settingIds.resendWhenUncertain),
    runsViewPageSize: number(settingIds.runsViewPageSize, 2, 500, true),
    testsConnection: text(settingIds.testsConnection),
    testsConnectionReference: text(settingIds.testsConnectionReference),
    testsMode: oneOf(settingIds.testsMode, ['attended', 'unattended']),
    httpProxy: typeof read(settingIds.httpProxy).value === 'string' ? text(settingIds.httpProxy) : '',
    httpNoProxy: Array.isArray(noProxy)
      ? noProxy.filter((h): h is string => typeof h === 'string' && h.trim() !== '').map((h) => h.trim())
      : [],
    jsonValidate: read(settingIds.jsonValidate).value !== false,
  };
}

/** `desktopFlows.inputs.folder` as path segments (no empty ones, no `..` that would leave the workspace folder). */
export function inputsFolderSegments(value: unknown): string[] {
  return (typeof value === 'string' ? value : '')
    .split(/[\\/]+/)
    .map((s) => s.trim())
    .filter((s) => s !== '' && s !== '.' && s !== '..');
}
