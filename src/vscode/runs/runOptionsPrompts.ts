import { setMaxListeners } from 'node:events';
import * as vscode from 'vscode';
import type { ConnectionReference } from '../../core/model/connectionReference';
import type { Environment } from '../../core/model/environment';
import {
  loadConnectionFacts,
  rankConnections,
  type RankedConnection,
} from '../../core/runs/connectionRanking';
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
import type { Prompts } from '../prompts';
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

/** One-line summary of options, as pickers show it: "unattended · high · 900 s · via …". */
export function describeRunOptions(o: RunOptions, connectionDisplayName?: string): string {
  const c = o.connection;
  const connection =
    connectionDisplayName ??
    (c.kind === 'connection' ? `connection ${c.name}` : `connection reference ${c.logicalName}`);
  return `${o.runMode} · ${o.priority ?? 'normal'} · ${o.timeoutSeconds ?? defaultRunTimeoutSeconds} s · via ${connection}`;
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
  readonly prompts: Prompts;
  readonly account: SignedInAccount;
  readonly environment: Pick<Environment, 'id' | 'orgUrl' | 'displayName'>;
  readonly flowName: string;
  /** The options this flow was last run with here. */
  readonly remembered: RunOptions | undefined;
  /** `desktopFlows.runs.defaultTimeoutSeconds` (from the configuration service). */
  readonly defaultTimeoutSeconds: number;
}

/** The options chosen, and whether the maker already confirmed a connection that will surely fail. */
export interface ChosenOptions {
  readonly options: RunOptions;
  readonly confirmedFailure: boolean;
}

/** The ranked connections and references of an environment, loaded once per start. */
interface ConnectionChoices {
  readonly ranked: readonly RankedConnection[];
  readonly references: readonly ConnectionReference[];
}

/** The ranking of the connection a run option names (through its reference's binding). */
function rankingOf(choices: ConnectionChoices, c: RunConnection): RankedConnection | undefined {
  const name = c.kind === 'connection' ? c.name : c.connectionName;
  return name === undefined
    ? undefined
    : choices.ranked.find((r) => r.connection.name.toLowerCase() === name.toLowerCase());
}

function displayNameOf(choices: ConnectionChoices | undefined, c: RunConnection): string | undefined {
  if (choices === undefined) {
    return undefined;
  }
  if (c.kind === 'connectionReference') {
    const r = choices.references.find((x) => x.logicalName.toLowerCase() === c.logicalName.toLowerCase());
    return r?.displayName;
  }
  return rankingOf(choices, c)?.connection.displayName;
}

/** What a connection will do, for a detail line: "CONTOSO\\maker (DESKTOP-MAKER01): machine online, free". */
function connectionWords(choices: ConnectionChoices, c: RunConnection): string {
  const ranked = rankingOf(choices, c);
  const name = displayNameOf(choices, c) ?? (c.kind === 'connection' ? c.name : c.logicalName);
  return ranked === undefined ? name : `${name}: ${ranked.summary}`;
}

/**
 * The options to run with: the arguments' fields over the remembered options. When something is missing (or
 * `chooseOptions` is set), one pick: "Same options as last time" (showing them), "Run with defaults" (the best
 * ranked connection, unattended, normal priority, the timeout setting) or "Customize…" (connection, run mode,
 * priority, timeout). A connection that will surely fail is confirmed, with the reason.
 */
