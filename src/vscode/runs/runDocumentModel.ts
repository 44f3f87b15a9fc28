/**
 * What a run document shows, worked out once for both of its forms: the rendered panel
 * (`runDocumentHtml.ts`) and "Copy as Markdown" (`runDetailsMarkdown.ts`). Status, machine, queue and run
 * times, the error with its remedy, the failing action, inputs and outputs (masked), and the whole action
 * log (V1 `additionalcontext`, V2 `flowlog` rows). Pure: no `vscode` import, unit-tested under plain Node.
 */
import { ApiError } from '../../core/errors';
import type { RunTrigger as RunTriggerKind } from '../../core/model/run';
import { isTerminal } from '../../core/model/run';
import type { FlowLogEntry, RunAction, RunActionParameter } from '../../core/model/runActionLog';
import type { RunDetails } from '../../core/runs/runReview';
import { describeStatus, formatDuration } from '../../core/runs/runTranscript';
import { secretMasker } from '../../core/util/secretMasker';

const triggerWords: Readonly<Record<RunTriggerKind, string>> = {
  cloudFlow: 'Cloud flow',
  desktopFlow: 'Parent desktop flow',
  local: 'Power Automate for desktop (local)',
  dataverseApi: 'RunDesktopFlow API',
  cua: 'Computer use agent',
  unknown: 'Unknown',
};

/** The mask shown for a sensitive value. */
export const maskedValue = '********';

/** Everything a run document is built from. */
export interface RunDocumentInput {
  readonly details: RunDetails;
  readonly flowName: string | undefined;
  /** Power Automate link to the flow (the run page's URL is unconfirmed: docs/service-contract.md#portal-deep-links). */
  readonly portalUrl: string | undefined;
  /** False when the flow's schema could not be read, so sensitive values could not be told apart. */
  readonly schemaKnown: boolean;
  /** Names of the flow's sensitive inputs and outputs (action parameters bound to them are masked). */
  readonly sensitiveNames?: readonly string[];
  /** The V1 action log; `undefined` when it could not be read (see `actionsError`). */
  readonly actions?: readonly RunAction[];
  readonly actionsError?: unknown;
  /** V2 `flowlog` rows; empty or `undefined` when there are none. */
  readonly flowLogs?: readonly FlowLogEntry[];
  /** Who started the run, by name, when known. */
  readonly startedBy?: string;
  /**
   * The display name of the run's connection (`connectionid` names it), read where the connection picker
   * reads it; absent when it could not be found. The id is then shown only as a secondary detail.
   */
  readonly connectionDisplayName?: string;
  /** When the document was read (epoch ms): a live run says so. */
  readonly readAt: number;
}

/** One action of the log, ready to show. */
export interface ActionRow {
  readonly index: string;
  readonly name: string;
  readonly module: string | undefined;
  readonly status: string | undefined;
  readonly duration: string | undefined;
  readonly error: string | undefined;
  readonly inputs: readonly [string, string][];
  readonly outputs: readonly [string, string][];
  readonly failed: boolean;
}

/** A V2 log row that is not an action (queue events, custom logs). */
export interface LogRow {
  readonly when: string | undefined;
  readonly level: string | undefined;
  readonly name: string;
  readonly text: string;
}

/** What a section shows when it has no JSON: a sentence. */
export type ValueSection =
  | { readonly kind: 'json'; readonly value: unknown; readonly note?: string }
  | { readonly kind: 'note'; readonly text: string };

/** The run document, worked out. */
export interface RunDocumentModel {
  readonly title: string;
  /** "succeeded", "failed", "queued", …; `live` while the run can still change. */
  readonly status: string;
  readonly statusKind: 'succeeded' | 'failed' | 'cancelled' | 'active' | 'other';
  readonly live: boolean;
  readonly facts: readonly [string, string][];
  readonly error:
    | {
        readonly code: string;
        readonly message: string | undefined;
        readonly remedy: { readonly title: string; readonly text: string } | undefined;
      }
    | undefined;
  readonly failingAction: ActionRow | undefined;
  readonly inputs: ValueSection;
  readonly outputs: ValueSection;
  /** Every action, V1 and V2 (V2 action rows follow the V1 ones when both exist). */
  readonly actions: readonly ActionRow[];
  /** Why the action log shows nothing, when it does not. */
  readonly actionsNote: string | undefined;
  readonly logs: readonly LogRow[];
  readonly portalUrl: string | undefined;
  readonly runId: string;
}

