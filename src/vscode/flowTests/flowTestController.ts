/**
 * The "Desktop Flows" Test Explorer controller as activation makes it: the controller, its run profile and
 * handlers, nothing else (it imports only `vscode` and types). Discovering, parsing and running tests live in
 * the features chunk (flowTestFeatures.ts, flowTestExplorer.ts), loaded the first time Test Explorer asks
 * for tests, a test file is opened or a test runs (CONTRIBUTING.md, "Adding a feature without slowing
 * activation").
 */
import * as vscode from 'vscode';
import type { Logger } from '../../core/logger';
import type { FlowTestRunReport } from './flowTestExplorer';

/** What the features chunk provides behind the controller. */
export interface FlowTestHost {
  discover(): Promise<void>;
  rediscover(): Promise<void>;
  run(request: vscode.TestRunRequest, token: vscode.CancellationToken): Promise<FlowTestRunReport>;
}

/** Flow tests as the integration tests drive them. */
export interface FlowTestsApi {
  readonly controller: vscode.TestController;
  /** Finds the workspace's test files (what opening the Testing view does); resolves once the items are there. */
  discover(): Promise<void>;
  /** The item of a test file, or of a folder of test files. */
  itemFor(uri: vscode.Uri): vscode.TestItem | undefined;
  /** Runs tests as the run profile does; resolves with what was reported to Test Explorer. */
  run(request: vscode.TestRunRequest, token: vscode.CancellationToken): Promise<FlowTestRunReport>;
  /** Problems of test files (format, inputs against the flow's input schema). */
  diagnostics(uri: vscode.Uri): readonly vscode.Diagnostic[];
}

const testFileSuffix = '.flowtest.json';

/** Creates the controller; `load` loads the features chunk (once) and returns its flow tests. */
export function createFlowTestController(
  log: Logger,
  load: (reason: string) => Promise<FlowTestHost>,
): { controller: vscode.TestController; api: FlowTestsApi; disposables: vscode.Disposable[] } {
  const controller = vscode.tests.createTestController('desktopFlows.flowTests', 'Desktop Flows');
  const discover = async (): Promise<void> => {
    await (await load('flow tests')).discover();
  };
  const run = async (
    request: vscode.TestRunRequest,
    token: vscode.CancellationToken,
  ): Promise<FlowTestRunReport> => (await load('a flow test run')).run(request, token);
  controller.resolveHandler = async (item) => {
    if (item === undefined) {
      await discover();
    }
  };
  controller.refreshHandler = async () => {
    await (await load('flow tests')).rediscover();
  };
  controller.createRunProfile(
    'Run Flow Tests',
    vscode.TestRunProfileKind.Run,
    async (request, token) => {
      try {
        await run(request, token);
      } catch (e) {
        log.error(`[tests] the test run failed: ${e instanceof Error ? e.message : String(e)}`);
      }
    },
    true,
  );
  const isTestFile = (d: vscode.TextDocument): boolean =>
    d.uri.scheme === 'file' && d.fileName.toLowerCase().endsWith(testFileSuffix);
  const discoverInBackground = (): void => {
    discover().catch((e: unknown) =>
      log.error(`[tests] finding flow tests failed: ${e instanceof Error ? e.message : String(e)}`),
    );
  };
  // A test file open: its item (gutter buttons) and problems appear; never during activate().
  const opened = vscode.workspace.onDidOpenTextDocument((d) => {
    if (isTestFile(d)) {
      discoverInBackground();
    }
  });
  setTimeout(() => {
    for (const d of vscode.workspace.textDocuments) {
      if (isTestFile(d)) {
        discoverInBackground();
        return;
      }
    }
  }, 0);
  return {
    controller,
    api: {
      controller,
      discover,
      run,
      itemFor: (uri) => itemOf(controller, uri),
      diagnostics: (uri) =>
        vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'Desktop Flows test'),
    },
    disposables: [controller, opened],
  };
}

/** The item of a file (`<uri>`) or folder (`folder:<uri>`) already discovered. */
function itemOf(controller: vscode.TestController, uri: vscode.Uri): vscode.TestItem | undefined {
  const key = uri.toString();
  let found: vscode.TestItem | undefined;
  controller.items.forEach((folder) => {
    if (folder.id === `folder:${key}`) {
      found = folder;
    }
    found ??= folder.children.get(key);
  });
  return found;
}
