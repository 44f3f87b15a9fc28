/** `desktop-flows runs <flow>`: a flow's recent runs, newest first. */
import { DataverseRunsBackend } from '../../core/runs/dataverseRunsBackend';
import { listRunHistory } from '../../core/runs/runReview';
import type { CliCommand } from '../cliCommand';
import { numberValue } from '../cliCommand';
import { exitCodes } from '../cliErrors';
import { resolveFlow } from '../flowLookup';
import { runStateJson, runStateSource } from '../jsonShapes';
import { formatRunTable } from '../runText';

export const runsCommand: CliCommand = {
  name: 'runs',
  summary: "List a flow's recent runs, newest first.",
  positionals: [{ name: 'flow', required: true, description: 'Flow id or exact name.' }],
  options: {
    top: { type: 'string', value: '<n>', description: 'How many runs, 1 to 5000 (default 25).' },
  },
  service: true,
  examples: ['desktop-flows runs "Invoice Processing" --env "Contoso Dev" --top 10'],
  async run(ctx) {
    const top = numberValue(ctx.values, 'top', { min: 1, max: 5000, integer: true }) ?? 25;
    const session = await ctx.connection.session(ctx.signal);
    const environment = await ctx.connection.environment(ctx.signal);
    const flow = await resolveFlow(session, environment, ctx.positionals[0] ?? '', ctx.signal);
    const backend = new DataverseRunsBackend(session.runs, environment.orgUrl);
    const page = await listRunHistory(backend, flow.id, { pageSize: top }, ctx.signal);
    const runs = page.entries
      .slice(0, top)
      .map((entry) => runStateJson(runStateSource(entry.run, entry, flow.name), environment));
    if (ctx.json) {
      ctx.out.json(runs);
    } else if (runs.length === 0) {
      ctx.out.note(`"${flow.name}" has no runs yet.`);
    } else {
      ctx.out.line(formatRunTable(runs));
    }
    return exitCodes.success;
  },
};
