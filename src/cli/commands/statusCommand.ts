/** `desktop-flows status <run>`: a run's status, timings and error; with `--wait`, follow it to its end. */
import { CancellationError } from '../../core/errors';
import { runTimings } from '../../core/runs/runEvents';
import type { CliCommand } from '../cliCommand';
import { flagValue, pollOption } from '../cliCommand';
import { exitCodes } from '../cliErrors';
import { runStateJson, runStateSource } from '../jsonShapes';
import { flowNameOf, getRun, outputMasker, outputSchemaOf, runIdArgument } from '../runLookup';
import { createRunService, pollIntervalMs, RunProgress } from '../runProgress';
import { formatRunState } from '../runText';

export const statusCommand: CliCommand = {
  name: 'status',
  summary: "Show a run's status, timings and error; --wait follows it to its end.",
  details: [
    'Without --wait the exit code is 0 whenever the status could be read. With --wait it tells how the run ended: 0 succeeded, 1 failed, cancelled or timed out. Reading a run needs Owner access to it.',
  ],
  positionals: [{ name: 'run', required: true, description: 'Run id (flowsessionid).' }],
  options: {
    wait: { type: 'boolean', description: 'Wait until the run ends; progress on stderr.' },
    'show-sensitive': {
      type: 'boolean',
      description: 'Do not mask outputs the flow marks as sensitive (--wait).',
    },
    ...pollOption,
  },
  service: true,
  examples: [
    'desktop-flows status 5c1e0a4b-1f2d-4e3c-9a8b-7d6c5b4a3f2e --env "Contoso Dev"',
    'desktop-flows status 5c1e0a4b-1f2d-4e3c-9a8b-7d6c5b4a3f2e --env "Contoso Dev" --wait --json',
  ],
  async run(ctx) {
    const runId = runIdArgument(ctx.positionals[0]);
    const wait = flagValue(ctx.values, 'wait');
    const cloud = await ctx.connection.cloud(ctx.signal);
    const pollMs = wait ? pollIntervalMs(ctx.values, cloud.loopback) : 0;
    const session = await ctx.connection.session(ctx.signal);
    const environment = await ctx.connection.environment(ctx.signal);
    const run = await getRun(session, environment, runId, ctx.signal);
    const flowName = await flowNameOf(session, environment, run.flowId, ctx.signal, ctx.logger);
    if (!wait) {
      const state = runStateJson(runStateSource(run, runTimings(run, Date.now()), flowName), environment);
      if (ctx.json) {
        ctx.out.json(state);
      } else {
        ctx.out.line(formatRunState(state));
      }
      return exitCodes.success;
    }
    const schema = await outputSchemaOf(session, environment, run.flowId, ctx.signal, ctx.logger);
    const mask = outputMasker(schema, flagValue(ctx.values, 'show-sensitive'));
    const service = createRunService(session, ctx.logger, pollMs);
    const progress = new RunProgress(service, ctx.out, mask, run.id);
    try {
      await service.watch({
        environment: environment.ref,
        flowId: run.flowId ?? '',
        ...(flowName === undefined ? {} : { flowName }),
        runId: run.id,
        followActionLog: true,
      });
      let finished;
      try {
        finished = await progress.finished(ctx.signal);
      } catch (e) {
        if (CancellationError.is(e)) {
          ctx.out.note(`Stopped waiting. Run ${run.id} goes on.`);
        }
        throw e;
      }
      const state = runStateJson(
        { ...finished, flowId: run.flowId, flowName, runMode: run.runMode },
        environment,
      );
      const outputs = finished.outputs === undefined ? null : mask(finished.outputs);
      if (ctx.json) {
        ctx.out.json({ ...state, outputs });
      } else {
        ctx.out.line(formatRunState(state, outputs));
      }
      return state.succeeded ? exitCodes.success : exitCodes.runFailed;
    } finally {
      progress.dispose();
      service.dispose();
    }
  },
};
