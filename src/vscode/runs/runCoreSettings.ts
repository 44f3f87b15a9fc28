/**
 * What the runs core takes from the `desktopFlows.runs.*` settings, as a pure mapping (no `vscode` import,
 * so unit tests cover it): the poll interval bounds and whether an uncertain start is sent again.
 */
import type { PollIntervalOptions } from '../../core/runs/pollInterval';
import type { DesktopFlowsConfig } from '../configurationValues';

/** The settings the runs core uses, in its units. */
export interface RunCoreSettings {
  readonly poll: Required<Pick<PollIntervalOptions, 'minMs' | 'maxMs'>>;
  /** `desktopFlows.runs.resendWhenUncertain`, for `RunService` and each `RunService.start`. */
  readonly resendWhenUncertain: boolean;
}

export function runCoreSettings(
  c: Pick<DesktopFlowsConfig, 'pollIntervalMinSeconds' | 'pollIntervalMaxSeconds' | 'resendWhenUncertain'>,
): RunCoreSettings {
  const minMs = Math.max(1, c.pollIntervalMinSeconds) * 1000;
  return {
    poll: { minMs, maxMs: Math.max(minMs, c.pollIntervalMaxSeconds * 1000) },
    resendWhenUncertain: c.resendWhenUncertain,
  };
}
