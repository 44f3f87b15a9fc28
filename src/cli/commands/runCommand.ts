/**
 * `desktop-flows run <flow>`: validate the inputs and options locally (nothing is sent when they are
 * wrong), then start the run through the runs core (rate limit, exactly once), and with `--wait` follow
 * it to its end.
 */
import { randomUUID } from 'node:crypto';
import { ApiError, CancellationError } from '../../core/errors';
import { parseDesktopFlowSchema } from '../../core/inputs/desktopFlowSchema';
import { prepareRunInputs } from '../../core/inputs/prepareRunInputs';
import { validateRunOptions, type RunConnection, type RunOptionsProblem } from '../../core/runs/runOptions';
import type { CliCommand, CommandContext } from '../cliCommand';
import { flagValue, numberValue, pollOption, stringValue } from '../cliCommand';
import { exitCodes, usageError, type ExitCode } from '../cliErrors';
import type { CliEnvironment } from '../environmentLookup';
import { resolveFlow } from '../flowLookup';
import { runStartedJson, runStateJson } from '../jsonShapes';
import {
  cliSecretResolver,
  formatProblems,
  readInputFile,
  secretVariablePrefix,
  type InputFileText,
} from '../runInputFile';
import { outputMasker } from '../runLookup';
import { createRunService, pollIntervalMs, RunProgress } from '../runProgress';
import { formatRunState } from '../runText';

function describeProblem(p: RunOptionsProblem): string {
  switch (p.field) {
    case 'connection':
      return 'Give --connection <connection name> or --connection-reference <logical name> (`desktop-flows connections` lists both).';
    case 'runMode':
      return p.code === 'missing'
        ? '--mode is required: attended (in the signed-in session of the connection user) or unattended.'
        : '--mode must be attended or unattended.';
    case 'priority':
      return p.code === 'tooLarge'
        ? `--priority is too long (at most ${p.limit ?? 100} characters).`
        : '--priority must be normal, high or the name of a custom priority.';
    case 'timeoutSeconds':
      return `--timeout must be a whole number of seconds from 1 to 86400 (24 hours).`;
    case 'options':
      return 'The run options are not valid.';
  }
}

/** The connection flags, checked. */
function connectionOf(ctx: CommandContext): RunConnection | undefined {
  const name = stringValue(ctx.values, 'connection');
  const reference = stringValue(ctx.values, 'connection-reference');
  if (name !== undefined && reference !== undefined) {
    throw usageError('Give --connection or --connection-reference, not both.');
  }
  if (name !== undefined) {
    return { kind: 'connection', name };
  }
  return reference === undefined ? undefined : { kind: 'connectionReference', logicalName: reference };
}

/** Looks a connection reference up: unknown ones fail before sending; known ones share their connection's budget. */
async function withReferencedConnection(
  ctx: CommandContext,
  connection: RunConnection,
  environment: CliEnvironment,
): Promise<RunConnection> {
  if (connection.kind !== 'connectionReference') {
    return connection;
  }
  const session = await ctx.connection.session(ctx.signal);
  let references;
  try {
    references = await session.connectionReferences.listDesktopFlowReferences(environment.orgUrl, ctx.signal);
  } catch (e) {
    if (!ApiError.is(e) || e.reason === 'cancelled') {
      throw e;
    }
    // The service checks the reference itself; only the shared rate budget is lost.
    ctx.logger.debug(
      `[cli] could not read connection references (${e.reason}); sending the logical name as given`,
    );
    return connection;
  }
  const wanted = connection.logicalName.toLowerCase();
  const found = references.find((r) => r.logicalName.toLowerCase() === wanted);
  if (found === undefined) {
    throw usageError(
      `No desktop-flow connection reference "${connection.logicalName}" in ${environment.displayName ?? environment.orgUrl}. \`desktop-flows connections\` lists them.`,
    );
  }
  return found.connectionName === undefined
    ? { kind: 'connectionReference', logicalName: found.logicalName }
    : { kind: 'connectionReference', logicalName: found.logicalName, connectionName: found.connectionName };
}

