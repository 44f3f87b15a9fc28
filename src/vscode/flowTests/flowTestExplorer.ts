/**
 * The flow tests of the workspace in Test Explorer (loaded on first use by flowTestFeatures.ts).
 *
 * Discovery: every `**\/*.flowtest.json` of the workspace (node_modules skipped) is one test item, grouped
 * under one item per folder. VS Code's own file operations (Explorer, `workspace.applyEdit`), edits and
 * saves in editors, and the file watcher (changes made outside VS Code, best effort) keep them current;
 * Test Explorer's Refresh finds everything again. A file whose format is
 * wrong shows the error on its item and its problems, with positions, in the Problems panel. When a test
 * file is opened or saved and an account is signed in, its run is also checked through `prepareRun` (flow,
 * inputs against the flow's input schema, options, connection): the same problems and positions as input
 * files, nothing sent.
 *
 * Running: the selected tests (folders expand to their files) go through the same road as
 * `desktop-flows test`: `prepareFlowTests` then `runFlowTests` over the window's one `RunService`
 * (`RunsController.core`: rate limit, exactly once, and the runs show in the status bar, transcript and
 * "Recent runs" like any other). Each test reports passed; failed with one `TestMessage` per mismatch
 * (output values as a diff); errored with the words and remedy of the service problem; its run's transcript
 * lines in the test output; its duration. Cancelling the test run cancels the runs it started
 * (CancelDesktopFlowRun) and says so in the output.
 */
import path from 'node:path';
import * as vscode from 'vscode';
import { parseFlowTest, type FlowTest, type FlowTestProblem } from '../../core/flowTests/flowTestFile';
import {
  prepareFlowTests,
  runFlowTests,
  type FlowTestDeps,
  type FlowTestMismatch,
  type FlowTestResult,
} from '../../core/flowTests/flowTestRunner';
import type { DesktopFlowSchema } from '../../core/inputs/desktopFlowSchema';
import { decodeInputFile, InputFileReadError, invalidUtf8Position } from '../../core/inputs/inputFileBytes';
import { LineIndex } from '../../core/inputs/textPositions';
import type { Environment } from '../../core/model/environment';
import type { PreparedRun, RunProblem } from '../../core/runs/prepareRun';
import type { RunEvent } from '../../core/runs/runEvents';
import { idKey } from '../../core/runs/runKeys';
import type { RunConnection } from '../../core/runs/runOptions';
import { formatRunEvent } from '../../core/runs/runTranscript';
import { secretMasker } from '../../core/util/secretMasker';
import type { SignedInAccount } from '../accounts/signedInAccount';
import { DisposableBase } from '../disposableBase';
import { describeError } from '../errorMessages';
import { encodingRefusal, inputFileEncodingProblem } from '../inputs/inputFileEncoding';
import { describeRunError } from '../runs/runErrorWords';
import { flowSchemas, maskSensitive } from '../runs/sensitiveValues';
import type { FlowTestFeatureDeps } from './flowTestFeatures';

/** What one test reported, as Test Explorer shows it. */
export interface FlowTestItemReport {
  readonly id: string;
  readonly label: string;
  outcome: 'enqueued' | 'started' | 'passed' | 'failed' | 'errored' | 'skipped';
  durationMs?: number;
  readonly messages: { message: string; expected?: string; actual?: string; line?: number }[];
  /** The test output appended for it (CRLF line ends). */
  output: string;
  runId?: string;
}

/** What a test run reported, by test item id. */
export type FlowTestRunReport = Map<string, FlowTestItemReport>;

const glob = '**/*.flowtest.json';
const diagnosticSource = 'Desktop Flows test';

interface Entry {
  readonly item: vscode.TestItem;
  readonly uri: vscode.Uri;
}

interface Runnable {
  readonly entry: Entry;
  readonly test: FlowTest;
  readonly text: string;
}

function rangeOf(text: string, offset: number, length: number): vscode.Range {
  const lines = new LineIndex(text);
  const a = lines.position(offset);
  const b = lines.position(offset + length);
  return new vscode.Range(a.line - 1, a.column - 1, b.line - 1, b.column - 1);
}

function problemText(p: FlowTestProblem): string {
  return `${p.path}: ${p.message} ${p.fix}`.trim();
}

