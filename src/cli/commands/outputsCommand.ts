/** `desktop-flows outputs <run>`: the outputs of a succeeded run, as JSON. */
import { secretMasker } from '../../core/util/secretMasker';
import { isTerminal } from '../../core/model/run';
import { describeStatus } from '../../core/runs/runTranscript';
import type { CliCommand } from '../cliCommand';
import { flagValue } from '../cliCommand';
import { CliError, exitCodes } from '../cliErrors';
import { environmentRefJson } from '../jsonShapes';
import { flowNameOf, getRun, outputMasker, outputSchemaOf, runIdArgument } from '../runLookup';

export const outputsCommand: CliCommand = {
  name: 'outputs',
  summary: 'Print the outputs of a succeeded run.',
  details: [
    'Outputs are printed as JSON (an object of output names and values). Outputs the flow marks as sensitive are shown as ******** unless --show-sensitive is given. A run that has not succeeded has no outputs: the exit code is then 1.',
  ],
  positionals: [{ name: 'run', required: true, description: 'Run id (flowsessionid).' }],
  options: {
    'show-sensitive': { type: 'boolean', description: 'Do not mask outputs the flow marks as sensitive.' },
  },
  service: true,
  examples: [
    'desktop-flows outputs 5c1e0a4b-1f2d-4e3c-9a8b-7d6c5b4a3f2e --env "Contoso Dev"',
    'desktop-flows outputs 5c1e0a4b-1f2d-4e3c-9a8b-7d6c5b4a3f2e --env "Contoso Dev" --json | jq .outputs.Total',
  ],
  async run(ctx) {
    const runId = runIdArgument(ctx.positionals[0]);
    const session = await ctx.connection.session(ctx.signal);
    const environment = await ctx.connection.environment(ctx.signal);
    const run = await getRun(session, environment, runId, ctx.signal);
    const flowName = await flowNameOf(session, environment, run.flowId, ctx.signal, ctx.logger);
    const result = (outputs: Record<string, unknown> | null) => ({
      runId: run.id,
      flowId: run.flowId ?? null,
      flowName: flowName ?? null,
      environment: environmentRefJson(environment),
      status: run.status,
      outputs,
    });
    if (run.status !== 'succeeded') {
      if (ctx.json) {
        ctx.out.json(result(null));
      }
      throw new CliError(
        exitCodes.runFailed,
        isTerminal(run.status)
          ? `Run ${run.id} ${describeStatus(run.status)}: only succeeded runs have outputs.`
          : `Run ${run.id} has no outputs yet: it is ${describeStatus(run.status)}. \`desktop-flows status ${run.id} --wait\` waits for its end.`,
      );
    }
    const [raw, schema] = await Promise.all([
      session.runs.getRunOutputs(environment.orgUrl, run.id, ctx.signal),
      outputSchemaOf(session, environment, run.flowId, ctx.signal, ctx.logger),
    ]);
    const outputs = outputMasker(schema, flagValue(ctx.values, 'show-sensitive'))(raw ?? {});
    if (ctx.json) {
      ctx.out.json(result(outputs));
    } else {
      // Masked by value (a secret of any length), then printed as is: valid JSON in text mode too.
      ctx.out.line(JSON.stringify(secretMasker.maskValue(outputs), null, 2));
    }
    return exitCodes.success;
  },
};
