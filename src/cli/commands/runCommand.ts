/**
 * `desktop-flows run <flow>`: builds a `RunRequest` from the flags, prepares it with the core's
 * `prepareRun` (target, inputs, options and connection checked; nothing is sent when anything is wrong:
 * exit 2), starts it with `RunService.start` (rate limit, exactly once), and with `--wait` follows it to
 * its end. See docs/architecture.md for the road.
 */
import { CancellationError } from '../../core/errors';
import { FlowSchemaCache } from '../../core/inputs/flowSchemaCache';
import { prepareRun, type RunProblem } from '../../core/runs/prepareRun';
import { RunError } from '../../core/runs/runErrors';
import type { RunRequest } from '../../core/runs/runRequest';
import type { RunConnection, RunOptionsProblem } from '../../core/runs/runOptions';
import type { CliCommand, CommandContext } from '../cliCommand';
import { flagValue, numberValue, pollOption, stringValue } from '../cliCommand';
import {
  checkRunsCommand,
  CliError,
  exitCodes,
  outcomeUnknownMessage,
  usageError,
  type ExitCode,
} from '../cliErrors';
import { setStartInFlight } from '../startInFlight';
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

/** One problem as a terminal line: `file:line:column: error: message fix` for files, else `where: error: …`. */
function problemLine(p: RunProblem): string {
  if (p.optionsProblem !== undefined) {
    return `error: ${describeProblem(p.optionsProblem)}`;
  }
  if (p.input !== undefined && p.source !== undefined) {
    if (p.located === true) {
      return formatProblems(p.source, [p.input])[0] ?? '';
    }
    const at = p.input.pathText === '' ? '' : ` ${p.input.pathText}:`;
    return `${p.source}:${at} ${p.severity}: ${p.message} ${p.fix}`.trimEnd();
  }
  return `${p.severity}: ${p.message} ${p.fix}`.trimEnd();
}

/** Prints the problems on stderr and fails with exit 2 (a usage error): nothing was sent. */
function refuse(ctx: CommandContext, problems: readonly RunProblem[], flowName: string | undefined): never {
  const errors = problems.filter((p) => p.severity === 'error');
  const inputErrors = errors.filter((p) => p.field === 'inputs' && p.input !== undefined);
  // A lone problem that is not about the inputs is the message itself, as before.
  if (errors.length === 1 && inputErrors.length === 0) {
    for (const p of problems.filter((w) => w.severity === 'warning')) {
      ctx.out.note(problemLine(p));
    }
    const [only] = errors;
    if (only?.code === 'requiredInputs' && flowName !== undefined) {
      throw usageError(
        `${only.message} Give them in an input file: desktop-flows run "${flowName}" --inputs <file> (\`desktop-flows schema "${flowName}" --template\` writes one). Nothing was sent.`,
      );
    }
    throw usageError(
      only?.optionsProblem !== undefined
        ? describeProblem(only.optionsProblem)
        : `${only?.message ?? ''} ${only?.fix ?? ''}`.trim(),
    );
  }
  for (const p of problems) {
    ctx.out.note(problemLine(p));
  }
  if (problems.some((p) => p.input?.code === 'unresolvedReference')) {
    ctx.out.note(
      `Note: the CLI reads \${secret:NAME} from the environment variable ${secretVariablePrefix}NAME.`,
    );
  }
  const source = inputErrors[0]?.source;
  const what = inputErrors.length === errors.length && source !== undefined ? source : 'The run';
  const flow = flowName === undefined ? 'the flow' : `"${flowName}"`;
  throw usageError(
    `${what} has ${errors.length} problem${errors.length === 1 ? '' : 's'} that must be fixed before ${flow} can run; nothing was sent.`,
  );
}

