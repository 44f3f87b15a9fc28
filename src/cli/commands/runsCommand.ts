/** `desktop-flows runs <flow>`: a flow's recent runs, newest first. */
import { DataverseRunsBackend } from '../../core/runs/dataverseRunsBackend';
import { listRunHistory } from '../../core/runs/runReview';
import type { CliCommand } from '../cliCommand';
import { numberValue, stringValue } from '../cliCommand';
import { exitCodes, usageError } from '../cliErrors';
import { resolveFlow } from '../flowLookup';
import { runStateJson, runStateSource } from '../jsonShapes';
import { formatRunTable } from '../runText';

export const runsCommand: CliCommand = {
  name: 'runs',
  summary: "List a flow's recent runs, newest first.",
  positionals: [{ name: 'flow', required: true, description: 'Flow id or exact name.' }],
  options: {
    top: { type: 'string', value: '<n>', description: 'How many runs, 1 to 5000 (default 25).' },
    since: {
      type: 'string',
      value: '<time>',
      description:
        'Only runs created at or after this time: ISO 8601 with a time zone (2026-05-06T10:00:00Z), e.g. the one an "outcome unknown" report gives.',
    },
  },
  service: true,
  examples: [
    'desktop-flows runs "Invoice Processing" --env "Contoso Dev" --top 10',
    'desktop-flows runs "Invoice Processing" --env "Contoso Dev" --since 2026-05-06T10:00:00Z',
  ],
  async run(ctx) {
    const top = numberValue(ctx.values, 'top', { min: 1, max: 5000, integer: true }) ?? 25;
    const sinceText = stringValue(ctx.values, 'since');
    let since: number | undefined;
    if (sinceText !== undefined) {
      since = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(sinceText)
        ? Date.parse(sinceText)
        : Number.NaN;
      if (Number.isNaN(since)) {
        throw usageError(
          `--since must be an ISO 8601 time with a time zone, such as 2026-05-06T10:00:00Z (got "${sinceText}").`,
        );
      }
    }
    const session = await ctx.connection.session(ctx.signal);
    const environment = await ctx.connection.environment(ctx.signal);
    const flow = await resolveFlow(session, environment, ctx.positionals[0] ?? '', ctx.signal);
    const backend = new DataverseRunsBackend(session.runs, environment.orgUrl);
    const page = await listRunHistory(
      backend,
      flow.id,
      { pageSize: top, ...(since === undefined ? {} : { createdOnOrAfter: since }) },
      ctx.signal,
    );
    const runs = page.entries
      .slice(0, top)
      .map((entry) => runStateJson(runStateSource(entry.run, entry, flow.name), environment));
    if (ctx.json) {
      ctx.out.json(runs);
    } else if (runs.length === 0) {
      ctx.out.note(
        since === undefined
          ? `"${flow.name}" has no runs yet.`
          : `"${flow.name}" has no runs created since ${sinceText ?? ''}.`,
      );
    } else {
      ctx.out.line(formatRunTable(runs));
    }
    return exitCodes.success;
  },
};
