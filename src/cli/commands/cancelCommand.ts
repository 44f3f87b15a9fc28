/** `desktop-flows cancel <run>`: ask the service to cancel a queued or running run. */
import { CancellationError } from '../../core/errors';
import { isTerminal } from '../../core/model/run';
import { RunError } from '../../core/runs/runErrors';
import { describeStatus } from '../../core/runs/runTranscript';
import type { CliCommand } from '../cliCommand';
import { flagValue, pollOption } from '../cliCommand';
import { exitCodes } from '../cliErrors';
import { environmentRefJson, runStateJson } from '../jsonShapes';
import { flowNameOf, getRun, runIdArgument } from '../runLookup';
import { createRunService, pollIntervalMs, RunProgress } from '../runProgress';
import { formatRunState } from '../runText';

export const cancelCommand: CliCommand = {
  name: 'cancel',
  summary: 'Cancel a queued or running run; --wait until it has ended.',
  details: [
    'Cancelling needs Owner access to the run. Exit code 0 when the service accepted the cancellation (with --wait: when the run ended cancelled), 1 when the run had already ended or ended otherwise before the cancellation took effect.',
  ],
  positionals: [{ name: 'run', required: true, description: 'Run id (flowsessionid).' }],
  options: {
    wait: { type: 'boolean', description: 'Wait until the run has ended; progress on stderr.' },
    ...pollOption,
  },
  service: true,
  examples: ['desktop-flows cancel 5c1e0a4b-1f2d-4e3c-9a8b-7d6c5b4a3f2e --env "Contoso Dev" --wait'],
  async run(ctx) {
    const runId = runIdArgument(ctx.positionals[0]);
    const wait = flagValue(ctx.values, 'wait');
    const cloud = await ctx.connection.cloud(ctx.signal);
    const pollMs = pollIntervalMs(ctx.values, cloud.loopback);
    const session = await ctx.connection.session(ctx.signal);
    const environment = await ctx.connection.environment(ctx.signal);
    const run = await getRun(session, environment, runId, ctx.signal);
    if (isTerminal(run.status)) {
      throw new RunError({
        reason: 'alreadyFinished',
        message: `The run already ended (${run.status}).`,
        runId: run.id,
        status: describeStatus(run.status),
      });
    }
    const flowName = await flowNameOf(session, environment, run.flowId, ctx.signal, ctx.logger);
    const service = createRunService(session, ctx.logger, pollMs);
    const progress = wait ? new RunProgress(service, ctx.out, (o) => o, run.id) : undefined;
    try {
      const subject = {
        environment: environment.ref,
        flowId: run.flowId ?? '',
        ...(flowName === undefined ? {} : { flowName }),
        runId: run.id,
      };
      const result = await service.cancel(subject, ctx.signal);
      if (progress === undefined) {
        if (ctx.json) {
          ctx.out.json({
            runId: run.id,
            flowId: run.flowId ?? null,
            flowName: flowName ?? null,
            environment: environmentRefJson(environment),
            statusBefore: result.statusBefore,
            cancelRequested: true,
          });
        } else {
          ctx.out.line(
            `Cancellation of run ${run.id} requested (it was ${describeStatus(result.statusBefore)}).`,
          );
        }
        return exitCodes.success;
      }
      let finished;
      try {
        finished = await progress.finished(ctx.signal);
      } catch (e) {
        if (CancellationError.is(e)) {
          ctx.out.note(`Stopped waiting; the cancellation of run ${run.id} was requested.`);
        }
        throw e;
      }
      const state = runStateJson(
        { ...finished, flowId: run.flowId, flowName, runMode: run.runMode },
        environment,
      );
      if (ctx.json) {
        ctx.out.json(state);
      } else {
        ctx.out.line(formatRunState(state));
      }
      if (state.status === 'cancelled') {
        return exitCodes.success;
      }
      ctx.out.note(`Run ${run.id} ${describeStatus(state.status)} before the cancellation took effect.`);
      return exitCodes.runFailed;
    } finally {
      progress?.dispose();
      service.dispose();
    }
  },
};
