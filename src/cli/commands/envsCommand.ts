/** `desktop-flows envs`: the environments the credentials reach (those with Dataverse). */
import type { CliCommand } from '../cliCommand';
import { exitCodes } from '../cliErrors';
import { environmentJson } from '../jsonShapes';
import { formatTable } from '../textTable';

export const envsCommand: CliCommand = {
  name: 'envs',
  summary: 'List the environments you can reach (those with Dataverse).',
  details: [
    'Desktop flows live in Dataverse, so only environments with a database are listed. Any column of the list works as --env for the other commands: the org URL, the id, the unique name or the display name.',
  ],
  positionals: [],
  options: {},
  service: true,
  examples: ['desktop-flows envs', "desktop-flows envs --json | jq -r '.[].orgUrl'"],
  async run(ctx) {
    const session = await ctx.connection.session(ctx.signal);
    const environments = (await session.environments.list(ctx.signal)).map(environmentJson);
    if (ctx.json) {
      ctx.out.json(environments);
    } else if (environments.length === 0) {
      ctx.out.note('No environments with Dataverse were found for this account.');
    } else {
      ctx.out.line(
        formatTable(
          ['NAME', 'ID', 'ORG URL', 'TYPE', 'DEFAULT'],
          environments.map((e) => [e.name, e.id, e.orgUrl, e.type ?? '', e.isDefault === true ? 'yes' : '']),
        ),
      );
    }
    return exitCodes.success;
  },
};
