/**
 * `desktop-flows test <file-or-folder>...`: runs flow tests (`*.flowtest.json`) for CI. Every file is read
 * and checked first (its own shape, then its run through `prepareRun`: flow, inputs against the flow's
 * input schema, options, connection); any problem gives exit 2 and nothing is sent. Then the tests run
 * through `RunService.start` (rate limit, exactly once), several at once, each watched to its end and
 * judged (src/core/flowTests). One line per test, a summary line, optional JUnit XML and JSON.
 */
import { readdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseFlowTest, type FlowTest, type FlowTestProblem } from '../../core/flowTests/flowTestFile';
import {
  firstProblem,
  prepareFlowTests,
  runFlowTests,
  type FlowTestDeps,
  type FlowTestResult,
} from '../../core/flowTests/flowTestRunner';
import { junitXml } from '../../core/flowTests/junitReport';
import { FlowSchemaCache } from '../../core/inputs/flowSchemaCache';
import { InputFileReadError, readInputFileText } from '../../core/inputs/inputFileBytes';
import type { RunProblem } from '../../core/runs/prepareRun';
import type { RunConnection } from '../../core/runs/runOptions';
import { secretMasker } from '../../core/util/secretMasker';
import type { CliCommand, CommandContext } from '../cliCommand';
import { numberValue, pollOption, stringValue } from '../cliCommand';
import { CliError, describeFailure, exitCodes, usageError, type ExitCode } from '../cliErrors';
import { cliSecretResolver, formatProblems, secretVariablePrefix } from '../runInputFile';
import { createRunService, pollIntervalMs } from '../runProgress';

const testFile = /\.flowtest\.json$/i;

/** Test files of the paths given: files as they are, folders searched (hidden folders and node_modules skipped). */
async function testFiles(paths: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (!e.name.startsWith('.') && e.name !== 'node_modules') {
          await walk(full);
        }
      } else if (e.isFile() && testFile.test(e.name)) {
        out.push(full);
      }
    }
  };
  for (const p of paths) {
    let info;
    try {
      info = await stat(p);
    } catch {
      throw usageError(`${p} does not exist; give *.flowtest.json files or folders that hold them.`);
    }
    if (info.isDirectory()) {
      await walk(p);
    } else {
      out.push(p);
    }
  }
  return [...new Set(out.map((f) => path.resolve(f)))];
}

function display(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative.startsWith('..') || path.isAbsolute(relative) ? file : relative;
}

function fileProblemLine(file: string, p: FlowTestProblem): string {
  return `${display(file)}:${p.line}:${p.column}: ${p.severity}: ${p.path}: ${p.message} ${p.fix}`.trimEnd();
}

function runProblemLine(test: FlowTest, p: RunProblem): string {
  if (p.input !== undefined && p.located === true && p.source !== undefined) {
    return formatProblems(display(p.source), [p.input])[0] ?? '';
  }
  const where = p.input !== undefined && p.input.pathText !== '' ? ` ${p.input.pathText}:` : '';
  return `${display(test.file)}:${where} ${p.severity}: ${p.message} ${p.fix}`.trimEnd();
}

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

