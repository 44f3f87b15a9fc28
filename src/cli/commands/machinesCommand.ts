/** `desktop-flows machines`: machines and machine groups of an environment. */
import type { CliCommand } from '../cliCommand';
import { exitCodes } from '../cliErrors';
import { machineGroupJson, machineJson } from '../jsonShapes';
import { formatTable } from '../textTable';

export const machinesCommand: CliCommand = {
  name: 'machines',
  summary: 'List machines and machine groups of an environment.',
  details: [
    'Every standalone machine has an implicit group of its own; the text output hides those groups (the JSON marks them `implicit`).',
  ],
  positionals: [],
  options: {},
  service: true,
  examples: ['desktop-flows machines --env "Contoso Dev"'],
  async run(ctx) {
    const session = await ctx.connection.session(ctx.signal);
    const environment = await ctx.connection.environment(ctx.signal);
    const [machines, groups] = await Promise.all([
      session.machines.list(environment.orgUrl, ctx.signal),
      session.machineGroups.list(environment.orgUrl, ctx.signal),
    ]);
    const groupNames = new Map(groups.map((g) => [g.id.toLowerCase(), g.name]));
    const counts = new Map<string, number>();
    for (const m of machines) {
      if (m.groupId !== undefined) {
        const key = m.groupId.toLowerCase();
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
    }
    const result = {
      machines: machines.map((m) =>
        machineJson(m, m.groupId === undefined ? undefined : groupNames.get(m.groupId.toLowerCase())),
      ),
      machineGroups: groups.map((g) => machineGroupJson(g, counts.get(g.id.toLowerCase()) ?? 0)),
    };
    if (ctx.json) {
      ctx.out.json(result);
      return exitCodes.success;
    }
    ctx.out.line('Machines');
    ctx.out.line(
      result.machines.length === 0
        ? '  (none)'
        : formatTable(
            ['NAME', 'STATUS', 'GROUP', 'LAST HEARTBEAT', 'VERSION', 'ID'],
            result.machines.map((m) => [
              m.name,
              m.status,
              m.groupName === m.name ? '' : (m.groupName ?? ''),
              m.lastHeartbeatOn ?? '',
              m.agentVersion ?? '',
              m.id,
            ]),
          ),
    );
    const shown = result.machineGroups.filter((g) => !g.implicit);
    ctx.out.line('');
    ctx.out.line('Machine groups');
    ctx.out.line(
      shown.length === 0
        ? '  (none)'
        : formatTable(
            ['NAME', 'MACHINES', 'STATUS', 'ID'],
            shown.map((g) => [g.name, String(g.machineCount), g.status, g.id]),
          ),
    );
    return exitCodes.success;
  },
};
