import { ApiError } from '../../core/errors';
import type { RunTrigger as RunTriggerKind } from '../../core/model/run';
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

function cell(text: string): string {
  return text.replace(/[|\\`*_{}[\]<>#]/g, (c) => `\\${c}`).replace(/\r?\n/g, ' ');
}

function when(iso: string | undefined): string | undefined {
  if (iso === undefined) {
    return undefined;
  }
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : `${d.toLocaleString()} (${iso})`;
}

function jsonBlock(value: unknown): string {
  // A fence longer than any backtick run inside, so values cannot end the block early.
  // Masked by value first: the document's text masking then never has to touch JSON.
  const json = JSON.stringify(secretMasker.maskValue(value), null, 2);
  const longest = Math.max(2, ...[...json.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  return `${fence}json\n${json}\n${fence}`;
}

function unreadable(what: string, e: unknown): string {
  const reason = ApiError.is(e, 'forbidden')
    ? 'you need Owner access to the run to read it'
    : e instanceof Error
      ? e.message
      : String(e);
  return `_The ${what} could not be read: ${cell(reason)}._`;
}

/** Options of `runDetailsMarkdown`. */
export interface RunDetailsMarkdownOptions {
  readonly flowName: string | undefined;
  readonly portalUrl: string | undefined;
  /** False when the flow's schema could not be read, so sensitive values could not be told apart. */
  readonly schemaKnown: boolean;
}

/** A run's details as a markdown document: facts, error and remedy, inputs (masked), outputs, portal link. */
export function runDetailsMarkdown(details: RunDetails, options: RunDetailsMarkdownOptions): string {
  const run = details.run;
  const title = `${options.flowName ?? 'Desktop flow'} — run ${run.id.slice(0, 8)}`;
  const facts: [string, string | undefined][] = [
    [
      'Status',
      `${describeStatus(run.status)}${run.statusLabel === undefined ? '' : ` (${run.statusLabel})`}`,
    ],
    ['Environment', details.environment.displayName ?? details.environment.orgUrl],
    ['Machine', run.machineName ?? run.machineId],
    ['Run mode', run.runMode === 'unknown' ? undefined : run.runMode],
    ['Started by', triggerWords[run.trigger]],
    ['Queued', when(details.createdOn)],
    ['Started', when(details.startedOn)],
    ['Completed', when(details.completedOn)],
    ['Time in queue', details.queueWaitMs === undefined ? undefined : formatDuration(details.queueWaitMs)],
    ['Run time', details.runTimeMs === undefined ? undefined : formatDuration(details.runTimeMs)],
    ['Run id', run.id],
    ['Flow id', run.flowId],
    ['Connection', run.connectionId],
  ];
  const lines: string[] = [`# ${cell(title)}`, '', '| | |', '|---|---|'];
  for (const [name, value] of facts) {
    if (value !== undefined && value !== '') {
      lines.push(`| ${name} | ${cell(value)} |`);
    }
  }
  if (details.error !== undefined) {
    lines.push('', '## Error', '');
    lines.push(
      `**${cell(details.error.code ?? 'Error')}**${details.error.message === undefined ? '' : `: ${cell(details.error.message)}`}`,
    );
    if (details.error.remedy !== undefined) {
      lines.push('', `**${cell(details.error.remedy.title)}.** ${cell(details.error.remedy.remedy)}`);
    }
  }
  lines.push('', '## Inputs', '');
  if (details.inputs !== undefined) {
    lines.push(jsonBlock(details.inputs));
    if (!options.schemaKnown) {
      lines.push('', "_The flow's schema could not be read, so sensitive inputs could not be masked._");
    }
  } else {
    lines.push(details.inputsError === undefined ? '_None._' : unreadable('inputs', details.inputsError));
  }
  lines.push('', '## Outputs', '');
  if (details.outputs !== undefined) {
    lines.push(jsonBlock(details.outputs));
  } else if (details.outputsError !== undefined) {
    lines.push(unreadable('outputs', details.outputsError));
  } else {
    lines.push(run.status === 'succeeded' ? '_None._' : `_None: the run ${describeStatus(run.status)}._`);
  }
  if (options.portalUrl !== undefined) {
    lines.push('', `[Open the flow in Power Automate](${options.portalUrl})`);
  }
  return secretMasker.mask(`${lines.join('\n')}\n`);
}
