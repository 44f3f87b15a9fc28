import type { RunSubject } from '../../core/runs/runEvents';
import type { EnvironmentRef } from '../../core/runs/runJournal';

/**
 * Runs are named in command arguments by plain JSON (`RunSubject`: environment, flow and run id), so the same
 * shape works from the tree, from status bar tooltip links (`command:` URIs carry JSON) and from tests or other
 * extensions calling `executeCommand`.
 */

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The environment part of a run subject, if `v` is one. */
export function asEnvironmentRef(v: unknown): EnvironmentRef | undefined {
  if (!isRecord(v) || typeof v.id !== 'string' || typeof v.orgUrl !== 'string' || v.orgUrl === '') {
    return undefined;
  }
  return {
    id: v.id,
    orgUrl: v.orgUrl.replace(/\/+$/, ''),
    ...(typeof v.displayName === 'string' ? { displayName: v.displayName } : {}),
  };
}

/**
 * A run subject from a command argument: a `RunSubject`-shaped object, or anything carrying one in `subject`
 * (tree nodes). `undefined` when the argument names no run.
 */
export function asRunSubject(v: unknown): RunSubject | undefined {
  if (!isRecord(v)) {
    return undefined;
  }
  if (isRecord(v.subject)) {
    return asRunSubject(v.subject);
  }
  const environment = asEnvironmentRef(v.environment);
  if (environment === undefined || typeof v.runId !== 'string' || v.runId === '') {
    return undefined;
  }
  return {
    environment,
    runId: v.runId,
    flowId: typeof v.flowId === 'string' ? v.flowId : '',
    ...(typeof v.flowName === 'string' ? { flowName: v.flowName } : {}),
  };
}

/** The plain JSON form of a subject (drops anything a tree node carries besides). */
export function plainSubject(s: RunSubject): RunSubject {
  return {
    environment: {
      id: s.environment.id,
      orgUrl: s.environment.orgUrl,
      ...(s.environment.displayName === undefined ? {} : { displayName: s.environment.displayName }),
    },
    flowId: s.flowId,
    runId: s.runId,
    ...(s.flowName === undefined ? {} : { flowName: s.flowName }),
  };
}

/** A `command:` link running `command` with the given arguments (for trusted markdown). */
export function commandLink(command: string, ...args: unknown[]): string {
  return `command:${command}?${encodeURIComponent(JSON.stringify(args))}`;
}

/** `0:42`, `12:05`, `1:02:03`: elapsed time as a clock shows it. */
export function formatElapsed(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const ss = String(s).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** The flow's name for people, or its id when the name is not known. */
export function flowLabel(s: { readonly flowName?: string | undefined; readonly flowId: string }): string {
  return s.flowName ?? `flow ${s.flowId.slice(0, 8)}`;
}
