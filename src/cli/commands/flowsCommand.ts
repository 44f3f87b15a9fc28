/** `desktop-flows flows`: the desktop flows of an environment. */
import type { CliCommand } from '../cliCommand';
import { flagValue, stringValue } from '../cliCommand';
import { exitCodes } from '../cliErrors';
import { flowJson } from '../jsonShapes';
import { formatTable } from '../textTable';

export const flowsCommand: CliCommand = {
  name: 'flows',
  summary: 'List the desktop flows of an environment.',
  positionals: [],
  options: {
    drafts: { type: 'boolean', description: 'Also list draft (unpublished) flows.' },
    filter: {
      type: 'string',
      value: '<text>',
      description: 'Only flows whose name contains the text (case-insensitive, filtered by the service).',
    },
  },
  service: true,
  examples: [
    'desktop-flows flows --env https://contoso.crm.dynamics.com',
    'desktop-flows flows --env "Contoso Dev" --filter invoice --drafts',
  ],
  async run(ctx) {
    const session = await ctx.connection.session(ctx.signal);
    const environment = await ctx.connection.environment(ctx.signal);
    const filter = stringValue(ctx.values, 'filter');
    const flows = await session.flows.listAll(
      environment.orgUrl,
      {
        includeDrafts: flagValue(ctx.values, 'drafts'),
        ...(filter === undefined || filter === '' ? {} : { nameContains: filter }),
      },
      ctx.signal,
    );
    const rows = flows.map(flowJson);
    if (ctx.json) {
      ctx.out.json(rows);
    } else if (rows.length === 0) {
      ctx.out.note(
        `No desktop flows${filter === undefined ? '' : ` matching "${filter}"`} in ${environment.displayName ?? environment.orgUrl}.`,
      );
    } else {
      ctx.out.line(
        formatTable(
          ['NAME', 'ID', 'STATE', 'MODIFIED'],
          rows.map((f) => [f.name, f.id, f.draft ? 'draft' : f.state, f.modifiedOn ?? '']),
        ),
      );
    }
    return exitCodes.success;
  },
};