function when(iso: string | undefined): string | undefined {
  if (iso === undefined) {
    return undefined;
  }
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : `${d.toLocaleString()} (${iso})`;
}

/** A value as one line of text (JSON for objects), masked by known secret values. */
function shown(value: unknown): string {
  const text = typeof value === 'string' ? value : (JSON.stringify(secretMasker.maskValue(value)) ?? '');
  return secretMasker.mask(text);
}

function unreadable(what: string, e: unknown): string {
  const reason = ApiError.is(e, 'forbidden')
    ? 'you need Owner access to the run to read it'
    : e instanceof Error
      ? e.message
      : String(e);
  return `The ${what} could not be read: ${reason.replace(/\.$/, '')}.`;
}

function durationBetween(start: string | undefined, end: string | undefined): string | undefined {
  const a = start === undefined ? Number.NaN : Date.parse(start);
  const b = end === undefined ? Number.NaN : Date.parse(end);
  return Number.isNaN(a) || Number.isNaN(b) ? undefined : formatDuration(Math.max(0, b - a));
}

function isFailed(a: RunAction): boolean {
  return /^(failed|faulted|error)$/i.test(a.status ?? '') || a.errorCode !== undefined;
}

function params(list: readonly RunActionParameter[], sensitive: ReadonlySet<string>): [string, string][] {
  return list.map((p) => {
    const secret =
      sensitive.has(p.name.toLowerCase()) ||
      (p.variableName !== undefined && sensitive.has(p.variableName.toLowerCase()));
    return [p.localizedName ?? p.name, secret ? maskedValue : shown(p.value)];
  });
}

function actionRow(a: RunAction, position: number, sensitive: ReadonlySet<string>, ms?: number): ActionRow {
  return {
    index: String(a.index ?? position),
    name: a.name ?? a.systemActionName ?? 'Action',
    module: a.moduleName,
    status: a.status,
    duration: ms !== undefined ? formatDuration(ms) : durationBetween(a.startTime, a.endTime),
    error:
      a.errorCode === undefined && a.errorMessage === undefined
        ? undefined
        : secretMasker.mask([a.errorCode, a.errorMessage].filter((p) => p !== undefined).join(': ')),
    inputs: params(a.inputs, sensitive),
    outputs: params(a.outputs, sensitive),
    failed: isFailed(a),
  };
}

function statusKind(status: RunDetails['run']['status']): RunDocumentModel['statusKind'] {
  if (status === 'succeeded') {
    return 'succeeded';
  }
  if (status === 'cancelled') {
    return 'cancelled';
  }
  if (['failed', 'faulted', 'timedOut', 'aborted', 'terminated'].includes(status)) {
    return 'failed';
  }
  return isTerminal(status) ? 'other' : 'active';
}

