/** Every command of the CLI, in the order `desktop-flows --help` lists them. */
import type { CliCommand } from './cliCommand';
import { batchCommand } from './commands/batchCommand';
import { cancelCommand } from './commands/cancelCommand';
import { connectionsCommand } from './commands/connectionsCommand';
import { envsCommand } from './commands/envsCommand';
import { flowsCommand } from './commands/flowsCommand';
import { machinesCommand } from './commands/machinesCommand';
import { mcpCommand } from './commands/mcpCommand';
import { outputsCommand } from './commands/outputsCommand';
import { runCommand } from './commands/runCommand';
import { runsCommand } from './commands/runsCommand';
import { sandboxCommand } from './commands/sandboxCommand';
import { schemaCommand } from './commands/schemaCommand';
import { statusCommand } from './commands/statusCommand';
import { testCommand } from './commands/testCommand';

export const commandList: readonly CliCommand[] = [
  envsCommand,
  flowsCommand,
  schemaCommand,
  connectionsCommand,
  machinesCommand,
  runCommand,
  batchCommand,
  testCommand,
  statusCommand,
  outputsCommand,
  cancelCommand,
  runsCommand,
  sandboxCommand,
  mcpCommand,
];

/** The command called `name`, if any. */
export function findCommand(name: string): CliCommand | undefined {
  return commandList.find((c) => c.name === name);
}
