/** "Why is it waiting?" as Markdown, for the rendered preview. */
import { escapeMarkdown } from './readinessMarkdown';
import { formatSpan, type WaitingExplanation } from './whyWaiting';

/** The explanation as a Markdown document. */
export function whyWaitingMarkdown(
  answer: WaitingExplanation,
  names: {
    readonly flowName?: string;
    readonly environmentName: string;
    readonly flowNameOf?: (id: string) => string | undefined;
  },
  now: Date,
): string {
  const lines = [
    `# Why is it waiting? ${escapeMarkdown(names.flowName ?? answer.runId)}`,
    '',
    `${escapeMarkdown(names.environmentName)} · run ${answer.runId} · ${answer.status} · checked ${now.toISOString().replace('T', ' ').slice(0, 19)} UTC`,
    '',
    ...answer.reasons.map((r) => `- ${escapeMarkdown(r)}`),
  ];
  if (!answer.waiting) {
    return lines.join('\n');
  }
  lines.push(
    '',
    '## Queue',
    '',
    answer.position === undefined
      ? `${answer.queueLength} run(s) waiting in ${escapeMarkdown(answer.groupName ?? 'the group')}.`
      : `Position **${answer.position} of ${answer.queueLength}** by enqueue time in ${escapeMarkdown(answer.groupName ?? 'the group')}.`,
  );
  if (answer.timesOutAt !== undefined) {
    lines.push(
      '',
      `Queue timeout: ${answer.timesOutAt.replace('T', ' ').slice(0, 16)} UTC (6 hours after it was requested).`,
    );
  }
  if (answer.ahead.length > 0) {
    lines.push('', '| Ahead | Flow | Waiting for | Priority |', '|---|---|---|---|');
    answer.ahead.forEach((a, i) => {
      const flow = a.flowId === undefined ? '' : (names.flowNameOf?.(a.flowId) ?? a.flowId);
      lines.push(
        `| ${i + 1} | ${escapeMarkdown(flow)} | ${a.ageMs === undefined ? '' : formatSpan(a.ageMs)} | ${a.priority ?? 'not shown by the service'} |`,
      );
    });
  }
  lines.push('', '## Machines', '');
  if (answer.machines.length === 0) {
    lines.push('No machines in the group.');
  } else {
    lines.push('| Machine | State | Agent | Running |', '|---|---|---|---|');
    for (const m of answer.machines) {
      lines.push(
        `| ${escapeMarkdown(m.name)} | ${m.presence} | ${m.agentVersion ?? ''} | ${m.runningRunId ?? ''} |`,
      );
    }
  }
  return lines.join('\n');
}
