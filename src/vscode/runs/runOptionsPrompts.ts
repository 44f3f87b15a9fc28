import * as vscode from 'vscode';
import { CancellationError } from '../../core/errors';
import type { DesktopFlowConnection } from '../../core/model/connection';
import type { ConnectionReference } from '../../core/model/connectionReference';
import type { Environment } from '../../core/model/environment';
import {
  defaultRunTimeoutSeconds,
  maxRunTimeoutSeconds,
  validateRunOptions,
  type RunConnection,
  type RunMode,
  type RunOptions,
} from '../../core/runs/runOptions';
import { formatDuration } from '../../core/runs/runTranscript';
import type { SignedInAccount } from '../accounts/signedInAccount';
import { readConfig } from '../configuration';
import { UserFacingError } from '../registerCommand';
import { describeOptionsProblem } from './runErrorWords';

/**
 * Run options given as command arguments (power users, tasks.json, tests): any field given is used as is, and
 * only what is still missing is asked for.
 */
export interface RunOptionArgs {
  /** Connection name (`connectionType` 1) or connection reference logical name (2). */
  readonly connectionName?: string;
  /** 1 = connection (default), 2 = connection reference. */
  readonly connectionType?: 1 | 2;
  readonly runMode?: RunMode;
  /** `normal`, `high` or a custom priority name. */
  readonly priority?: string;
  readonly timeoutSeconds?: number;
  /** Ask for every option even when the flow's last options are remembered. */
  readonly chooseOptions?: boolean;
}

/** The option fields of a command argument object, if it has any. */
export function optionArgsOf(v: unknown): RunOptionArgs {
  if (typeof v !== 'object' || v === null) {
    return {};
  }
  const o = v as Record<string, unknown>;
  const args: Record<string, unknown> = {};
  for (const key of [
    'connectionName',
    'connectionType',
    'runMode',
    'priority',
    'timeoutSeconds',
    'chooseOptions',
  ]) {
    if (o[key] !== undefined) {
      args[key] = o[key];
    }
  }
  return args;
}

function hasAnyOption(args: RunOptionArgs): boolean {
  return (
    args.connectionName !== undefined ||
    args.runMode !== undefined ||
    args.priority !== undefined ||
    args.timeoutSeconds !== undefined
  );
}

/** Validated options, or a `UserFacingError` listing what is wrong. */
export function checkedOptions(candidate: unknown, flowName: string): RunOptions {
  const checked = validateRunOptions(candidate);
  if (!checked.ok) {
    throw new UserFacingError(
      `Cannot run "${flowName}": ${checked.problems.map(describeOptionsProblem).join('; ')}.`,
    );
  }
  return checked.options;
}

/** One-line summary of options, as pickers show it. */
export function describeRunOptions(o: RunOptions): string {
  const c = o.connection;
  const connection =
    c.kind === 'connection' ? `connection ${c.name}` : `connection reference ${c.logicalName}`;
  return `${o.runMode} · priority ${o.priority ?? 'normal'} · ${connection} · timeout ${formatDuration((o.timeoutSeconds ?? defaultRunTimeoutSeconds) * 1000)}`;
}

function connectionFromArgs(args: RunOptionArgs): RunConnection | undefined {
  if (args.connectionName === undefined) {
    return undefined;
  }
  return args.connectionType === 2
    ? { kind: 'connectionReference', logicalName: args.connectionName }
    : { kind: 'connection', name: args.connectionName };
}

/** Where the options come from when nothing has to be asked. */
export interface OptionsContext {
  readonly account: SignedInAccount;
  readonly environment: Pick<Environment, 'id' | 'orgUrl' | 'displayName'>;
  readonly flowName: string;
  /** The options this flow was last run with here. */
  readonly remembered: RunOptions | undefined;
}

/**
 * The options to run with: the arguments' fields over the remembered options; asks (connection, run mode,
 * priority, timeout) only when something required is still missing, or when `chooseOptions` is set. With
 * remembered options and no arguments, offers them first ("Same options as last time").
 */
