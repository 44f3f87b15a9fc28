/** `desktop-flows connections`: desktop-flow connections and connection references of an environment. */
import type { CliCommand } from '../cliCommand';
import { exitCodes, usageError } from '../cliErrors';
import { connectionJson, connectionReferenceJson } from '../jsonShapes';
import { formatTable } from '../textTable';

export const connectionsCommand: CliCommand = {
  name: 'connections',
  summary: 'List desktop-flow connections and connection references (for `run --connection`).',
  details: [
    'Connections come from the Power Apps service, references from Dataverse. `run --connection` takes a connection NAME (shared-uiflow-…), `run --connection-reference` a reference LOGICAL NAME.',
  ],
  positionals: [],
  options: {},
  service: true,
  examples: [
    'desktop-flows connections --env "Contoso Dev"',
    'desktop-flows connections --env "Contoso Dev" --json | jq -r \'.connections[] | select(.status == "connected") | .name\'',
  ],
  async run(ctx) {
    const session = await ctx.connection.session(ctx.signal);
    const environment = await ctx.connection.environment(ctx.signal);
    const environmentId = environment.id;
    if (environmentId === undefined) {
      throw usageError(
        'Listing connections needs the environment id, and discovery could not name the environment of this org URL: pass --env <environment id or name>.',
      );
    }
    const [connections, references] = await Promise.all([
      session.connections.listDesktopFlowConnections(environmentId, ctx.signal),
      session.connectionReferences.listDesktopFlowReferences(environment.orgUrl, ctx.signal),
    ]);
    const result = {
      connections: connections.map(connectionJson),
      connectionReferences: references.map(connectionReferenceJson),
    };
    if (ctx.json) {
      ctx.out.json(result);
      return exitCodes.success;
    }
    ctx.out.line('Connections');
    ctx.out.line(
      result.connections.length === 0
        ? '  (none)'
        : formatTable(
            ['NAME', 'DISPLAY NAME', 'STATUS', 'USERNAME', 'ERROR'],
            result.connections.map((c) => [c.name, c.displayName, c.status, c.username ?? '', c.error ?? '']),
          ),
    );
    ctx.out.line('');
    ctx.out.line('Connection references');
    ctx.out.line(
      result.connectionReferences.length === 0
        ? '  (none)'
        : formatTable(
            ['LOGICAL NAME', 'DISPLAY NAME', 'CONNECTION'],
            result.connectionReferences.map((r) => [
              r.logicalName,
              r.displayName,
              r.connectionName ?? '(not set)',
            ]),
          ),
    );
    return exitCodes.success;
  },
};
