/**
 * "Check Before Run" as Markdown: one section per connection checked, each check with its outcome, what
 * will happen and how to fix it. Pure text, for the rendered preview in VS Code and for the terminal.
 */
import type { ReadinessItem, ReadinessReport } from './readiness';

const icons: Readonly<Record<ReadinessItem['outcome'], string>> = {
  ok: '✅',
  warning: '⚠️',
  error: '❌',
  unknown: '❔',
};

const checkNames: Readonly<Record<ReadinessItem['check'], string>> = {
  flow: 'Flow',
  connection: 'Connection',
  machines: 'Machines',
  session: 'Windows session',
  schemaVersion: 'Schema version',
  inputs: 'Inputs',
  options: 'Run options',
};

const verdicts: Readonly<Record<ReadinessReport['verdict'], string>> = {
  ready: '✅ Ready: the run can start at once.',
  willWait: '⚠️ The run can be sent, but see the warnings: it will wait or may not go as planned.',
  willFail: '❌ The run will fail or be refused. Fix the errors first.',
};

/** Escapes what Markdown would otherwise read as markup (names like `CONTOSO\maker`, `*`, `_`). */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_[\]<>|#]/g, (c) => `\\${c}`);
}

/** One report as a Markdown section. */
export function readinessSection(report: ReadinessReport, heading = '##'): string {
  const title = report.connectionDisplayName ?? 'Connection not resolved';
  const lines = [
    `${heading} ${escapeMarkdown(title)}${report.runMode === undefined ? '' : ` · ${report.runMode}`}`,
    '',
    `**${verdicts[report.verdict]}**`,
    '',
    '| Check | | What will happen |',
    '|---|---|---|',
  ];
  for (const item of report.items) {
    const fix = item.fix === undefined || item.outcome === 'ok' ? '' : ` *Fix:* ${escapeMarkdown(item.fix)}`;
    lines.push(
      `| ${checkNames[item.check]} | ${icons[item.outcome]} | ${escapeMarkdown(item.message)}${fix} |`,
    );
  }
  if (report.machines.length > 0) {
    lines.push(
      '',
      `Machines in ${escapeMarkdown(report.groupName ?? 'the target')}: ${report.machines
        .map(
          (m) =>
            `${escapeMarkdown(m.name)} (${m.presence}${m.agentVersion === undefined ? '' : `, agent ${m.agentVersion}`})`,
        )
        .join(', ')}; ${report.queuedAhead} run(s) waiting in its queue.`,
    );
  }
  return lines.join('\n');
}

/** The whole document: the flow, then one section per connection, the best first. */
export function readinessMarkdown(
  flowName: string,
  environmentName: string,
  reports: readonly ReadinessReport[],
  checkedAt: Date,
): string {
  const rank = { ready: 0, willWait: 1, willFail: 2 } as const;
  const sorted = [...reports].sort((a, b) => rank[a.verdict] - rank[b.verdict]);
  return [
    `# Check Before Run: ${escapeMarkdown(flowName)}`,
    '',
    `${escapeMarkdown(environmentName)} · checked ${checkedAt.toISOString().replace('T', ' ').slice(0, 19)} UTC · nothing was sent.`,
    '',
    ...(sorted.length === 0
      ? ['No desktop-flow connection in this environment: create one in Power Automate (Data › Connections).']
      : []),
    ...sorted.map((r) => `${readinessSection(r)}\n`),
  ].join('\n');
}