export async function resolveRunOptions(args: RunOptionArgs, ctx: OptionsContext): Promise<RunOptions> {
  const timeoutDefault = readConfig().defaultTimeoutSeconds;
  const fromArgs = {
    connection: connectionFromArgs(args) ?? ctx.remembered?.connection,
    runMode: args.runMode ?? ctx.remembered?.runMode,
    priority: args.priority ?? ctx.remembered?.priority ?? 'normal',
    timeoutSeconds: args.timeoutSeconds ?? ctx.remembered?.timeoutSeconds ?? timeoutDefault,
  };
  const complete = fromArgs.connection !== undefined && fromArgs.runMode !== undefined;
  if (complete && args.chooseOptions !== true && (hasAnyOption(args) || ctx.remembered === undefined)) {
    return checkedOptions(fromArgs, ctx.flowName);
  }
  if (complete && args.chooseOptions !== true && ctx.remembered !== undefined) {
    const same = checkedOptions(fromArgs, ctx.flowName);
    const choice = await vscode.window.showQuickPick(
      [
        { label: '$(history) Same options as last time', detail: describeRunOptions(same), same: true },
        {
          label: '$(settings) Choose options…',
          detail: 'Connection, run mode, priority and timeout',
          same: false,
        },
      ],
      { title: `Run "${ctx.flowName}"`, placeHolder: 'Run options' },
    );
    if (choice === undefined) {
      throw new CancellationError();
    }
    if (choice.same) {
      return same;
    }
  }
  const connection = connectionFromArgs(args) ?? (await pickConnection(ctx, fromArgs.connection));
  const runMode = args.runMode ?? (await pickRunMode(ctx.flowName, fromArgs.runMode));
  const priority = args.priority ?? (await pickPriority(ctx.flowName, fromArgs.priority));
  const timeoutSeconds =
    args.timeoutSeconds ?? (await pickTimeout(ctx.flowName, fromArgs.timeoutSeconds, timeoutDefault));
  return checkedOptions({ connection, runMode, priority, timeoutSeconds }, ctx.flowName);
}

type ConnectionItem = vscode.QuickPickItem & { connection?: RunConnection };

function sameConnection(a: RunConnection | undefined, b: RunConnection): boolean {
  if (a === undefined || a.kind !== b.kind) {
    return false;
  }
  return a.kind === 'connection'
    ? b.kind === 'connection' && a.name.toLowerCase() === b.name.toLowerCase()
    : b.kind === 'connectionReference' && a.logicalName.toLowerCase() === b.logicalName.toLowerCase();
}

function connectionItems(
  connections: readonly DesktopFlowConnection[],
  references: readonly ConnectionReference[],
  last: RunConnection | undefined,
): ConnectionItem[] {
  const items: ConnectionItem[] = [];
  const mark = (c: RunConnection): string => (sameConnection(last, c) ? '$(history) ' : '');
  items.push({ label: 'Connections', kind: vscode.QuickPickItemKind.Separator });
  for (const c of connections) {
    const connection: RunConnection = { kind: 'connection', name: c.name };
    items.push({
      label: `${mark(connection)}${c.status === 'error' ? '$(warning) ' : ''}${c.displayName}`,
      description: [c.status === 'error' ? 'error' : undefined, c.username].filter(Boolean).join(' · '),
      detail: c.name,
      connection,
    });
  }
  if (connections.length === 0) {
    items.push({ label: 'No desktop-flow connections in this environment', connection: undefined });
  }
  items.push({ label: 'Connection references', kind: vscode.QuickPickItemKind.Separator });
  for (const r of references) {
    const connection: RunConnection =
      r.connectionName === undefined
        ? { kind: 'connectionReference', logicalName: r.logicalName }
        : { kind: 'connectionReference', logicalName: r.logicalName, connectionName: r.connectionName };
    items.push({
      label: `${mark(connection)}${r.displayName}`,
      description: [r.logicalName, r.active ? undefined : 'inactive'].filter(Boolean).join(' · '),
      detail: r.connectionName === undefined ? 'Not bound to a connection' : `Uses ${r.connectionName}`,
      connection,
    });
  }
  // The last-used connection first, so Enter repeats it.
  const lastIndex = items.findIndex((i) => i.connection !== undefined && sameConnection(last, i.connection));
  if (lastIndex > 0) {
    const [lastItem] = items.splice(lastIndex, 1);
    if (lastItem !== undefined) {
      items.unshift(lastItem);
    }
  }
  return items;
}

