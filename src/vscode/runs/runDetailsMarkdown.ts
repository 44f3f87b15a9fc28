/**
 * A run document as Markdown: what "Copy as Markdown" puts on the clipboard (for a support ticket) and the
 * `desktopflows-run:` details document. Built from the same model as the rendered panel
 * (`runDocumentModel.ts`). Pure: no `vscode` import, unit-tested under plain Node.
 */
import { secretMasker } from '../../core/util/secretMasker';
import {
  runDocumentModel,
  type ActionRow,
  type RunDocumentInput,
  type ValueSection,
} from './runDocumentModel';

function cell(text: string): string {
  return text.replace(/[|\\`*_{}[\]<>#]/g, (c) => `\\${c}`).replace(/\r?\n/g, ' ');
}

function jsonBlock(value: unknown): string {
  // A fence longer than any backtick run inside, so values cannot end the block early.
  // Masked by value first: the document's text masking then never has to touch JSON.
  const json = JSON.stringify(secretMasker.maskValue(value), null, 2);
  const longest = Math.max(2, ...[...json.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  return `${fence}json\n${json}\n${fence}`;
}

function section(lines: string[], value: ValueSection): void {
  if (value.kind === 'json') {
    lines.push(jsonBlock(value.value));
    if (value.note !== undefined) {
      lines.push('', `_${cell(value.note)}_`);
    }
  } else {
    lines.push(`_${cell(value.text)}_`);
  }
}

function params(list: readonly [string, string][]): string {
  return list.map(([k, v]) => `${k} = ${v.length > 200 ? `${v.slice(0, 200)}…` : v}`).join('; ');
}

function actionLine(a: ActionRow): string {
  return `| ${cell(a.index)} | ${cell(a.name)}${a.module === undefined ? '' : ` (${cell(a.module)})`} | ${cell(a.status ?? '')} | ${cell(a.duration ?? '')} | ${cell(params(a.inputs))} | ${cell(params(a.outputs))} | ${cell(a.error ?? '')} |`;
}

/** Options of `runDetailsMarkdown` (the model's input without the run's details). */
export type RunDetailsMarkdownOptions = Omit<RunDocumentInput, 'details' | 'readAt'> & {
  readonly readAt?: number;
};

/** A run's document as Markdown: facts, error and remedy, failing action, inputs and outputs (masked), action log. */
export function runDetailsMarkdown(
  details: RunDocumentInput['details'],
  options: RunDetailsMarkdownOptions,
): string {
  const model = runDocumentModel({ ...options, details, readAt: options.readAt ?? Date.now() });
  const lines: string[] = [`# ${cell(model.title)}`, '', '| | |', '|---|---|'];
  for (const [name, value] of model.facts) {
    lines.push(`| ${name} | ${cell(value)} |`);
  }
  if (model.live) {
    lines.push('', `_The run is still ${cell(model.status)}: this document follows it._`);
  }
  if (model.error !== undefined) {
    lines.push('', '## Error', '');
    lines.push(
      `**${cell(model.error.code)}**${model.error.message === undefined ? '' : `: ${cell(model.error.message)}`}`,
    );
    if (model.error.remedy !== undefined) {
      lines.push('', `**${cell(model.error.remedy.title)}.** ${cell(model.error.remedy.text)}`);
    }
  }
  if (model.failingAction !== undefined) {
    const a = model.failingAction;
    lines.push('', '## Failing action', '');
    lines.push(
      `Action ${cell(a.index)}: **${cell(a.name)}**${a.module === undefined ? '' : ` (${cell(a.module)})`}${a.error === undefined ? '' : ` — ${cell(a.error)}`}`,
    );
  }
  lines.push('', '## Inputs', '');
  section(lines, model.inputs);
  lines.push('', '## Outputs', '');
  section(lines, model.outputs);
  lines.push('', '## Action log', '');
  if (model.actions.length > 0) {
    lines.push(
      '| # | Action | Status | Duration | Inputs | Outputs | Error |',
      '|---|---|---|---|---|---|---|',
    );
    lines.push(...model.actions.map(actionLine));
  } else {
    lines.push(`_${cell(model.actionsNote ?? 'None.')}_`);
  }
  if (model.logs.length > 0) {
    lines.push('', '## Flow logs', '', '| When | Level | Log | Data |', '|---|---|---|---|');
    for (const l of model.logs) {
      lines.push(`| ${cell(l.when ?? '')} | ${cell(l.level ?? '')} | ${cell(l.name)} | ${cell(l.text)} |`);
    }
  }
  if (model.portalUrl !== undefined) {
    lines.push('', `[Open the flow in Power Automate](${model.portalUrl})`);
  }
  return secretMasker.mask(`${lines.join('\n')}\n`);
}
