/**
 * Runs of the run store for the tests of its pure surfaces (status bar text, Runs view rows): a run the
 * store's own reducer made (a start of "Echo Text" in Contoso Dev at `elapsedSince`), running as run `r1`,
 * plus what the test sets.
 */
import { reduceRuns, type StoreRun } from '../../../src/vscode/runs/runStore';

export function storeRun(over: Partial<StoreRun> & Pick<StoreRun, 'elapsedSince'>): StoreRun {
  const [started] = reduceRuns(
    new Map(),
    {
      kind: 'starting',
      triggerId: 't',
      environment: { id: 'env-1', orgUrl: 'https://contoso.crm.dynamics.com', displayName: 'Contoso Dev' },
      flowId: 'f1',
      flowName: 'Echo Text',
    },
    over.elapsedSince,
  ).values();
  if (started === undefined) {
    throw new Error('The run store did not record the start.');
  }
  return {
    ...started,
    key: `run-${over.runId ?? 'r1'}`,
    runId: 'r1',
    phase: 'running',
    status: 'running',
    ...over,
  };
}
