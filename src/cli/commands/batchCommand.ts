/**
 * `desktop-flows batch <file-or-folder>...`: a folder of input files becomes a set of runs, spread over
 * connections at the service's full rate, exactly once, resumable. The work is done by src/core/batch
 * (checking, journal, scheduling, reconciliation, report); this file reads the command line, checks the
 * connections, prints problems and progress, writes the report and picks the exit code.
 */
import { createWriteStream } from 'node:fs';
import { rename, stat } from 'node:fs/promises';
import path from 'node:path';
import { displayPath, BatchPathError } from '../../core/batch/batchItems';
import { BatchJournalError, journalExists } from '../../core/batch/batchJournal';
import { writeBatchReport } from '../../core/batch/batchReport';
import {
  batchIdFor,
  defaultJournalPath,
  runBatchSession,
  type BatchSessionResult,
} from '../../core/batch/batchSession';
import { SessionBatchPort, type BatchProblem } from '../../core/batch/sessionBatchPort';
import { ApiError } from '../../core/errors';
import { DataverseRunsBackend } from '../../core/runs/dataverseRunsBackend';
import { systemClock } from '../../core/runs/runClock';
import { validateRunOptions, type RunConnection } from '../../core/runs/runOptions';
import { oneLanePerConnection } from '../../core/batch/batchRunner';
import { secretMasker } from '../../core/util/secretMasker';
import { BatchProgressPrinter } from '../batchProgress';
import type { CliCommand, CommandContext } from '../cliCommand';
import { flagValue, numberValue, pollOption, stringValue, stringValues } from '../cliCommand';
import { CliError, describeFailure, exitCodes, usageError, type ExitCode } from '../cliErrors';
import type { CliEnvironment } from '../environmentLookup';
import { resolveFlow } from '../flowLookup';
import { cliSecretResolver, secretVariablePrefix } from '../runInputFile';
import { createRunService, pollIntervalMs } from '../runProgress';

/** The connections of `--connection` / `--connection-reference`, checked against the environment. */
async function checkedConnections(
  ctx: CommandContext,
  environment: CliEnvironment,
): Promise<RunConnection[]> {
  const names = stringValues(ctx.values, 'connection');
  const references = stringValues(ctx.values, 'connection-reference');
  if (names.length === 0 && references.length === 0) {
    throw usageError(
      'Give at least one --connection <connection name> or --connection-reference <logical name> (`desktop-flows connections` lists both); several spread the runs over them.',
    );
  }
  const session = await ctx.connection.session(ctx.signal);
  const where = environment.displayName ?? environment.orgUrl;
  const out: RunConnection[] = [];
  if (names.length > 0) {
    let known: string[] | undefined;
    try {
      const list = await session.connections.listDesktopFlowConnections(environment.id ?? '', ctx.signal);
      known = list.map((c) => c.name.toLowerCase());
    } catch (e) {
      if (!ApiError.is(e) || e.reason === 'cancelled') {
        throw e;
      }
      ctx.logger.debug(`[cli] could not list connections (${e.reason}); the service checks them itself`);
    }
    const unknown = known === undefined ? [] : names.filter((n) => !known.includes(n.toLowerCase()));
    if (unknown.length > 0) {
      throw usageError(
        `No desktop-flow connection ${unknown.map((n) => `"${n}"`).join(', ')} in ${where}; nothing was sent. \`desktop-flows connections\` lists them.`,
      );
    }
    out.push(...names.map((name): RunConnection => ({ kind: 'connection', name })));
  }
  if (references.length > 0) {
    let list;
    try {
      list = await session.connectionReferences.listDesktopFlowReferences(environment.orgUrl, ctx.signal);
    } catch (e) {
      if (!ApiError.is(e) || e.reason === 'cancelled') {
        throw e;
      }
      ctx.logger.debug(
        `[cli] could not read connection references (${e.reason}); sending the logical names as given`,
      );
    }
    const missing: string[] = [];
    for (const logicalName of references) {
      const found = list?.find((r) => r.logicalName.toLowerCase() === logicalName.toLowerCase());
      if (list !== undefined && found === undefined) {
        missing.push(logicalName);
      } else if (found?.connectionName !== undefined) {
        out.push({
          kind: 'connectionReference',
          logicalName: found.logicalName,
          connectionName: found.connectionName,
        });
      } else {
        out.push({ kind: 'connectionReference', logicalName: found?.logicalName ?? logicalName });
      }
    }
    if (missing.length > 0) {
      throw usageError(
        `No desktop-flow connection reference ${missing.map((n) => `"${n}"`).join(', ')} in ${where}; nothing was sent. \`desktop-flows connections\` lists them.`,
      );
    }
  }
  // The same connection twice would only share one budget: keep one lane per connection.
  return oneLanePerConnection(out);
}