export const runCommand: CliCommand = {
  name: 'run',
  summary: 'Start a desktop flow run, optionally waiting for it to end.',
  details: [
    'The flow is named by id or exact name; it may be left out when the --inputs file names it in "$schema". The environment comes from --env, else from the input file\'s "$schema", else DESKTOPFLOWS_ENV.',
    "Input files are checked against the flow's input schema before anything is sent: on any problem the CLI lists them and exits with 2. ${env:NAME} reads the environment variable NAME; ${secret:NAME} reads DESKTOPFLOWS_SECRET_NAME (or DESKTOPFLOWS_SECRET_ with NAME upper-cased and other characters turned into _).",
    'Without --wait the run id is printed on stdout and the command ends once the service accepted the run. With --wait, progress goes to stderr and the exit code tells how the run ended: 0 succeeded, 1 failed, cancelled or timed out. Ctrl+C stops waiting (exit 130); the run goes on.',
  ],
  positionals: [{ name: 'flow', required: false, description: 'Flow id or exact name.' }],
  options: {
    connection: {
      type: 'string',
      value: '<name>',
      description: 'Desktop-flow connection name (shared-uiflow-…).',
    },
    'connection-reference': {
      type: 'string',
      value: '<logical name>',
      description: 'Connection reference logical name, instead of --connection.',
    },
    inputs: {
      type: 'string',
      value: '<file>',
      description: 'Input file (JSON, as the extension writes them); - reads stdin.',
    },
    mode: { type: 'string', value: '<mode>', description: 'attended or unattended (required).' },
    priority: {
      type: 'string',
      value: '<priority>',
      description: 'normal (default), high, or a custom priority.',
    },
    timeout: {
      type: 'string',
      value: '<seconds>',
      description: 'Run timeout in seconds, 1 to 86400 (service default 10800, 3 hours).',
    },
    wait: { type: 'boolean', description: 'Wait until the run ends; progress on stderr.' },
    'show-sensitive': { type: 'boolean', description: 'Do not mask outputs the flow marks as sensitive.' },
    ...pollOption,
  },
  service: true,
  examples: [
    'desktop-flows run "Echo Text" --env "Contoso Dev" --connection shared-uiflow-1234 --mode attended --wait',
    'desktop-flows run --inputs invoice.json --connection-reference cr_finance_bots --mode unattended --priority high --wait --json',
  ],
  async run(ctx): Promise<ExitCode> {
    const wait = flagValue(ctx.values, 'wait');
    const connection = connectionOf(ctx);
    const timeoutSeconds = numberValue(ctx.values, 'timeout', { min: 1, max: 86_400, integer: true });
    const priority = stringValue(ctx.values, 'priority');
    const validation = validateRunOptions({
      connection: connection ?? null,
      runMode: stringValue(ctx.values, 'mode'),
      ...(priority === undefined ? {} : { priority }),
      ...(timeoutSeconds === undefined ? {} : { timeoutSeconds }),
    });
    if (!validation.ok) {
      throw usageError(validation.problems.map(describeProblem).join(' '));
    }
    const inputsPath = stringValue(ctx.values, 'inputs');
    const file: InputFileText | undefined =
      inputsPath === undefined ? undefined : await readInputFile(inputsPath, ctx.io);
    const flowKey = ctx.positionals[0] ?? file?.target?.flowId;
    if (flowKey === undefined) {
      throw usageError(
        file === undefined
          ? 'Name the flow to run: desktop-flows run <flow id or name> …'
          : `Name the flow to run: ${file.label} has no "$schema": "desktopflows-schema:/<flowId>.json", so give it as desktop-flows run <flow> …`,
      );
    }
    // The file's own environment counts unless --env overrides it (then a different one is a warning).
    const fromSchema = ctx.connection.settings.env === undefined ? file?.target?.environment : undefined;

    const cloud = await ctx.connection.cloud(ctx.signal);
    const pollMs = pollIntervalMs(ctx.values, cloud.loopback);
    const session = await ctx.connection.session(ctx.signal);
    const environment = await ctx.connection.environment(ctx.signal, fromSchema);
    const flow = await resolveFlow(session, environment, flowKey, ctx.signal);
    const schemas = await session.flows.getSchemas(environment.orgUrl, flow.id, ctx.signal, {
      includeDrafts: flow.isUnpublished,
    });

    let inputs: string | undefined;
    if (file !== undefined) {
      const schema = parseDesktopFlowSchema(schemas.inputs, 'inputs').schema;
      const prepared = await prepareRunInputs(file.text, schema, {
        signal: ctx.signal,
        resolver: cliSecretResolver(ctx.io.env),
        logger: ctx.logger,
        limitBytes: cloud.endpoints.inputLimitBytes,
        flowId: flow.id,
        environment: [
          environment.displayName,
          environment.id,
          environment.uniqueName,
          environment.orgUrl,
          fromSchema,
        ].filter((n): n is string => n !== undefined && n !== ''),
      });
      if (!prepared.ok) {
        for (const line of formatProblems(file.label, prepared.problems)) {
          ctx.out.note(line);
        }
        if (prepared.problems.some((p) => p.code === 'unresolvedReference')) {
          ctx.out.note(
            `Note: the CLI reads \${secret:NAME} from the environment variable ${secretVariablePrefix}NAME.`,
          );
        }
        const errors = prepared.problems.filter((p) => p.severity === 'error').length;
        throw usageError(
          `${file.label} has ${errors} problem${errors === 1 ? '' : 's'} that must be fixed before "${flow.name}" can run; nothing was sent.`,
        );
      }
      for (const line of formatProblems(file.label, prepared.warnings)) {
        ctx.out.note(line);
      }
      inputs = prepared.inputs;
    }

    const options = {
      ...validation.options,
      connection: await withReferencedConnection(ctx, validation.options.connection, environment),
    };
    const outputs = parseDesktopFlowSchema(schemas.outputs, 'outputs').schema;
    const mask = outputMasker(outputs, flagValue(ctx.values, 'show-sensitive'));
    const service = createRunService(session, ctx.logger, pollMs);
    const progress = new RunProgress(service, ctx.out, mask);
    try {
      const started = await service.trigger(
        {
          environment: environment.ref,
          flowId: flow.id,
          flowName: flow.name,
          options,
          ...(inputs === undefined ? {} : { inputs }),
          triggerId: randomUUID(),
          followActionLog: wait,
        },
        ctx.signal,
      );
      const start = runStartedJson(started, environment);
      if (!wait) {
        if (ctx.json) {
          ctx.out.json(start);
        } else {
          ctx.out.line(started.runId);
          ctx.out.note(
            `Follow it with: desktop-flows status ${started.runId} --env ${environment.id ?? environment.orgUrl} --wait`,
          );
        }
        return exitCodes.success;
      }
      let finished;
      try {
        finished = await progress.finished(ctx.signal);
      } catch (e) {
        if (CancellationError.is(e)) {
          ctx.out.note(
            `Stopped waiting. Run ${started.runId} goes on: desktop-flows status ${started.runId} --env ${environment.id ?? environment.orgUrl}`,
          );
        }
        throw e;
      }
      const state = runStateJson(
        {
          ...finished,
          runId: finished.runId,
          flowId: flow.id,
          flowName: flow.name,
          runMode: options.runMode,
        },
        environment,
      );
      const shownOutputs = finished.outputs === undefined ? null : mask(finished.outputs);
      if (ctx.json) {
        ctx.out.json({ ...state, outputs: shownOutputs, start });
      } else {
        ctx.out.line(formatRunState(state, shownOutputs));
      }
      return state.succeeded ? exitCodes.success : exitCodes.runFailed;
    } finally {
      progress.dispose();
      service.dispose();
    }
  },
};