async function pickConnection(ctx: OptionsContext, last: RunConnection | undefined): Promise<RunConnection> {
  const controller = new AbortController();
  const session = ctx.account.session;
  const items = Promise.all([
    session.connections.listDesktopFlowConnections(ctx.environment.id, controller.signal),
    session.connectionReferences.listDesktopFlowReferences(ctx.environment.orgUrl, controller.signal),
  ]).then(([connections, references]) => connectionItems(connections, references, last));
  try {
    const picked = await vscode.window.showQuickPick(items, {
      title: `Run "${ctx.flowName}": connection`,
      placeHolder: `A desktop-flow connection or connection reference in ${ctx.environment.displayName}`,
      matchOnDescription: true,
      matchOnDetail: true,
    });
    if (picked?.connection === undefined) {
      throw new CancellationError();
    }
    return picked.connection;
  } finally {
    controller.abort();
  }
}

async function pickRunMode(flowName: string, last: RunMode | undefined): Promise<RunMode> {
  const modes: (vscode.QuickPickItem & { mode: RunMode })[] = [
    {
      label: 'Unattended',
      detail: "Runs in its own Windows session; the connection's user must not be signed in on the machine.",
      mode: 'unattended',
    },
    {
      label: 'Attended',
      detail: "Runs in the signed-in session of the connection's user, which must be unlocked.",
      mode: 'attended',
    },
  ];
  if (last === 'attended') {
    modes.reverse();
  }
  const picked = await vscode.window.showQuickPick(modes, { title: `Run "${flowName}": run mode` });
  if (picked === undefined) {
    throw new CancellationError();
  }
  return picked.mode;
}

async function pickPriority(flowName: string, last: string): Promise<string> {
  const choices = ['normal', 'high'];
  const items: (vscode.QuickPickItem & { value: string | undefined })[] = [
    ...choices.map((p) => ({ label: p === last ? `$(history) ${p}` : p, value: p })),
    ...(choices.includes(last) ? [] : [{ label: `$(history) ${last}`, description: 'custom', value: last }]),
    { label: 'Custom…', description: 'A priority name your machine queues use', value: undefined },
  ];
  const picked = await vscode.window.showQuickPick(items, { title: `Run "${flowName}": priority` });
  if (picked === undefined) {
    throw new CancellationError();
  }
  if (picked.value !== undefined) {
    return picked.value;
  }
  const custom = await vscode.window.showInputBox({
    title: `Run "${flowName}": custom priority`,
    prompt: 'The priority name (sent as runPriority)',
    validateInput: (v) =>
      v.trim() === '' || v.trim() !== v ? 'Enter a name without surrounding spaces.' : undefined,
  });
  if (custom === undefined) {
    throw new CancellationError();
  }
  return custom;
}

async function pickTimeout(flowName: string, last: number, settingDefault: number): Promise<number> {
  const items: (vscode.QuickPickItem & { value: number | undefined })[] = [
    {
      label: `${formatDuration(last * 1000)}`,
      description: last === settingDefault ? 'default' : 'last used',
      value: last,
    },
    ...(last === settingDefault
      ? []
      : [{ label: formatDuration(settingDefault * 1000), description: 'default', value: settingDefault }]),
    {
      label: 'Custom…',
      description: `Seconds, at most ${maxRunTimeoutSeconds} (24 hours)`,
      value: undefined,
    },
  ];
  const picked = await vscode.window.showQuickPick(items, { title: `Run "${flowName}": timeout` });
  if (picked === undefined) {
    throw new CancellationError();
  }
  if (picked.value !== undefined) {
    return picked.value;
  }
  const text = await vscode.window.showInputBox({
    title: `Run "${flowName}": timeout in seconds`,
    value: String(last),
    validateInput: (v) => {
      const n = Number(v);
      return Number.isInteger(n) && n >= 1 && n <= maxRunTimeoutSeconds
        ? undefined
        : `A whole number of seconds from 1 to ${maxRunTimeoutSeconds}.`;
    },
  });
  if (text === undefined) {
    throw new CancellationError();
  }
  return Number(text);
}
