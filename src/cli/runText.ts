/**
 * How runs read in a terminal: one run as aligned fields (`status`, the end of a waited run), many runs as
 * a table (`runs`). Built from the `--json` shapes, so both outputs always say the same thing.
 */
import { secretMasker } from '../core/util/secretMasker';
import { describeStatus, formatDuration } from '../core/runs/runTranscript';
import type { RunStateJson } from './jsonShapes';
import { formatFields, formatTable } from './textTable';

function duration(ms: number | null): string | undefined {
  return ms === null ? undefined : formatDuration(ms);
}

function flowLabel(s: RunStateJson): string | undefined {
  if (s.flowName !== null && s.flowId !== null) {
    return `${s.flowName} (${s.flowId})`;
  }
  return s.flowName ?? s.flowId ?? undefined;
}

/** One run, as `key  value` lines; `outputs` (a waited run's) as one JSON line. */
export function formatRunState(s: RunStateJson, outputs?: Record<string, unknown> | null): string {
  return formatFields([
    ['Run', s.runId],
    ['Flow', flowLabel(s)],
    ['Environment', s.environment.name ?? s.environment.orgUrl],
    ['Status', describeStatus(s.status)],
    ['Mode', s.runMode],
    ['Machine', s.machine === null ? undefined : (s.machine.name ?? s.machine.id)],
    ['Queued at', s.createdOn ?? undefined],
    ['Started at', s.startedOn ?? undefined],
    ['Ended at', s.completedOn ?? undefined],
    ['Queue wait', duration(s.queueWaitMs)],
    ['Run time', duration(s.runTimeMs)],
    [
      'Error',
      s.error === null ? undefined : [s.error.code, s.error.message].filter((p) => p !== null).join(': '),
    ],
    [
      'Remedy',
      s.error === null || s.error.remedy === null
        ? undefined
        : `${s.error.remedy.title}. ${s.error.remedy.remedy}`,
    ],
    [
      'Outputs',
      outputs === undefined || outputs === null ? undefined : JSON.stringify(secretMasker.maskValue(outputs)),
    ],
  ]);
}

/** Runs as a table, newest first as given. */
export function formatRunTable(runs: readonly RunStateJson[]): string {
  return formatTable(
    ['RUN', 'STATUS', 'MODE', 'QUEUED AT', 'RUN TIME', 'MACHINE', 'ERROR'],
    runs.map((s) => [
      s.runId,
      describeStatus(s.status),
      s.runMode,
      s.createdOn ?? '',
      duration(s.runTimeMs) ?? '',
      s.machine === null ? '' : (s.machine.name ?? s.machine.id),
      s.error?.code ?? '',
    ]),
  );
}