export const runCommand: CliCommand = {
  name: 'run',
  summary: 'Start a desktop flow run, optionally waiting for it to end.',
  details: [
    'The flow is named by id or exact name; it may be left out when the --inputs file names it in "$schema". The environment comes from --env, else from the input file\'s "$schema", else DESKTOPFLOWS_ENV.',
    "Inputs, options and the connection are checked before anything is sent: the input file (or, without --inputs, the flow's required inputs) against the flow's current input schema, and that the connection or connection reference exists. On any problem the CLI lists them and exits with 2. ${env:NAME} reads the environment variable NAME; ${secret:NAME} reads DESKTOPFLOWS_SECRET_NAME (or DESKTOPFLOWS_SECRET_ with NAME upper-cased and other characters turned into _).",
    'Without --wait the run id is printed on stdout and the command ends once the service accepted the run. With --wait, progress goes to stderr and the exit code tells how the run ended: 0 succeeded, 1 failed, cancelled or timed out. Ctrl+C stops waiting (exit 130); the run goes on.',
    "A run is started exactly once. When the service's answer is lost, the CLI looks for the run the request created (same user, flow, connection, mode, creation time and inputs) until the service's maximum request time has passed; if the evidence does not single out one run, it exits with 5 and names the candidate runs and the command to check them. --no-resend also reports 5 instead of sending again when no run was found.",
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
    'no-resend': {
      type: 'boolean',
      description:
        'When the answer to the start request is lost and no run is found, report the outcome unknown (exit 5) instead of sending the request again.',
    },
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
    const mode = stringValue(ctx.values, 'mode');
    const inputsPath = stringValue(ctx.values, 'inputs');
    const file: InputFileText | undefined =
      inputsPath === undefined ? undefined : await readInputFile(inputsPath, ctx.io, ctx.signal);
    const flowKey = ctx.positionals[0] ?? file?.target?.flowId;
    if (flowKey === undefined) {
      throw usageError(
        file === undefined
          ? 'Name the flow to run: desktop-flows run <flow id or name> …'
          : `Name the flow to run: ${file.label} ${file.noTarget}, so give it as desktop-flows run <flow> …`,
      );
    }
    // The file's own environment counts unless --env overrides it (then a different one is a warning).
    const fromSchema = ctx.connection.settings.env === undefined ? file?.target?.environment : undefined;

    const cloud = await ctx.connection.cloud(ctx.signal);
    const pollMs = pollIntervalMs(ctx.values, cloud.loopback);
    const session = await ctx.connection.session(ctx.signal);
    const environment = await ctx.connection.environment(ctx.signal, fromSchema);
    const request: RunRequest = {
      target: {
        environment: {
          kind: 'resolved',
          ref: environment.ref,
          names: [
            environment.displayName,
            environment.id,
            environment.uniqueName,
            environment.orgUrl,
            fromSchema,
          ].filter((n): n is string => n !== undefined && n !== ''),
          ...(environment.region === undefined ? {} : { region: environment.region }),
        },
        flow: { kind: 'key', key: flowKey },
      },
      inputs: file === undefined ? { kind: 'none' } : { kind: 'file', text: file.text, label: file.label },
      options: {
        connection: connection ?? null,
        runMode: mode,
        ...(priority === undefined ? {} : { priority }),
        ...(timeoutSeconds === undefined ? {} : { timeoutSeconds }),
      },
      origin: 'cli',
    };
    const schemas = new FlowSchemaCache((org, id, signal, o) => session.flows.getSchemas(org, id, signal, o));
    let result;
    try {
      result = await prepareRun(
        request,
        { session, schemas, resolver: cliSecretResolver(ctx.io.env), logger: ctx.logger },
        ctx.signal,
      );
    } finally {
      schemas.dispose();
    }
    if (!result.ok) {
      refuse(ctx, result.problems, result.problems.some((p) => p.field === 'flow') ? undefined : flowKey);
    }
    const prepared = result.run;
    for (const p of result.warnings) {
      ctx.out.note(problemLine(p));
    }
    const flow = prepared.flow;
    const options = prepared.options;
    const mask = outputMasker(prepared.outputsSchema, flagValue(ctx.values, 'show-sensitive'));
    const service = createRunService(session, ctx.logger, pollMs, {
      resendWhenUncertain: !flagValue(ctx.values, 'no-resend'),
      env: ctx.io.env,
    });
    const progress = new RunProgress(service, ctx.out, mask);
    const envName = environment.id ?? environment.orgUrl;
    // The check command names the org URL: it works with any sign-in, also a token for the org only.
    const checkEnv = environment.orgUrl;
    try {
      // Local time, a minute early for clock skew: what to list if the process is killed while sending.
      const since = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000)
        .toISOString()
        .replace('.000Z', 'Z');
      setStartInFlight(
        `The request may have started a run; check with \`${checkRunsCommand(flow.name, since, checkEnv)}\`.`,
      );
      let started;
      try {
        started = await service.start(prepared, ctx.signal, { followActionLog: wait });
      } catch (e) {
        if (RunError.is(e, 'outcomeUnknown')) {
          if (ctx.json) {
            ctx.out.json({
              outcome: 'unknown',
              flowId: flow.id,
              flowName: flow.name,
              candidateRunIds: e.candidateRunIds,
              since: e.since ?? null,
              check: checkRunsCommand(flow.name, e.since, checkEnv),
            });
          }
          throw new CliError(exitCodes.outcomeUnknown, outcomeUnknownMessage(e, checkEnv), { cause: e });
        }
        throw e;
      } finally {
        setStartInFlight(undefined);
      }
      const start = runStartedJson(started, environment);
      if (!wait) {
        if (ctx.json) {
          ctx.out.json(start);
        } else {
          ctx.out.line(started.runId);
          ctx.out.note(`Follow it with: desktop-flows status ${started.runId} --env ${envName} --wait`);
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