/** Works out the run document. */
export function runDocumentModel(input: RunDocumentInput): RunDocumentModel {
  const { details } = input;
  const run = details.run;
  const live = !isTerminal(run.status);
  const status = run.status === 'waiting' ? 'queued' : describeStatus(run.status);
  const sensitive = new Set((input.sensitiveNames ?? []).map((n) => n.toLowerCase()));
  const facts: [string, string | undefined][] = [
    ['Status', `${status}${run.statusLabel === undefined ? '' : ` (${run.statusLabel})`}`],
    ['Flow', input.flowName],
    ['Environment', details.environment.displayName ?? details.environment.orgUrl],
    ['Machine', run.machineName ?? run.machineId],
    ['Connection', input.connectionDisplayName ?? run.connectionId],
    ['Run mode', run.runMode === 'unknown' ? undefined : run.runMode],
    ['Started by', input.startedBy],
    ['Trigger', triggerWords[run.trigger]],
    ['Queued', when(details.createdOn)],
    ['Started', when(details.startedOn)],
    ['Completed', when(details.completedOn)],
    [
      'Time in queue',
      details.queueWaitMs === undefined
        ? undefined
        : `${formatDuration(details.queueWaitMs)}${live && details.startedOn === undefined ? ' so far' : ''}`,
    ],
    [
      'Run time',
      details.runTimeMs === undefined
        ? undefined
        : `${formatDuration(details.runTimeMs)}${live ? ' so far' : ''}`,
    ],
    ['Run id', run.id],
    ['Flow id', run.flowId],
    // Secondary: only beside a display name (without one, the id is what "Connection" shows).
    ['Connection id', input.connectionDisplayName === undefined ? undefined : run.connectionId],
  ];

  const v1 = (input.actions ?? []).map((a, i) => actionRow(a, i + 1, sensitive));
  const v2Actions = (input.flowLogs ?? []).filter((l) => l.action !== undefined);
  const v2 = v2Actions.map((l, i) =>
    actionRow(l.action as RunAction, l.index ?? i + 1, sensitive, l.durationMs),
  );
  const actions = [...v1, ...v2];
  const logs: LogRow[] = (input.flowLogs ?? [])
    .filter((l) => l.action === undefined)
    .map((l) => ({
      when: l.createdOn,
      level: l.level,
      name: l.name ?? (l.type === undefined ? 'Log' : `Log type ${l.type}`),
      text: secretMasker.mask(l.text ?? ''),
    }));
  const failingAction = [...actions].reverse().find((a) => a.failed);

  let actionsNote: string | undefined;
  if (actions.length === 0) {
    actionsNote =
      input.actions === undefined && input.actionsError !== undefined
        ? unreadable('action log', input.actionsError)
        : live
          ? 'No action has run yet.'
          : 'The run wrote no action log (the environment may have action logs turned off, or keep them only for failed runs).';
  }

  let inputs: ValueSection;
  if (details.inputs !== undefined) {
    inputs = {
      kind: 'json',
      value: details.inputs,
      ...(input.schemaKnown
        ? {}
        : { note: "The flow's schema could not be read, so sensitive inputs could not be masked." }),
    };
  } else {
    inputs = {
      kind: 'note',
      text: details.inputsError === undefined ? 'None.' : unreadable('inputs', details.inputsError),
    };
  }
  let outputs: ValueSection;
  if (details.outputs !== undefined) {
    outputs = { kind: 'json', value: details.outputs };
  } else if (details.outputsError !== undefined) {
    outputs = { kind: 'note', text: unreadable('outputs', details.outputsError) };
  } else {
    outputs = {
      kind: 'note',
      text:
        run.status === 'succeeded'
          ? 'None.'
          : live
            ? 'None yet: outputs are there once the run succeeds.'
            : `None: the run ${describeStatus(run.status)}.`,
    };
  }

  return {
    title: `${input.flowName ?? 'Desktop flow'} — run ${run.id.slice(0, 8)}`,
    status,
    statusKind: statusKind(run.status),
    live,
    facts: facts
      .filter((f): f is [string, string] => f[1] !== undefined && f[1] !== '')
      .map(([k, v]) => [k, secretMasker.mask(v)]),
    error:
      details.error === undefined
        ? undefined
        : {
            code: details.error.code ?? 'Error',
            message:
              details.error.message === undefined ? undefined : secretMasker.mask(details.error.message),
            remedy:
              details.error.remedy === undefined
                ? undefined
                : { title: details.error.remedy.title, text: details.error.remedy.remedy },
          },
    failingAction,
    inputs,
    outputs,
    actions,
    actionsNote,
    logs,
    portalUrl: input.portalUrl,
    runId: run.id,
  };
}