export async function resolveRunOptions(args: RunOptionArgs, ctx: OptionsContext): Promise<ChosenOptions> {
  const timeoutDefault = ctx.defaultTimeoutSeconds;
  const fromArgs = {
    connection: connectionFromArgs(args) ?? ctx.remembered?.connection,
    runMode: args.runMode ?? ctx.remembered?.runMode,
    priority: args.priority ?? ctx.remembered?.priority ?? 'normal',
    timeoutSeconds: args.timeoutSeconds ?? ctx.remembered?.timeoutSeconds ?? timeoutDefault,
  };
  const complete = fromArgs.connection !== undefined && fromArgs.runMode !== undefined;
  if (complete && args.chooseOptions !== true && (hasAnyOption(args) || ctx.remembered === undefined)) {
    return { options: checkedOptions(fromArgs, ctx.flowName), confirmedFailure: false };
  }
  const choices = await loadChoices(ctx);
  const best = choices.ranked[0];
  const argConnection = connectionFromArgs(args);
  const defaultConnection: RunConnection | undefined =
    argConnection ?? (best === undefined ? undefined : { kind: 'connection', name: best.connection.name });
  type ModeItem = vscode.QuickPickItem & { mode: 'same' | 'defaults' | 'customize' };
  const items: ModeItem[] = [];
  const same =
    complete && args.chooseOptions !== true && ctx.remembered !== undefined
      ? checkedOptions(fromArgs, ctx.flowName)
      : undefined;
  if (same !== undefined) {
    items.push({
      label: '$(history) Same options as last time',
      description: `${same.runMode} · ${same.priority ?? 'normal'} · ${same.timeoutSeconds ?? timeoutDefault} s`,
      detail: connectionWords(choices, same.connection),
      mode: 'same',
    });
  }
  const defaults =
    defaultConnection === undefined
      ? undefined
      : checkedOptions(
          {
            connection: defaultConnection,
            runMode: args.runMode ?? 'unattended',
            priority: args.priority ?? 'normal',
            timeoutSeconds: args.timeoutSeconds ?? timeoutDefault,
          },
          ctx.flowName,
        );
  if (defaults !== undefined) {
    items.push({
      label: '$(play) Run with defaults',
      description: `${defaults.runMode} · ${defaults.priority ?? 'normal'} · ${defaults.timeoutSeconds ?? timeoutDefault} s`,
      detail: connectionWords(choices, defaults.connection),
      mode: 'defaults',
    });
  }
  items.push({
    label: '$(settings) Customize…',
    detail: 'Connection, run mode, priority and timeout',
    mode: 'customize',
  });
  const picked =
    args.chooseOptions === true || items.length === 1
      ? { mode: 'customize' as const }
      : await ctx.prompts.pick(items, {
          title: `Run "${ctx.flowName}": options`,
          placeHolder: 'Run options',
        });
  if (picked.mode === 'same' && same !== undefined) {
    return confirmConnection(ctx, choices, same, () =>
      customize(ctx, choices, args, fromArgs, timeoutDefault),
    );
  }
  if (picked.mode === 'defaults' && defaults !== undefined) {
    return confirmConnection(ctx, choices, defaults, () =>
      customize(ctx, choices, args, fromArgs, timeoutDefault),
    );
  }
  return customize(ctx, choices, args, fromArgs, timeoutDefault);
}

async function customize(
  ctx: OptionsContext,
  choices: ConnectionChoices,
  args: RunOptionArgs,
  last: {
    connection: RunConnection | undefined;
    runMode: RunMode | undefined;
    priority: string;
    timeoutSeconds: number;
  },
  timeoutDefault: number,
): Promise<ChosenOptions> {
  let confirmedFailure = false;
  let connection = connectionFromArgs(args);
  while (connection === undefined) {
    const candidate = await pickConnection(ctx, choices, last.connection);
    const ranked = rankingOf(choices, candidate);
    if (ranked?.verdict !== 'willFail' || (await confirmFailure(ctx, ranked))) {
      connection = candidate;
      confirmedFailure = ranked?.verdict === 'willFail';
    }
  }
  const runMode = args.runMode ?? (await pickRunMode(ctx.prompts, ctx.flowName, last.runMode));
  const priority = args.priority ?? (await pickPriority(ctx.prompts, ctx.flowName, last.priority));
  const timeoutSeconds =
    args.timeoutSeconds ??
    (await pickTimeout(ctx.prompts, ctx.flowName, last.timeoutSeconds, timeoutDefault));
  return {
    options: checkedOptions({ connection, runMode, priority, timeoutSeconds }, ctx.flowName),
    confirmedFailure,
  };
}

/** Options whose connection will surely fail are confirmed (or the maker customizes instead). */
async function confirmConnection(
  ctx: OptionsContext,
  choices: ConnectionChoices,
  options: RunOptions,
  otherwise: () => Promise<ChosenOptions>,
): Promise<ChosenOptions> {
  const ranked = rankingOf(choices, options.connection);
  if (ranked?.verdict !== 'willFail') {
    return { options, confirmedFailure: false };
  }
  return (await confirmFailure(ctx, ranked)) ? { options, confirmedFailure: true } : otherwise();
}

/** True when the maker runs through a connection that will surely fail anyway, having been told why. */
async function confirmFailure(ctx: OptionsContext, ranked: RankedConnection): Promise<boolean> {
  const picked = await ctx.prompts.pick(
    [
      { label: '$(arrow-left) Choose another connection…', run: false },
      {
        label: '$(warning) Run anyway',
        detail: 'The run is sent and will most likely fail.',
        run: true,
      },
    ],
    {
      title: `This run will fail: ${ranked.reason ?? ranked.summary}`,
      placeHolder: `"${ranked.connection.displayName}": ${ranked.summary}`,
    },
  );
  return picked.run;
}

async function loadChoices(ctx: OptionsContext): Promise<ConnectionChoices> {
  const signal = AbortSignal.timeout(60_000);
  setMaxListeners(0, signal);
  const session = ctx.account.session;
  const [facts, references] = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Window, title: 'Checking the connections and their machines…' },
    () =>
      Promise.all([
        loadConnectionFacts(session, ctx.environment, signal),
        session.connectionReferences.listDesktopFlowReferences(ctx.environment.orgUrl, signal),
      ]),
  );
  return { ranked: rankConnections(facts, Date.now()), references };
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

