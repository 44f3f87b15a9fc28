/**
 * The readiness check in the start path: before a run is sent, `checkReadiness` (nothing sent) says what the
 * service will do. It never blocks: a run that will wait says why and goes on with one choice; a run that
 * will surely fail says why and asks before sending. Input problems are left to `prepareRun`'s refusal.
 */
import { setMaxListeners } from 'node:events';
import * as vscode from 'vscode';
import type { FlowSchemaCache } from '../../core/inputs/flowSchemaCache';
import type { SecretResolver } from '../../core/inputs/secretReference';
import { CancellationError } from '../../core/errors';
import { checkReadiness, type ReadinessDeps, type ReadinessItem } from '../../core/runs/readiness';
import type { RunRequest } from '../../core/runs/runRequest';
import type { Prompts } from '../prompts';

/** What the check needs. */
export interface StartCheckDeps {
  readonly prompts: Prompts;
  readonly session: ReadinessDeps['session'];
  readonly schemas: FlowSchemaCache;
  readonly resolver?: SecretResolver;
  /** Writes a line to the runs transcript. */
  readonly transcript: (line: string) => void;
}

/** How the check ended: send the run, or let the maker choose other options. */
export type StartCheckVerdict = 'send' | 'chooseOther';

/** How long the start path waits for the check before sending without it. */
const checkTimeoutMs = 15_000;

/**
 * Checks the run before it is sent. `interactive` false (options given as arguments): warnings only go to the
 * transcript. `confirmedFailure`: the maker already confirmed a connection that will fail; that is not asked
 * again. A check that cannot finish (service error, timeout) never stops the run.
 */
export async function checkBeforeSending(
  deps: StartCheckDeps,
  request: RunRequest,
  context: { readonly flowName: string; readonly interactive: boolean; readonly confirmedFailure: boolean },
): Promise<StartCheckVerdict> {
  let items: readonly ReadinessItem[];
  const signal = AbortSignal.timeout(checkTimeoutMs);
  // The check reads machines, groups and runs in parallel on this one signal.
  setMaxListeners(0, signal);
  try {
    const report = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: `Checking "${context.flowName}" before sending…` },
      () =>
        checkReadiness(
          request,
          {
            session: deps.session,
            schemas: deps.schemas,
            ...(deps.resolver === undefined ? {} : { resolver: deps.resolver }),
          },
          signal,
        ),
    );
    items = report.items;
  } catch (e) {
    if (e instanceof CancellationError) {
      deps.transcript(`Check before sending "${context.flowName}" took too long; the run is sent unchecked.`);
    }
    return 'send';
  }
  // prepareRun refuses bad inputs in words (with the file's problems in the Problems panel): not asked here.
  const service = items.filter((i) => i.check !== 'inputs');
  const errors = service.filter((i) => i.outcome === 'error');
  const warnings = service.filter((i) => i.outcome === 'warning');
  for (const item of [...errors, ...warnings]) {
    deps.transcript(`Check before sending "${context.flowName}": ${item.message}`);
  }
  if (!context.interactive) {
    return 'send';
  }
  const connectionErrors = new Set(['connection', 'machines']);
  const unconfirmed = context.confirmedFailure
    ? errors.filter((i) => !connectionErrors.has(i.check))
    : errors;
  if (unconfirmed.length === 0 && warnings.length === 0) {
    return 'send';
  }
  const first = unconfirmed[0] ?? warnings[0];
  if (first === undefined) {
    return 'send';
  }
  const fails = unconfirmed.length > 0;
  type Item = vscode.QuickPickItem & { verdict: StartCheckVerdict };
  const items2: Item[] = [
    {
      label: fails ? '$(warning) Send anyway' : '$(play) Send: it will wait',
      detail: fails
        ? 'The run is sent and will most likely fail.'
        : 'The run waits in the queue until a machine takes it.',
      verdict: 'send',
    },
    {
      label: '$(settings) Choose other options…',
      detail: 'Another connection, run mode, priority or timeout',
      verdict: 'chooseOther',
    },
  ];
  if (fails) {
    items2.reverse();
  }
  const picked = await deps.prompts.pick(items2, {
    title: first.message,
    placeHolder:
      [...unconfirmed, ...warnings]
        .slice(1)
        .map((i) => i.message)
        .concat(first.fix === undefined ? [] : [first.fix])
        .join(' ') || `Run "${context.flowName}"`,
  });
  return picked.verdict;
}
