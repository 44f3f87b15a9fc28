/**
 * Runs of the run store for the tests of its pure surfaces (status bar text, Runs view rows): a running run
 * of "Echo Text" in Contoso Dev with nothing else known, plus what the test sets.
 */
import type { StoreRun } from '../../../src/vscode/runs/runStore';

export function storeRun(over: Partial<StoreRun> & Pick<StoreRun, 'elapsedSince'>): StoreRun {
  return {
    key: `run-${over.runId ?? 'r1'}`,
    environment: { id: 'env-1', orgUrl: 'https://contoso.crm.dynamics.com', displayName: 'Contoso Dev' },
    flowId: 'f1',
    flowName: 'Echo Text',
    runId: 'r1',
    phase: 'running',
    status: 'running',
    machine: undefined,
    elapsedBaseMs: 0,
    rateLimit: undefined,
    errorCode: undefined,
    errorMessage: undefined,
    durationMs: undefined,
    hasOutputs: false,
    stoppedAt: undefined,
    endedWhileAway: false,
    display: undefined,
    watchStopped: undefined,
    ...over,
  };
}
