/** `desktop-flows connections`: desktop-flow connections and connection references of an environment. */
import { AuthError } from '../../core/errors';
import type { DesktopFlowConnection } from '../../core/model/connection';
import type { ServiceSession } from '../../core/serviceSession';
import type { CliCommand } from '../cliCommand';
import { exitCodes } from '../cliErrors';
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
    const where = environment.displayName ?? environment.orgUrl;
    // References live in the org; connections in the Power Apps service, which needs the environment id
    // and a token for that service. Without either, the references are still listed.
    const [connectionsResult, references] = await Promise.all([
      listConnections(session, environment.id, ctx.signal),
      session.connectionReferences.listDesktopFlowReferences(environment.orgUrl, ctx.signal),
    ]);
    const connections = connectionsResult.ok ? connectionsResult.connections : [];
    if (!connectionsResult.ok) {
      ctx.out.note(
        `Connections of ${where} are not listed: ${connectionsResult.missing} Connection references are listed below.`,
      );
    }
    const result = {
      connections: connections.map(connectionJson),
      connectionReferences: references.map(connectionReferenceJson),
      ...(connectionsResult.ok ? {} : { connectionsUnavailable: connectionsResult.missing }),
    };
    if (ctx.json) {
      ctx.out.json(result);
      return exitCodes.success;
    }
    ctx.out.line('Connections');
    ctx.out.line(
      !connectionsResult.ok
        ? '  (not available)'
        : result.connections.length === 0
          ? '  (none)'
          : formatTable(
              ['NAME', 'DISPLAY NAME', 'STATUS', 'USERNAME', 'ERROR'],
              result.connections.map((c) => [
                c.name,
                c.displayName,
                c.status,
                c.username ?? '',
                c.error ?? '',
              ]),
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

type ConnectionsResult =
  | { readonly ok: true; readonly connections: DesktopFlowConnection[] }
  | { readonly ok: false; readonly missing: string };

/** Power Apps connections when they can be had; otherwise what is missing, in a sentence. */
async function listConnections(
  session: ServiceSession,
  environmentId: string | undefined,
  signal: AbortSignal,
): Promise<ConnectionsResult> {
  if (environmentId === undefined) {
    return {
      ok: false,
      missing:
        'the org did not tell its environment id, which the Power Apps service needs (pass --env <environment id or name> to look it up through discovery).',
    };
  }
  try {
    return {
      ok: true,
      connections: await session.connections.listDesktopFlowConnections(environmentId, signal),
    };
  } catch (e) {
    if (e instanceof AuthError && e.reason !== 'cancelled') {
      return {
        ok: false,
        missing: `no token for the Power Apps service (${e.message}) Sign in without DESKTOPFLOWS_TOKEN, or give a token for ${session.cloud.powerAppsResource}.`,
      };
    }
    throw e;
  }
}