/** Asks a yes/no question on an interactive stdin; `false` on anything but yes. */
async function confirm(ctx: CommandContext, question: string): Promise<boolean> {
  const stdin = ctx.io.stdin;
  if (stdin === undefined) {
    return false;
  }
  ctx.io.stderr.write(`${question} [y/N] `);
  for await (const chunk of stdin) {
    const answer = (typeof chunk === 'string' ? chunk : chunk.toString('utf8')).trim().toLowerCase();
    return answer === 'y' || answer === 'yes';
  }
  return false;
}

function problemLine(p: BatchProblem, display: (file: string) => string): string {
  return `${display(p.file)}:${p.line}:${p.column}: ${p.severity}: ${p.path}: ${p.message} ${p.fix}`.trimEnd();
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export const batchCommand: CliCommand = {
  name: 'batch',
  summary:
    'Run every input file of a folder: one run per file, spread over connections, exactly once, resumable.',
  details: [
    'Folders are read recursively (hidden folders and node_modules are skipped). An item is a JSON input file whose "$schema" names its flow; with --flow, every *.json file is an input for that flow. Items start in path order.',
    "Every item is checked against its flow's current input schema before anything is sent: on any problem the command lists them all (file:line:column, path, fix) and exits with 2 without starting anything. --skip-invalid runs the valid items and reports the others as skipped.",
    "Starts are spread round-robin over the connections given; no connection gets more than 70 starts in any 60 seconds (the service's limit), and a 429 answer is waited out (Retry-After) without losing or repeating an item.",
    'The journal (default .desktopflows/batches/<batch id>.json next to the first folder, or --journal) records each item before and after its start. After Ctrl+C, a crash or a lost answer, run the same command with --resume: only items surely never started are started; uncertain ones are looked up first. Without --resume an existing journal is not overwritten.',
    "The report (--report <file>, --json on stdout, and the journal's last lines) lists every item: file, flow, connection, run id, final status, error and remedy, outputs (sensitive ones masked), queue and run times, plus a summary with the starts per connection-minute.",
    'Exit codes: with --wait, 0 when every item succeeded and 1 when any failed, was cancelled or was skipped; without --wait, 0 once every item was accepted; 2 invalid input (nothing sent); 4 the service could not be used (or an item could not be confirmed); 130 interrupted (the journal says what to resume).',
  ],
  positionals: [
    {
      name: 'file-or-folder',
      required: true,
      variadic: true,
      description: 'Input files and folders of input files.',
    },
  ],
  options: {
    flow: {
      type: 'string',
      value: '<flow>',
      description: 'Run every *.json file as an input of this flow (id or exact name).',
    },
    connection: {
      type: 'string',
      multiple: true,
      value: '<name>',
      description: 'Desktop-flow connection name (shared-uiflow-…); repeat to spread the runs over several.',
    },
    'connection-reference': {
      type: 'string',
      multiple: true,
      value: '<logical name>',
      description: 'Connection reference logical name, instead of or besides --connection; repeatable.',
    },
    mode: { type: 'string', value: '<mode>', description: 'attended or unattended (required).' },
    priority: {
      type: 'string',
      value: '<priority>',
      description: 'normal (default), high, or a custom priority.',
    },
    timeout: { type: 'string', value: '<seconds>', description: 'Run timeout in seconds, 1 to 86400.' },
    wait: {
      type: 'boolean',
      description: 'Follow every run to its end; the exit code tells whether all succeeded.',
    },
    report: { type: 'string', value: '<file.json>', description: 'Write the report (JSON) to this file.' },
    journal: {
      type: 'string',
      value: '<file>',
      description: 'The batch journal (default .desktopflows/batches/<batch id>.json).',
    },
    resume: { type: 'boolean', description: 'Carry on an interrupted batch from its journal.' },
    'skip-invalid': { type: 'boolean', description: 'Run the valid items; report invalid ones as skipped.' },
    'show-sensitive': {
      type: 'boolean',
      description: 'Do not mask outputs the flow marks as sensitive in the report.',
    },
    ...pollOption,
  },
  service: true,
  examples: [
    'desktop-flows batch invoices/ --connection shared-uiflow-1 --connection shared-uiflow-2 --mode unattended --wait --report report.json',
    'desktop-flows batch suppliers/ --flow "Update Supplier" --connection-reference cr_finance_bots --mode unattended',
    'desktop-flows batch invoices/ --connection shared-uiflow-1 --mode unattended --wait --resume',
  ],
  async run(ctx): Promise<ExitCode> {
    const paths = [...ctx.positionals];
    const wait = flagValue(ctx.values, 'wait');
    const resume = flagValue(ctx.values, 'resume');
    const skipInvalid = flagValue(ctx.values, 'skip-invalid');
    const timeoutSeconds = numberValue(ctx.values, 'timeout', { min: 1, max: 86_400, integer: true });
    const priority = stringValue(ctx.values, 'priority');
    const mode = stringValue(ctx.values, 'mode');
    const reportFile = stringValue(ctx.values, 'report');
    const cwd = process.cwd();
    const display = (file: string): string => displayPath(file, cwd);

    for (const p of paths) {
      try {
        await stat(p);
      } catch {
        throw usageError(`${p} does not exist; give input files or folders of input files.`);
      }
    }
    const options = validateRunOptions({
      connection: { kind: 'connection', name: 'placeholder' },
      runMode: mode,
      ...(priority === undefined ? {} : { priority }),
      ...(timeoutSeconds === undefined ? {} : { timeoutSeconds }),
    });
    if (!options.ok) {
      throw usageError(
        options.problems
          .map((p) =>
            p.field === 'runMode'
              ? p.code === 'missing'
                ? '--mode is required: attended or unattended.'
                : '--mode must be attended or unattended.'
              : p.field === 'priority'
                ? '--priority must be normal, high or the name of a custom priority.'
                : 'The run options are not valid.',
          )
          .join(' '),
      );
    }

    const cloud = await ctx.connection.cloud(ctx.signal);
    const pollMs = pollIntervalMs(ctx.values, cloud.loopback);
    const session = await ctx.connection.session(ctx.signal);
    const environment = await ctx.connection.environment(ctx.signal);
    const flowKey = stringValue(ctx.values, 'flow');
    const flow =
      flowKey === undefined ? undefined : await resolveFlow(session, environment, flowKey, ctx.signal);
    const connections = await checkedConnections(ctx, environment);

    const batchId = batchIdFor(paths, flow?.id);
    const journalFile = path.resolve(
      stringValue(ctx.values, 'journal') ?? defaultJournalPath(paths[0] ?? '.', batchId),
    );
    const hasJournal = await journalExists(journalFile);
    if (resume && !hasJournal) {
      throw usageError(
        `There is no batch journal at ${journalFile} to resume. Leave out --resume to start the batch, or give its --journal.`,
      );
    }
    if (!resume && hasJournal) {
      const question = `A journal for this batch already exists at ${journalFile}. Items it started would run again.`;
      if (ctx.io.stdin?.isTTY !== true) {
        throw usageError(
          `${question} Add --resume to carry it on, or give another --journal to start a separate batch.`,
        );
      }
      if (
        !(await confirm(ctx, `${question} Start a new batch anyway (the old journal is kept beside it)?`))
      ) {
        throw usageError('Nothing was started. Add --resume to carry the batch on.');
      }
      await rename(journalFile, journalFile.replace(/\.json$/i, '') + `.replaced-${Date.now()}.json`);
    }

    const service = createRunService(session, ctx.logger, pollMs);
    const port = new SessionBatchPort({
      session,
      service,
      environment: environment.ref,
      environmentNames: [
        environment.displayName,
        environment.id,
        environment.uniqueName,
        environment.orgUrl,
      ].filter((n): n is string => n !== undefined && n !== ''),
      options: options.options,
      ...(flow === undefined ? {} : { flowId: flow.id }),
      resolver: cliSecretResolver(ctx.io.env),
      logger: ctx.logger,
      showSensitive: flagValue(ctx.values, 'show-sensitive'),
    });
    const live = (ctx.io.stderr as { isTTY?: boolean }).isTTY === true;
    const printer = new BatchProgressPrinter(
      ctx.io.stderr,
      live,
      systemClock,
      systemClock.now(),
      wait,
      display,
    );
    let unresolved = false;
    let result: BatchSessionResult;
    try {
      result = await runBatchSession(
        {
          paths,
          journalFile,
          header: resume
            ? undefined
            : {
                batchId,
                environment: environment.ref,
                ...(flow === undefined ? {} : { flowId: flow.id }),
                runMode: options.options.runMode,
                ...(options.options.priority === undefined ? {} : { priority: options.options.priority }),
                ...(options.options.timeoutSeconds === undefined
                  ? {}
                  : { timeoutSeconds: options.options.timeoutSeconds }),
                connections,
                wait,
              },
          skipInvalid,
          wait,
          port,
          service,
          backend: new DataverseRunsBackend(session.runs, environment.orgUrl),
          clock: systemClock,
          logger: ctx.logger,
          ...(reportFile === undefined ? {} : { exclude: new Set([path.resolve(reportFile)]) }),
          onProblem: (p) => {
            if (p.message.includes('${secret:') || p.fix.includes('${secret:')) {
              unresolved = true;
            }
            ctx.out.note(problemLine(p, display));
          },
          onProgress: (e, c) => printer.onProgress(e, c),
        },
        ctx.signal,
      );
    } catch (e) {
      if (e instanceof BatchPathError) {
        throw usageError(e.message);
      }
      if (e instanceof BatchJournalError) {
        throw usageError(`${e.message} Give the journal of a batch with --journal, or leave out --resume.`);
      }
      throw e;
    } finally {
      printer.dispose();
      port.dispose();
      service.dispose();
    }

    if (result.kind === 'invalid') {
      if (unresolved) {
        ctx.out.note(
          `Note: the CLI reads \${secret:NAME} from the environment variable ${secretVariablePrefix}NAME.`,
        );
      }
      throw usageError(
        `${plural(result.invalid, 'item')} of ${result.items} ${result.invalid === 1 ? 'has' : 'have'} problems (${plural(result.errors, 'error')} above); nothing was sent. Fix them, or run the valid items with --skip-invalid.`,
      );
    }
    if (result.kind === 'empty') {
      throw usageError(
        `No input files in ${paths.join(', ')}: an input file is a *.json file whose "$schema" names its flow (desktopflows-schema:/<flow id>.json). Give --flow to run every *.json file as an input of one flow.`,
      );
    }

    const write = async (target: string | undefined): Promise<void> => {
      const input = {
        journalFile,
        header: result.header,
        files: result.files,
        tracks: result.tracks,
        summary: result.summary,
        displayFile: display,
      };
      if (target === undefined) {
        await writeBatchReport((text) => {
          ctx.io.stdout.write(secretMasker.mask(text));
        }, input);
        return;
      }
      const stream = createWriteStream(target);
      const done = new Promise<void>((resolve, reject) => {
        stream.on('finish', resolve);
        stream.on('error', reject);
      });
      await writeBatchReport(
        (text) =>
          new Promise<void>((resolve, reject) =>
            stream.write(secretMasker.mask(text), (e) => (e ? reject(e) : resolve())),
          ),
        input,
      );
      stream.end();
      await done;
    };
    if (reportFile !== undefined) {
      await write(path.resolve(reportFile));
    }
    const s = result.summary;
    if (ctx.json) {
      await write(undefined);
    } else {
      const parts = [
        `${s.started} of ${s.items} started`,
        ...(wait ? [`${s.succeeded} succeeded`] : []),
        `${s.failed} failed`,
        ...(s.cancelled > 0 ? [`${s.cancelled} cancelled`] : []),
        ...(s.unknown > 0 ? [`${s.unknown} uncertain`] : []),
        ...(s.skipped > 0 ? [`${s.skipped} skipped`] : []),
        ...(s.notStarted > 0 ? [`${s.notStarted} not started`] : []),
      ];
      ctx.out.line(`Batch ${result.header.batchId}: ${parts.join(', ')}.`);
      for (const c of s.connections) {
        ctx.out.line(
          `  ${c.connection}: ${plural(c.starts, 'start')}, busiest minute ${c.busiestMinute}${c.startsPerMinute === null ? '' : `, ${c.startsPerMinute.toFixed(1)} starts per minute sustained`}`,
        );
      }
      ctx.out.line(
        `Journal: ${journalFile}${reportFile === undefined ? '' : `\nReport: ${path.resolve(reportFile)}`}`,
      );
    }

    const { outcome } = result;
    const again = `desktop-flows batch ${paths.join(' ')} --resume --journal ${journalFile}`;
    if (outcome.interrupted) {
      ctx.out.note(
        `Interrupted: ${s.started} of ${s.items} items started, ${s.notStarted} not started. Carry on with: ${again}`,
      );
      return exitCodes.interrupted;
    }
    if (outcome.fatal !== undefined) {
      const failure = describeFailure(outcome.fatal);
      throw new CliError(
        failure.exitCode,
        `${failure.message} The batch stopped; carry it on later with: ${again}`,
      );
    }
    if (result.unsettled > 0 || s.unknown > 0) {
      throw new CliError(
        exitCodes.service,
        `${plural(s.unknown, 'item')} may have started but could not be confirmed; nothing more was sent for ${s.unknown === 1 ? 'it' : 'them'}. Check again with: ${again}`,
      );
    }
    if (s.notStarted > 0) {
      throw new CliError(
        exitCodes.service,
        `${plural(s.notStarted, 'item')} could not be started. Try again with: ${again}`,
      );
    }
    if (s.failed > 0 || s.cancelled > 0 || s.skipped > 0) {
      return exitCodes.runFailed;
    }
    return exitCodes.success;
  },
};
