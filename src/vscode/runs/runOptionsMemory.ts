import type * as vscode from 'vscode';
import { flowKey } from '../../core/runs/runKeys';
import { validateRunOptions, type RunOptions } from '../../core/runs/runOptions';

/** How a flow was last run in this workspace: options and where the inputs came from. Plain JSON. */
export interface RememberedRun {
  readonly options: RunOptions;
  /** The input file (URI string), when the inputs came from one. */
  readonly inputFile?: string;
}

/**
 * How one run of this session was started, for "Run Again": its options and, when the inputs came from an
 * input file, that file (read and checked again). Other inputs are taken from the run itself.
 */
export interface RunLaunch {
  readonly options: RunOptions;
  readonly inputFile: string | undefined;
}

const storageKey = 'desktopFlows.runs.lastOptions';
const maxFlows = 500;
const maxLaunches = 200;

/**
 * Run options remembered per flow per workspace (`workspaceState`), and the launches of this session.
 * Inputs are never kept: a file is remembered by its URI and prepared again; other inputs are read back from
 * the run and checked against the flow as it is now.
 */
export class RunOptionsMemory {
  private readonly launches = new Map<string, RunLaunch>();

  constructor(private readonly workspaceState: vscode.Memento) {}

  /** The options last used for a flow here, if any are remembered and still valid. */
  lastFor(orgUrl: string, flowId: string): RememberedRun | undefined {
    const all = this.all();
    const entry = all[flowKey(orgUrl, flowId)] ?? all[legacyFlowKey(orgUrl, flowId)];
    if (typeof entry !== 'object' || entry === null) {
      return undefined;
    }
    const record = entry as { options?: unknown; inputFile?: unknown };
    const checked = validateRunOptions(record.options);
    if (!checked.ok) {
      return undefined;
    }
    return {
      options: checked.options,
      ...(typeof record.inputFile === 'string' ? { inputFile: record.inputFile } : {}),
    };
  }

  async remember(orgUrl: string, flowId: string, run: RememberedRun): Promise<void> {
    const all = { ...this.all() };
    const key = flowKey(orgUrl, flowId);
    delete all[legacyFlowKey(orgUrl, flowId)];
    delete all[key];
    all[key] = run;
    const keys = Object.keys(all);
    for (const stale of keys.slice(0, Math.max(0, keys.length - maxFlows))) {
      delete all[stale];
    }
    await this.workspaceState.update(storageKey, all);
  }

  /** Records how a run of this session was started. */
  recordLaunch(key: string, launch: RunLaunch): void {
    this.launches.set(key, launch);
    if (this.launches.size > maxLaunches) {
      const oldest = this.launches.keys().next().value;
      if (oldest !== undefined) {
        this.launches.delete(oldest);
      }
    }
  }

  launchOf(key: string): RunLaunch | undefined {
    return this.launches.get(key);
  }

  private all(): Record<string, unknown> {
    const stored = this.workspaceState.get<unknown>(storageKey);
    return typeof stored === 'object' && stored !== null && !Array.isArray(stored)
      ? (stored as Record<string, unknown>)
      : {};
  }
}

/**
 * How options were keyed in `workspaceState` before keys came from runKeys.ts (`<org url>|<flow id>`, lower
 * case): read so that options remembered by an earlier version are not lost, and dropped when rewritten.
 */
function legacyFlowKey(orgUrl: string, flowId: string): string {
  return `${orgUrl.toLowerCase()}|${flowId.toLowerCase()}`;
}