function show(value: unknown): string {
  return value === undefined ? '(nothing)' : (JSON.stringify(value, null, 2) ?? 'undefined');
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** See the file comment. */
export class FlowTestExplorer extends DisposableBase {
  private readonly diagnostics = this.register(
    vscode.languages.createDiagnosticCollection('desktopFlows.flowTests'),
  );
  private readonly formatProblems = new Map<string, vscode.Diagnostic[]>();
  private readonly runProblems = new Map<string, vscode.Diagnostic[]>();
  private discovered: Promise<void> | undefined;
  private readonly checks = new Map<string, ReturnType<typeof setTimeout>>();

  constructor(
    private readonly controller: vscode.TestController,
    private readonly deps: FlowTestFeatureDeps,
  ) {
    super();
    // Changes made outside VS Code (terminal, git, other tools): the workspace's file watcher. It is
    // best effort: the recursive watcher (@parcel/watcher on Linux) can miss a folder created inside a
    // folder created a moment before, and then every file in it. Test Explorer's Refresh finds those.
    const watcher = this.register(vscode.workspace.createFileSystemWatcher(glob));
    this.register(watcher.onDidCreate((uri) => this.whenDiscovered(() => this.update(uri))));
    this.register(watcher.onDidChange((uri) => this.whenDiscovered(() => this.update(uri))));
    this.register(watcher.onDidDelete((uri) => this.whenDiscovered(() => this.remove(uri))));
    // Changes made in VS Code (Explorer, refactorings, `workspace.applyEdit`, editors): its own events,
    // which do not depend on the watcher.
    this.register(vscode.workspace.onDidCreateFiles((e) => this.whenDiscovered(() => this.added(e.files))));
    this.register(
      vscode.workspace.onDidDeleteFiles((e) =>
        this.whenDiscovered(() => {
          for (const uri of e.files) {
            this.removeUnder(uri);
          }
        }),
      ),
    );
    this.register(
      vscode.workspace.onDidRenameFiles((e) =>
        this.whenDiscovered(async () => {
          for (const f of e.files) {
            this.removeUnder(f.oldUri);
          }
          await this.added(e.files.map((f) => f.newUri));
        }),
      ),
    );
    this.register(
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (this.isTestFile(e.document.uri) && e.contentChanges.length > 0) {
          this.whenDiscovered(() => this.update(e.document.uri));
        }
      }),
    );
    this.register(
      vscode.workspace.onDidOpenTextDocument((d) => {
        if (this.isTestFile(d.uri)) {
          this.whenDiscovered(() => this.update(d.uri));
          this.scheduleCheck(d.uri);
        }
      }),
    );
    this.register(
      vscode.workspace.onDidSaveTextDocument((d) => {
        if (this.isTestFile(d.uri)) {
          this.whenDiscovered(() => this.update(d.uri));
          this.scheduleCheck(d.uri);
        }
      }),
    );
    this.register({
      dispose: () => {
        for (const t of this.checks.values()) {
          clearTimeout(t);
        }
      },
    });
    for (const d of vscode.workspace.textDocuments) {
      if (this.isTestFile(d.uri)) {
        this.scheduleCheck(d.uri);
      }
    }
  }

  /** Finds every test file once; later changes arrive through the events the constructor follows. */
  discover(): Promise<void> {
    return (this.discovered ??= this.scan());
  }

  /** Test Explorer's Refresh: forgets every item and finds the files again. */
  async rediscover(): Promise<void> {
    this.controller.items.replace([]);
    this.diagnostics.clear();
    this.formatProblems.clear();
    this.runProblems.clear();
    this.discovered = this.scan();
    await this.discovered;
  }

  /** Runs the tests of a request; see the file comment. */
  async run(request: vscode.TestRunRequest, token: vscode.CancellationToken): Promise<FlowTestRunReport> {
    await this.discover();
    const run = this.controller.createTestRun(request, undefined, true);
    const report: FlowTestRunReport = new Map();
    const abort = new AbortController();
    const cancelled = token.onCancellationRequested(() => abort.abort());
    try {
      const entries = this.collect(request);
      for (const e of entries) {
        report.set(e.item.id, {
          id: e.item.id,
          label: e.item.label,
          outcome: 'enqueued',
          messages: [],
          output: '',
        });
        run.enqueued(e.item);
      }
      const reporter = new Reporter(run, report);
      await this.runEntries(entries, reporter, abort.signal);
      return report;
    } finally {
      cancelled.dispose();
      run.end();
    }
  }

  private async runEntries(entries: Entry[], reporter: Reporter, signal: AbortSignal): Promise<void> {
    const { runs, accounts, config } = this.deps;
    // 1. Each file's own format: nothing needs the service yet.
    const runnable: Runnable[] = [];
    for (const entry of entries) {
      const read = await this.readForRun(entry.uri);
      if ('refusal' in read) {
        reporter.errored(entry, [this.located(read.refusal, entry.uri, read.range)]);
        continue;
      }
      const { text } = read;
      const parsed = parseFlowTest(text, entry.uri.fsPath);
      this.showFormat(entry, text, parsed.ok ? parsed.warnings : parsed.problems);
      if (!parsed.ok) {
        reporter.errored(
          entry,
          parsed.problems
            .filter((p) => p.severity === 'error')
            .map((p) => this.located(problemText(p), entry.uri, rangeOf(text, p.offset, p.length))),
        );
        continue;
      }
      runnable.push({ entry, text, test: withDefaults(parsed.test, config.current) });
    }
    if (runnable.length === 0) {
      return;
    }
    if (accounts.accounts.length === 0) {
      for (const r of runnable) {
        reporter.errored(r.entry, [
          new vscode.TestMessage(
            'No account is signed in, so the test cannot run. Sign in ("Desktop Flows: Sign In" or "Try the Sandbox"), then run it again.',
          ),
        ]);
      }
      return;
    }

    // 2. Each run through prepareRun, per environment: flow, inputs, options, connection. Nothing is sent.
    const prepared: { runnable: Runnable; run: PreparedRun }[] = [];
    const outputSchemas = new Map<string, DesktopFlowSchema | undefined>();
    let runDeps: FlowTestDeps | undefined;
    for (const [key, group] of groupBy(runnable, (r) => r.test.environment ?? '')) {
      if (signal.aborted) {
        break;
      }
      const found = await this.environmentFor(key, signal);
      if (found === undefined) {
        for (const r of group) {
          reporter.errored(r.entry, [
            new vscode.TestMessage(
              key === ''
                ? 'The test names no "environment" and no default environment is set. Add "environment" to the test file, or choose one with "Desktop Flows: Select Environment…".'
                : `No signed-in account reaches the environment "${key}". Sign in with an account that does, or correct "environment" in the test file.`,
            ),
          ]);
        }
        continue;
      }
      runs.runAccounts.remember(found.environment.orgUrl, found.account);
      const deps = this.depsFor(found);
      runDeps ??= deps;
      let results;
      try {
        results = await prepareFlowTests(
          group.map((r) => r.test),
          deps,
          signal,
        );
      } catch (e) {
        if (signal.aborted) {
          break;
        }
        const message = describeError(e)?.message ?? (e instanceof Error ? e.message : String(e));
        for (const r of group) {
          reporter.errored(r.entry, [new vscode.TestMessage(message)]);
        }
        continue;
      }
      results.forEach((result, i) => {
        const r = group[i];
        if (r === undefined) {
          return;
        }
        if (!result.ok) {
          this.showRunProblems(r, result.problems);
          reporter.errored(
            r.entry,
            result.problems.filter((p) => p.severity === 'error').map((p) => this.runProblemMessage(r, p)),
          );
          return;
        }
        this.showRunProblems(r, []);
        prepared.push({ runnable: r, run: result.run });
      });
      for (const p of prepared) {
        const k = `${p.run.environment.orgUrl}|${p.run.flow.id}`;
        if (!outputSchemas.has(k)) {
          outputSchemas.set(
            k,
            await flowSchemas(runs.schemas, p.run.environment.orgUrl, p.run.flow.id, signal)
              .then((s) => s.outputs)
              .catch(() => undefined),
          );
        }
      }
    }
    if (prepared.length === 0 || runDeps === undefined) {
      for (const r of runnable) {
        if (signal.aborted) {
          reporter.skipped(r.entry, 'The test run was cancelled before this test started; nothing was sent.');
        }
      }
      return;
    }

    // 3. Run them: several at once, the service's rate limiter spacing their starts.
    const core = runs.core;
    const byPrepared = new Map<PreparedRun, Runnable>(prepared.map((p) => [p.run, p.runnable]));
    const byTest = new Map<FlowTest, Runnable>(prepared.map((p) => [p.runnable.test, p.runnable]));
    const byRunId = new Map<string, Runnable>();
    const early = new Map<string, string[]>();
    const lineOf = (e: RunEvent): string =>
      formatRunEvent(e, {
        maskOutputs: (o) =>
          maskSensitive(
            o,
            'flowId' in e ? outputSchemas.get(`${e.environment.orgUrl}|${e.flowId}`) : undefined,
          ),
      });
    const events = core.onEvent((e) => {
      if (!('runId' in e) || typeof e.runId !== 'string') {
        return;
      }
      const key = idKey(e.runId);
      const owner = byRunId.get(key);
      const line = lineOf(e);
      if (owner !== undefined) {
        reporter.output(owner.entry, line);
      } else {
        // Events of a start still in flight: shown once the start returns the run id.
        const list = early.get(key) ?? [];
        list.push(line);
        early.set(key, list.slice(-50));
      }
    });
    const service: FlowTestDeps['service'] = {
      start: async (run, startSignal) => {
        const owner = byPrepared.get(run);
        if (owner !== undefined) {
          reporter.started(owner.entry);
        }
        const started = await core.start(run, startSignal, { followActionLog: true });
        if (owner !== undefined) {
          const key = idKey(started.runId);
          byRunId.set(key, owner);
          reporter.runId(owner.entry, started.runId);
          for (const line of early.get(key) ?? []) {
            reporter.output(owner.entry, line);
          }
          early.delete(key);
        }
        return started;
      },
      onEvent: (listener) => core.onEvent(listener),
      cancel: (subject, cancelSignal) => core.cancel(subject, cancelSignal),
    };
    try {
      await runFlowTests(
        prepared.map((p) => ({ test: p.runnable.test, run: p.run })),
        { ...runDeps, service },
        signal,
        {
          concurrency: 8,
          onResult: (r) => {
            const owner = byTest.get(r.test);
            if (owner !== undefined) {
              this.report(owner, r, reporter);
            }
          },
        },
      );
    } finally {
      events.dispose();
    }
  }

  private report(r: Runnable, result: FlowTestResult, reporter: Reporter): void {
    const { entry, test } = r;
    switch (result.outcome) {
      case 'passed':
        reporter.output(entry, `✓ ${test.name} passed (${seconds(result.durationMs)}).`);
        reporter.passed(entry, result.durationMs);
        return;
      case 'failed':
        reporter.output(
          entry,
          `✗ ${test.name} failed (${seconds(result.durationMs)}): ${result.mismatches.map((m) => m.message).join(' ')}`,
        );
        reporter.failed(
          entry,
          result.mismatches.map((m) => this.mismatchMessage(r, m)),
          result.durationMs,
        );
        return;
      case 'errored': {
        const words = describeRunError(result.cause, test.flow);
        const message =
          (words instanceof Error && words !== result.cause ? words.message : undefined) ??
          (result.cause === undefined ? undefined : describeError(result.cause)?.message) ??
          result.error ??
          'The service could not run the test.';
        reporter.output(entry, `✗ ${test.name} could not run: ${message}`);
        reporter.errored(entry, [new vscode.TestMessage(message)], result.durationMs);
        return;
      }
      case 'cancelled': {
        const note =
          result.runId === undefined
            ? 'The test run was cancelled before this test started its run; nothing was sent.'
            : result.error === undefined || result.error === 'The run was cancelled.'
              ? `The test run was cancelled: its run ${result.runId.slice(0, 8)} of "${test.flow}" was cancelled in the service (CancelDesktopFlowRun).`
              : `The test run was cancelled. ${result.error}`;
        reporter.skipped(entry, note);
        return;
      }
    }
  }

  private mismatchMessage(r: Runnable, m: FlowTestMismatch): vscode.TestMessage {
    if (m.kind === 'output') {
      const message = vscode.TestMessage.diff(m.message, show(m.expected), show(m.actual));
      const span = r.test.spans.outputs[m.output.output];
      if (span !== undefined) {
        message.location = new vscode.Location(r.entry.uri, rangeOf(r.text, span.offset, span.length));
      }
      return message;
    }
    const message =
      m.kind === 'status' || m.kind === 'errorCode'
        ? vscode.TestMessage.diff(m.message, String(m.expected), String(m.actual ?? '(none)'))
        : new vscode.TestMessage(m.message);
    message.location = new vscode.Location(
      r.entry.uri,
      rangeOf(r.text, r.test.spans.flow.offset, r.test.spans.flow.length),
    );
    return message;
  }

  private runProblemMessage(r: Runnable, p: RunProblem): vscode.TestMessage {
    const text = `${p.message} ${p.fix}`.trim();
    const range = this.runProblemRange(r, p);
    return range === undefined ? new vscode.TestMessage(text) : this.located(text, r.entry.uri, range);
  }

  /** Where a prepare problem points in the test file: the inline input, else the "flow" line. */
  private runProblemRange(r: Runnable, p: RunProblem): vscode.Range | undefined {
    if (p.input !== undefined && p.located === true && r.test.inputs.kind === 'values') {
      return rangeOf(r.text, p.input.offset, p.input.length);
    }
    if (p.field === 'inputs' && r.test.inputs.kind === 'file') {
      return rangeOf(r.text, r.test.inputs.location.offset, r.test.inputs.location.length);
    }
    return rangeOf(r.text, r.test.spans.flow.offset, r.test.spans.flow.length);
  }

  private located(text: string, uri: vscode.Uri, range: vscode.Range): vscode.TestMessage {
    const message = new vscode.TestMessage(text);
    message.location = new vscode.Location(uri, range);
    return message;
  }

  private depsFor(found: { account: SignedInAccount; environment: Environment }): FlowTestDeps {
    const { environment } = found;
    return {
      session: found.account.session,
      schemas: this.deps.runs.schemas,
      service: this.deps.runs.core,
      resolver: this.deps.secretResolver,
      logger: this.deps.log,
      // As a run from an input file reads it: bytes that are not UTF-8 text are refused, never sent as U+FFFD.
      readFile: async (file) =>
        decodeInputFile(
          await vscode.workspace.fs.readFile(vscode.Uri.file(file)),
          `"${vscode.workspace.asRelativePath(file, false)}"`,
        ),
      overrides: {
        environment: {
          kind: 'resolved',
          ref: { id: environment.id, orgUrl: environment.orgUrl, displayName: environment.displayName },
          names: [environment.displayName, environment.id, environment.uniqueName, environment.orgUrl].filter(
            (n): n is string => n !== undefined && n !== '',
          ),
        },
      },
    };
  }

  private async environmentFor(
    key: string,
    signal: AbortSignal,
  ): Promise<{ account: SignedInAccount; environment: Environment } | undefined> {
    try {
      return key === ''
        ? await this.deps.environmentStatus.resolveDefault(signal)
        : await this.deps.accounts.findEnvironment(key, signal);
    } catch (e) {
      this.deps.log.warn(
        `[tests] resolving environment "${key || '(default)'}" failed: ${e instanceof Error ? e.message : String(e)}`,
      );
      return undefined;
    }
  }

  /** The file items a request names (folders expand to their files), without the excluded ones. */
  private collect(request: vscode.TestRunRequest): Entry[] {
    const excluded = new Set((request.exclude ?? []).map((i) => i.id));
    const out = new Map<string, Entry>();
    const add = (item: vscode.TestItem): void => {
      if (excluded.has(item.id)) {
        return;
      }
      if (item.id.startsWith('folder:')) {
        item.children.forEach(add);
      } else if (item.uri !== undefined) {
        out.set(item.id, { item, uri: item.uri });
      }
    };
    if (request.include === undefined) {
      this.controller.items.forEach(add);
    } else {
      request.include.forEach(add);
    }
    return [...out.values()].sort((a, b) => a.uri.fsPath.localeCompare(b.uri.fsPath));
  }

  private async scan(): Promise<void> {
    const uris = await vscode.workspace.findFiles(glob, '**/node_modules/**');
    await Promise.all(uris.map((uri) => this.update(uri)));
  }

  private whenDiscovered(work: () => Promise<void> | void): void {
    if (this.discovered === undefined) {
      return;
    }
    void this.discovered
      .then(work)
      .catch((e: unknown) =>
        this.deps.log.error(
          `[tests] updating a flow test failed: ${e instanceof Error ? e.message : String(e)}`,
        ),
      );
  }

  private isTestFile(uri: vscode.Uri): boolean {
    return (
      uri.scheme === 'file' &&
      uri.path.toLowerCase().endsWith('.flowtest.json') &&
      vscode.workspace.getWorkspaceFolder(uri) !== undefined
    );
  }

  private async read(uri: vscode.Uri): Promise<string> {
    const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
    return open !== undefined
      ? open.getText()
      : new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
  }

  /**
   * The text a run of the test file uses, as `read` has it, unless the saved file's bytes are not UTF-8
   * text: then the refusal (in the core reader's words) and where the first broken byte shows, as a run
   * from an input file is refused, so that inline inputs are never sent with replacement characters.
   */
  private async readForRun(
    uri: vscode.Uri,
  ): Promise<{ readonly text: string } | { readonly refusal: string; readonly range: vscode.Range }> {
    const label = `"${vscode.workspace.asRelativePath(uri, false)}"`;
    const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
    if (open !== undefined) {
      const problem = await inputFileEncodingProblem(open, label);
      return problem === undefined
        ? { text: open.getText() }
        : { refusal: encodingRefusal(problem), range: new vscode.Range(problem.position, problem.position) };
    }
    const bytes = await vscode.workspace.fs.readFile(uri);
    try {
      return { text: decodeInputFile(bytes, label) };
    } catch (e) {
      if (!InputFileReadError.is(e)) {
        throw e;
      }
      const at = e.reason === 'invalidUtf8' ? invalidUtf8Position(bytes) : undefined;
      const position = new vscode.Position(at?.line ?? 0, at?.character ?? 0);
      return {
        refusal: `${e.message} ${e.fix} Nothing was sent.`,
        range: new vscode.Range(position, position),
      };
    }
  }

  /** Adds or refreshes the item of a test file. */
  private async update(uri: vscode.Uri): Promise<void> {
    let text: string;
    try {
      text = await this.read(uri);
    } catch {
      this.remove(uri);
      return;
    }
    const folder = this.folderItem(uri);
    const id = uri.toString();
    const parsed = parseFlowTest(text, uri.fsPath);
    const label = parsed.ok ? parsed.test.name : path.basename(uri.fsPath).replace(/\.flowtest\.json$/i, '');
    let item = folder.children.get(id);
    if (item === undefined || item.label !== label) {
      item = this.controller.createTestItem(id, label, uri);
      folder.children.add(item);
    }
    item.description = parsed.ok ? parsed.test.flow : undefined;
    const entry: Entry = { item, uri };
    this.showFormat(entry, text, parsed.ok ? parsed.warnings : parsed.problems);
    if (parsed.ok) {
      item.range = rangeOf(text, parsed.test.spans.flow.offset, parsed.test.spans.flow.length);
    }
  }

  /** Files or folders created, copied or renamed in VS Code: their test files. */
  private async added(uris: readonly vscode.Uri[]): Promise<void> {
    for (const uri of uris) {
      if (this.isTestFile(uri)) {
        await this.update(uri);
        continue;
      }
      if (uri.scheme !== 'file' || vscode.workspace.getWorkspaceFolder(uri) === undefined) {
        continue;
      }
      const stat = await Promise.resolve(vscode.workspace.fs.stat(uri)).catch(() => undefined);
      if (stat !== undefined && (stat.type & vscode.FileType.Directory) !== 0) {
        const inside = await vscode.workspace.findFiles(
          new vscode.RelativePattern(uri, glob),
          '**/node_modules/**',
        );
        await Promise.all(inside.map((u) => this.update(u)));
      }
    }
  }

  /** A file or folder deleted or renamed away in VS Code: the items of the test files it was or held. */
  private removeUnder(uri: vscode.Uri): void {
    const prefix = `${uri.toString().replace(/\/+$/, '')}/`;
    const gone: vscode.Uri[] = [];
    this.controller.items.forEach((folder) => {
      folder.children.forEach((item) => {
        if (item.uri !== undefined && (item.id === uri.toString() || item.id.startsWith(prefix))) {
          gone.push(item.uri);
        }
      });
    });
    for (const u of gone) {
      this.remove(u);
    }
  }

  private remove(uri: vscode.Uri): void {
    const id = uri.toString();
    this.controller.items.forEach((folder) => {
      if (folder.children.get(id) !== undefined) {
        folder.children.delete(id);
        if (folder.children.size === 0) {
          this.controller.items.delete(folder.id);
        }
      }
    });
    this.formatProblems.delete(id);
    this.runProblems.delete(id);
    this.diagnostics.delete(uri);
  }

  /** The item of the folder holding a test file: its workspace-relative path (the workspace folder's name at its root). */
  private folderItem(uri: vscode.Uri): vscode.TestItem {
    const dir = vscode.Uri.joinPath(uri, '..');
    const id = `folder:${dir.toString()}`;
    const existing = this.controller.items.get(id);
    if (existing !== undefined) {
      return existing;
    }
    const workspaceFolder = vscode.workspace.getWorkspaceFolder(dir);
    const relative =
      workspaceFolder === undefined ? dir.fsPath : path.relative(workspaceFolder.uri.fsPath, dir.fsPath);
    const label =
      relative === ''
        ? (workspaceFolder?.name ?? dir.fsPath)
        : (vscode.workspace.workspaceFolders?.length ?? 0) > 1 && workspaceFolder !== undefined
          ? `${workspaceFolder.name}/${relative.split(path.sep).join('/')}`
          : relative.split(path.sep).join('/');
    const item = this.controller.createTestItem(id, label, dir);
    this.controller.items.add(item);
    return item;
  }

  /** A file's own format problems: the item's error and the Problems panel. */
  private showFormat(entry: Entry, text: string, problems: readonly FlowTestProblem[]): void {
    const errors = problems.filter((p) => p.severity === 'error');
    entry.item.error =
      errors.length === 0
        ? undefined
        : new vscode.MarkdownString(
            errors.map((p) => `Line ${p.line}:${p.column}: ${problemText(p)}`).join('\n\n'),
          );
    this.formatProblems.set(
      entry.uri.toString(),
      problems.map((p) => {
        const d = new vscode.Diagnostic(
          rangeOf(text, p.offset, p.length),
          problemText(p),
          p.severity === 'error' ? vscode.DiagnosticSeverity.Error : vscode.DiagnosticSeverity.Warning,
        );
        d.source = diagnosticSource;
        return d;
      }),
    );
    if (errors.length > 0) {
      // A run check of an earlier version no longer applies.
      this.runProblems.delete(entry.uri.toString());
    }
    this.publish(entry.uri);
  }

  /** A test's run problems (flow, inputs against the schema, options, connection) in the Problems panel. */
  private showRunProblems(r: Runnable, problems: readonly RunProblem[]): void {
    this.runProblems.set(
      r.entry.uri.toString(),
      problems.map((p) => {
        const d = new vscode.Diagnostic(
          this.runProblemRange(r, p) ?? new vscode.Range(0, 0, 0, 0),
          `${p.input !== undefined && p.input.pathText !== '' ? `inputs ${p.input.pathText}: ` : ''}${p.message} ${p.fix}`.trim(),
          p.severity === 'error' ? vscode.DiagnosticSeverity.Error : vscode.DiagnosticSeverity.Warning,
        );
        d.source = diagnosticSource;
        return d;
      }),
    );
    this.publish(r.entry.uri);
  }

  private publish(uri: vscode.Uri): void {
    const key = uri.toString();
    this.diagnostics.set(uri, [
      ...(this.formatProblems.get(key) ?? []),
      ...(this.runProblems.get(key) ?? []),
    ]);
  }

  /** Checks an opened or saved test file's run through `prepareRun` (no run is sent), after a short pause. */
  private scheduleCheck(uri: vscode.Uri): void {
    const key = uri.toString();
    const pending = this.checks.get(key);
    if (pending !== undefined) {
      clearTimeout(pending);
    }
    this.checks.set(
      key,
      setTimeout(() => {
        this.checks.delete(key);
        this.check(uri).catch((e: unknown) =>
          this.deps.log.warn(
            `[tests] checking ${uri.fsPath} failed: ${e instanceof Error ? e.message : String(e)}`,
          ),
        );
      }, 300),
    );
  }

  /** See `scheduleCheck`. Public so a caller can await it. */
  async check(uri: vscode.Uri): Promise<void> {
    if (this.deps.accounts.accounts.length === 0) {
      return;
    }
    const text = await this.read(uri);
    const parsed = parseFlowTest(text, uri.fsPath);
    if (!parsed.ok) {
      return;
    }
    const item = this.itemOf(uri) ?? this.controller.createTestItem(uri.toString(), parsed.test.name, uri);
    const entry: Entry = { item, uri };
    const r: Runnable = { entry, text, test: withDefaults(parsed.test, this.deps.config.current) };
    const signal = AbortSignal.timeout(60_000);
    const found = await this.environmentFor(r.test.environment ?? '', signal);
    if (found === undefined) {
      return;
    }
    this.deps.runs.runAccounts.remember(found.environment.orgUrl, found.account);
    const [result] = await prepareFlowTests([r.test], this.depsFor(found), signal);
    if (result !== undefined) {
      this.showRunProblems(r, result.ok ? [] : result.problems);
    }
  }

  private itemOf(uri: vscode.Uri): vscode.TestItem | undefined {
    let found: vscode.TestItem | undefined;
    this.controller.items.forEach((folder) => {
      found ??= folder.children.get(uri.toString());
    });
    return found;
  }
}