function duration(ms: number): string {
  return ms < 60_000
    ? `${(ms / 1000).toFixed(1)} s`
    : `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

function resultLine(r: FlowTestResult): string {
  const mark = r.outcome === 'passed' ? '✓' : r.outcome === 'cancelled' ? '-' : '✗';
  const problem = firstProblem(r);
  return `${mark} ${r.test.name} (${duration(r.durationMs)})${problem === undefined ? '' : `: ${problem}`}`;
}

function resultJson(r: FlowTestResult): Record<string, unknown> {
  return {
    name: r.test.name,
    file: r.test.file,
    flow: r.test.flow,
    outcome: r.outcome,
    durationMs: r.durationMs,
    runId: r.runId ?? null,
    status: r.status ?? null,
    errorCode: r.errorCode ?? null,
    mismatches: r.mismatches.map((m) => ({
      kind: m.kind,
      message: m.message,
      ...(m.kind === 'output' ? { output: m.output.output, path: m.output.path } : {}),
      expected: m.expected ?? null,
      actual: m.actual ?? null,
    })),
    error: r.error ?? null,
  };
}

export const testCommand: CliCommand = {
  name: 'test',
  summary: 'Run flow tests (`*.flowtest.json` files): expected status, error code, duration and outputs.',
  details: [
    'A flow test file names a flow, its inputs (an input file relative to the test file, or inline values), how to run it ("run": connection or connectionReference, mode, timeout) and what to expect ("expect": status, default succeeded; outputs, each listed output must deep-equal; errorCode; maxDurationSeconds). Folders are searched for *.flowtest.json recursively (hidden folders and node_modules skipped).',
    "Every file is checked before anything is sent: its format, then the flow, the inputs against the flow's input schema, the run options and the connection. On any problem the command lists them all (file:line:column) and exits with 2. --env, --connection, --connection-reference and --mode override the files.",
    'Tests run several at once within the connection rate limit, each followed to its end. One line per test (✓ passed, ✗ failed or errored, - cancelled), then a summary. --junit writes JUnit XML (one testcase per file; failure with expected and actual values).',
    'Exit codes: 0 every test passed; 1 a test failed; 2 invalid test files (nothing sent); 4 the service could not run a test; 130 interrupted (the runs started are cancelled).',
  ],
  positionals: [
    {
      name: 'file-or-folder',
      required: true,
      variadic: true,
      description: 'Test files and folders of test files.',
    },
  ],
  options: {
    connection: {
      type: 'string',
      value: '<name>',
      description: 'Desktop-flow connection name for every test.',
    },
    'connection-reference': {
      type: 'string',
      value: '<logical name>',
      description: 'Connection reference logical name for every test, instead of --connection.',
    },
    mode: { type: 'string', value: '<mode>', description: 'attended or unattended, for every test.' },
    junit: { type: 'string', value: '<file.xml>', description: 'Write the results as JUnit XML.' },
    parallel: { type: 'string', value: '<n>', description: 'Tests running at once, 1 to 50 (default 8).' },
    ...pollOption,
  },
  service: true,
  examples: [
    'desktop-flows test tests/ --env "Contoso Dev" --junit results.xml',
    'desktop-flows test invoice.flowtest.json --connection-reference cr_finance_bots --mode unattended --json',
  ],
  async run(ctx): Promise<ExitCode> {
    const connection = connectionOf(ctx);
    const mode = stringValue(ctx.values, 'mode');
    if (mode !== undefined && mode !== 'attended' && mode !== 'unattended') {
      throw usageError('--mode must be attended or unattended.');
    }
    const junit = stringValue(ctx.values, 'junit');
    const concurrency = numberValue(ctx.values, 'parallel', { min: 1, max: 50, integer: true }) ?? 8;
    const files = await testFiles(ctx.positionals);
    if (files.length === 0) {
      throw usageError(`No *.flowtest.json files in ${ctx.positionals.join(', ')}.`);
    }

    // 1. The files' own format: nothing needs the service yet.
    const tests: FlowTest[] = [];
    let errors = 0;
    for (const file of files) {
      let text: string;
      try {
        // As `run --inputs` reads: inline inputs that are not UTF-8 are refused, never sent as U+FFFD.
        text = await readInputFileText(file, { signal: ctx.signal, label: display(file) });
      } catch (e) {
        if (!InputFileReadError.is(e)) {
          throw e;
        }
        ctx.out.note(`${display(file)}: error: ${e.message} ${e.fix}`);
        errors++;
        continue;
      }
      const parsed = parseFlowTest(text, file);
      const problems = parsed.ok ? parsed.warnings : parsed.problems;
      for (const p of problems) {
        ctx.out.note(fileProblemLine(file, p));
      }
      if (parsed.ok) {
        tests.push(parsed.test);
      } else {
        errors += parsed.problems.filter((p) => p.severity === 'error').length;
      }
    }
    const invalidFiles = files.length - tests.length;
    if (invalidFiles > 0) {
      throw usageError(
        `${invalidFiles} of ${files.length} test file${files.length === 1 ? '' : 's'} ${invalidFiles === 1 ? 'has' : 'have'} problems (${errors} error${errors === 1 ? '' : 's'} above); nothing was sent.`,
      );
    }

    // 2. Each run through prepareRun: flow, inputs, options, connection.
    const cloud = await ctx.connection.cloud(ctx.signal);
    const pollMs = pollIntervalMs(ctx.values, cloud.loopback);
    const session = await ctx.connection.session(ctx.signal);
    const settings = ctx.connection.settings;
    const override = settings.env === undefined ? undefined : await ctx.connection.environment(ctx.signal);
    const schemas = new FlowSchemaCache((org, id, signal, o) => session.flows.getSchemas(org, id, signal, o));
    const service = createRunService(session, ctx.logger, pollMs, { env: ctx.io.env });
    const deps: FlowTestDeps = {
      session,
      schemas,
      service,
      resolver: cliSecretResolver(ctx.io.env),
      logger: ctx.logger,
      readFile: (file) => readInputFileText(file, { signal: ctx.signal, label: display(file) }),
      ...(settings.defaultEnv === undefined
        ? {}
        : { defaultEnvironment: { kind: 'key', key: settings.defaultEnv } as const }),
      overrides: {
        ...(override === undefined
          ? {}
          : {
              environment: {
                kind: 'resolved',
                ref: override.ref,
                names: [override.displayName, override.id, override.uniqueName, override.orgUrl].filter(
                  (n): n is string => n !== undefined && n !== '',
                ),
              },
            }),
        ...(connection === undefined ? {} : { connection }),
        ...(mode === undefined ? {} : { mode }),
      },
    };
    try {
      const prepared = await prepareFlowTests(tests, deps, ctx.signal);
      const refused = prepared.filter((p) => !p.ok);
      if (refused.length > 0) {
        let count = 0;
        for (const p of refused) {
          if (!p.ok) {
            for (const problem of p.problems) {
              count += problem.severity === 'error' ? 1 : 0;
              ctx.out.note(runProblemLine(p.test, problem));
            }
          }
        }
        if (refused.some((p) => !p.ok && p.problems.some((x) => x.input?.code === 'unresolvedReference'))) {
          ctx.out.note(
            `Note: the CLI reads \${secret:NAME} from the environment variable ${secretVariablePrefix}NAME.`,
          );
        }
        throw usageError(
          `${refused.length} of ${tests.length} test${tests.length === 1 ? '' : 's'} cannot run (${count} problem${count === 1 ? '' : 's'} above); nothing was sent.`,
        );
      }

      // 3. Run them.
      const began = Date.now();
      const results = await runFlowTests(
        prepared.flatMap((p) => (p.ok ? [{ test: p.test, run: p.run }] : [])),
        deps,
        ctx.signal,
        {
          concurrency,
          onResult: (r) => {
            if (!ctx.json) {
              ctx.out.line(secretMasker.mask(resultLine(r)));
            }
          },
        },
      );
      const count = (o: FlowTestResult['outcome']): number => results.filter((r) => r.outcome === o).length;
      const summary = {
        tests: results.length,
        passed: count('passed'),
        failed: count('failed'),
        errored: count('errored'),
        cancelled: count('cancelled'),
        durationMs: Date.now() - began,
      };
      if (junit !== undefined) {
        await writeFile(
          path.resolve(junit),
          secretMasker.mask(junitXml(results, { fileLabel: display })),
          'utf8',
        );
      }
      if (ctx.json) {
        ctx.out.json({ summary, tests: results.map(resultJson) });
      } else {
        const parts = [
          `${summary.passed} passed`,
          `${summary.failed} failed`,
          ...(summary.errored > 0 ? [`${summary.errored} errored`] : []),
          ...(summary.cancelled > 0 ? [`${summary.cancelled} cancelled`] : []),
        ];
        ctx.out.line(
          `${summary.tests} test${summary.tests === 1 ? '' : 's'}: ${parts.join(', ')} (${duration(summary.durationMs)}).`,
        );
        if (junit !== undefined) {
          ctx.out.note(`JUnit XML: ${path.resolve(junit)}`);
        }
      }
      if (ctx.signal.aborted || summary.cancelled > 0) {
        ctx.out.note('Interrupted: the runs the tests had started were cancelled.');
        return exitCodes.interrupted;
      }
      const errored = results.find((r) => r.outcome === 'errored');
      if (errored !== undefined) {
        const failure = errored.cause === undefined ? undefined : describeFailure(errored.cause);
        throw new CliError(
          exitCodes.service,
          `${summary.errored} test${summary.errored === 1 ? '' : 's'} could not run: ${failure?.message ?? errored.error ?? 'the service failed.'}`,
        );
      }
      return summary.failed > 0 ? exitCodes.runFailed : exitCodes.success;
    } finally {
      schemas.dispose();
      service.dispose();
    }
  },
};