const verdictIcons: Record<RankedConnection['verdict'], string> = {
  ready: '$(pass) ',
  willWait: '$(watch) ',
  unknown: '$(question) ',
  willFail: '$(error) ',
};

/** Connections best first, each saying what the service will do; then the references, with their target's words. */
export function connectionItems(
  choices: ConnectionChoices,
  last: RunConnection | undefined,
): ConnectionItem[] {
  const items: ConnectionItem[] = [];
  const mark = (c: RunConnection): string => (sameConnection(last, c) ? ' $(history)' : '');
  items.push({ label: 'Connections', kind: vscode.QuickPickItemKind.Separator });
  for (const r of choices.ranked) {
    const connection: RunConnection = { kind: 'connection', name: r.connection.name };
    items.push({
      label: `${verdictIcons[r.verdict]}${r.connection.displayName}${mark(connection)}`,
      description: r.summary,
      ...(r.connection.username === undefined ? {} : { detail: r.connection.username }),
      connection,
    });
  }
  if (choices.ranked.length === 0) {
    items.push({ label: 'No desktop-flow connections in this environment', connection: undefined });
  }
  items.push({ label: 'Connection references', kind: vscode.QuickPickItemKind.Separator });
  for (const r of choices.references) {
    const connection: RunConnection =
      r.connectionName === undefined
        ? { kind: 'connectionReference', logicalName: r.logicalName }
        : { kind: 'connectionReference', logicalName: r.logicalName, connectionName: r.connectionName };
    const target = rankingOf(choices, connection);
    items.push({
      label: `${target === undefined ? '' : verdictIcons[target.verdict]}${r.displayName}${mark(connection)}`,
      description: [
        r.active ? undefined : 'inactive',
        r.connectionName === undefined ? 'not bound to a connection' : target?.summary,
      ]
        .filter(Boolean)
        .join(' · '),
      detail:
        target === undefined ? r.logicalName : `${r.logicalName} · uses ${target.connection.displayName}`,
      connection,
    });
  }
  return items;
}

async function pickConnection(
  ctx: OptionsContext,
  choices: ConnectionChoices,
  last: RunConnection | undefined,
): Promise<RunConnection> {
  if (choices.ranked.length === 0 && choices.references.length === 0) {
    throw new UserFacingError(
      `Cannot run "${ctx.flowName}": there is no desktop-flow connection or connection reference in ${ctx.environment.displayName}. Create a desktop-flow connection in Power Automate (Data, Connections) and run it again.`,
    );
  }
  // The "No desktop-flow connections" row only informs: picking it asks again (Escape cancels).
  for (;;) {
    const picked = await ctx.prompts.pick(connectionItems(choices, last), {
      title: `Run "${ctx.flowName}": connection`,
      placeHolder: `Healthy connections first, in ${ctx.environment.displayName}`,
      matchOnDescription: true,
      matchOnDetail: true,
    });
    if (picked.connection !== undefined) {
      return picked.connection;
    }
  }
}

async function pickRunMode(prompts: Prompts, flowName: string, last: RunMode | undefined): Promise<RunMode> {
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
  return (await prompts.pick(modes, { title: `Run "${flowName}": run mode` })).mode;
}

async function pickPriority(prompts: Prompts, flowName: string, last: string): Promise<string> {
  const choices = ['normal', 'high'];
  const items: (vscode.QuickPickItem & { value: string | undefined })[] = [
    ...choices.map((p) => ({ label: p === last ? `$(history) ${p}` : p, value: p })),
    ...(choices.includes(last) ? [] : [{ label: `$(history) ${last}`, description: 'custom', value: last }]),
    { label: 'Custom…', description: 'A priority name your machine queues use', value: undefined },
  ];
  const picked = await prompts.pick(items, { title: `Run "${flowName}": priority` });
  if (picked.value !== undefined) {
    return picked.value;
  }
  return prompts.text({
    title: `Run "${flowName}": custom priority`,
    prompt: 'The priority name (sent as runPriority)',
    validateInput: (v) =>
      v.trim() === '' || v.trim() !== v ? 'Enter a name without surrounding spaces.' : undefined,
  });
}

async function pickTimeout(
  prompts: Prompts,
  flowName: string,
  last: number,
  settingDefault: number,
): Promise<number> {
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
  const picked = await prompts.pick(items, { title: `Run "${flowName}": timeout` });
  if (picked.value !== undefined) {
    return picked.value;
  }
  const text = await prompts.text({
    title: `Run "${flowName}": timeout in seconds`,
    value: String(last),
    validateInput: (v) => {
      const n = Number(v);
      return Number.isInteger(n) && n >= 1 && n <= maxRunTimeoutSeconds
        ? undefined
        : `A whole number of seconds from 1 to ${maxRunTimeoutSeconds}.`;
    },
  });
  return Number(text);
}