/** The test with the settings' connection and mode where the file gives none. */
function withDefaults(
  test: FlowTest,
  settings: {
    testsConnection: string;
    testsConnectionReference: string;
    testsMode: 'attended' | 'unattended';
  },
): FlowTest {
  const connection: RunConnection | undefined =
    test.run.connection ??
    (settings.testsConnection !== ''
      ? { kind: 'connection', name: settings.testsConnection }
      : settings.testsConnectionReference !== ''
        ? { kind: 'connectionReference', logicalName: settings.testsConnectionReference }
        : undefined);
  return {
    ...test,
    run: { ...test.run, connection, mode: test.run.mode ?? settings.testsMode },
  };
}

function groupBy<T>(list: readonly T[], key: (t: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const t of list) {
    const k = key(t).toLowerCase();
    out.set(k, [...(out.get(k) ?? []), t]);
  }
  return out;
}

/** Reports to the `TestRun` and to the report the caller gets back. */
class Reporter {
  constructor(
    private readonly run: vscode.TestRun,
    private readonly report: FlowTestRunReport,
  ) {}

  started(e: Entry): void {
    this.entry(e).outcome = 'started';
    this.run.started(e.item);
  }

  runId(e: Entry, runId: string): void {
    this.entry(e).runId = runId;
  }

  output(e: Entry, text: string): void {
    const crlf = `${secretMasker.mask(text).replace(/\r?\n/g, '\r\n')}\r\n`;
    this.entry(e).output += crlf;
    this.run.appendOutput(crlf, undefined, e.item);
  }

  passed(e: Entry, durationMs: number): void {
    Object.assign(this.entry(e), { outcome: 'passed', durationMs });
    this.run.passed(e.item, durationMs);
  }

  failed(e: Entry, messages: vscode.TestMessage[], durationMs: number): void {
    this.record(e, 'failed', messages, durationMs);
    this.run.failed(e.item, messages, durationMs);
  }

  errored(e: Entry, messages: vscode.TestMessage[], durationMs?: number): void {
    this.record(e, 'errored', messages, durationMs);
    this.run.errored(e.item, messages, durationMs);
  }

  skipped(e: Entry, note: string): void {
    this.output(e, note);
    this.entry(e).outcome = 'skipped';
    this.run.skipped(e.item);
  }

  private record(
    e: Entry,
    outcome: FlowTestItemReport['outcome'],
    messages: vscode.TestMessage[],
    durationMs: number | undefined,
  ): void {
    const r = this.entry(e);
    r.outcome = outcome;
    if (durationMs !== undefined) {
      r.durationMs = durationMs;
    }
    for (const m of messages) {
      r.messages.push({
        message: typeof m.message === 'string' ? m.message : m.message.value,
        ...(m.expectedOutput === undefined ? {} : { expected: m.expectedOutput }),
        ...(m.actualOutput === undefined ? {} : { actual: m.actualOutput }),
        ...(m.location === undefined ? {} : { line: m.location.range.start.line + 1 }),
      });
    }
  }

  private entry(e: Entry): FlowTestItemReport {
    let r = this.report.get(e.item.id);
    if (r === undefined) {
      r = { id: e.item.id, label: e.item.label, outcome: 'enqueued', messages: [], output: '' };
      this.report.set(e.item.id, r);
    }
    return r;
  }
}
