/**
 * `RunsBackend` over the Dataverse runs API of one org: turns the runs core's queries into OData
 * (`$filter`, `$select`, `$orderby`, page size).
 */
import type { RunDesktopFlowRequest, RunsApi, WhoAmIAnswer } from '../api/runsApi';
import { dataverseUrl, guidKey } from '../api/dataverseUrls';
import { withQuery } from '../http/requestParts';
import { runSelect, type Run, type RunStart } from '../model/run';
import type { FlowLogEntry, RunAction } from '../model/runActionLog';
import type { RunPage, RunQuery, RunsBackend } from './runsBackend';

/**
 * Columns of a status poll and of reconciliation: status, timestamps, error, machine, and what tells runs
 * apart (flow, run mode, trigger type, connection). Narrower than history's `runSelect`.
 */
export const runStatusSelect = [
  'flowsessionid',
  'statuscode',
  'createdon',
  'startedon',
  'completedon',
  'errorcode',
  'errormessage',
  '_machineid_value',
  '_regardingobjectid_value',
  'runmode',
  'triggertype',
  'connectionid',
] as const;

/** Reconciliation's columns: the status set plus who created and owns the run (docs/service-contract.md). */
export const runReconcileSelect = [...runStatusSelect, '_createdby_value', '_ownerid_value'] as const;

/** The Runs view's columns: history's, plus who started the run (docs/service-contract.md#flowsessions-run-status). */
export const runFeedSelect = [...runSelect, '_createdby_value'] as const;

/** An OData datetime literal (seconds precision, as Dataverse stores `createdon`), rounded down. */
function odataDateTime(epochMs: number): string {
  return new Date(Math.floor(epochMs / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** The `$filter` for a runs query; `undefined` when it has no condition. */
export function runQueryFilter(query: RunQuery): string | undefined {
  const clauses: string[] = [];
  if (query.runIds !== undefined) {
    if (query.runIds.length === 0) {
      throw new RangeError('A run id filter needs at least one id');
    }
    // `or` over ids (not the In() function) works on every OData endpoint; parenthesized so `and` binds outside.
    clauses.push(`(${query.runIds.map((id) => `flowsessionid eq ${guidKey(id)}`).join(' or ')})`);
  }
  if (query.flowId !== undefined) {
    clauses.push(`_regardingobjectid_value eq ${guidKey(query.flowId)}`);
  }
  if (query.createdOnOrAfter !== undefined) {
    clauses.push(`createdon ge ${odataDateTime(query.createdOnOrAfter)}`);
  }
  if (query.apiTriggeredOnly === true) {
    clauses.push('triggertype eq 3');
  }
  if (query.createdBy !== undefined) {
    clauses.push(`_createdby_value eq ${guidKey(query.createdBy)}`);
  }
  if (query.statusCodes !== undefined && query.statusCodes.length > 0) {
    const codes = query.statusCodes.map((c) => `statuscode eq ${Math.trunc(c)}`);
    clauses.push(codes.length === 1 ? (codes[0] as string) : `(${codes.join(' or ')})`);
  }
  return clauses.length === 0 ? undefined : clauses.join(' and ');
}

/**
 * Longest status-poll URL we send. Dataverse accepts URLs up to 32,768 characters (docs/service-contract.md,
 * "Maximum URL length"); we stay at a quarter of that, which is also under the 8 KB request-line limit of
 * common proxies and gateways that may sit between the client and the service.
 */
export const maxStatusUrlLength = 8_192;

/** Most runs one status query asks for: the largest page the service serves (`odata.maxpagesize`). */
export const maxRunIdsPerQuery = 5_000;

function orderBy(query: RunQuery): string {
  return query.order === 'oldestFirst' ? 'createdon asc' : 'createdon desc';
}

/** The runs core's service calls against one Dataverse org. */
export class DataverseRunsBackend implements RunsBackend {
  /**
   * @param api the runs endpoints
   * @param orgUrl `Environment.orgUrl`
   */
  constructor(
    private readonly api: RunsApi,
    private readonly orgUrl: string,
    private readonly maxUrlLength: number = maxStatusUrlLength,
  ) {}

  /** The URL of a status query for `runIds` (what `listRuns` sends, `Prefer` aside). */
  statusQueryUrl(runIds: readonly string[]): string {
    const query: RunQuery = { runIds, columns: 'status' };
    return withQuery(dataverseUrl(this.orgUrl, 'flowsessions'), {
      $select: runStatusSelect.join(','),
      $filter: runQueryFilter(query),
      $orderby: orderBy(query),
    });
  }

  /**
   * Status queries for `runIds`, each URL within `maxUrlLength`: as many ids per query as fit (run ids are
   * GUIDs, so every id adds the same length), at most `maxRunIdsPerQuery`.
   */
  chunkRunIds(runIds: readonly string[]): string[][] {
    const [first, second] = runIds;
    if (first === undefined) {
      return [];
    }
    const one = this.statusQueryUrl([first]).length;
    const perId = this.statusQueryUrl([first, second ?? first]).length - one;
    const fit = perId > 0 ? Math.floor((this.maxUrlLength - one) / perId) + 1 : 1;
    const size = Math.max(1, Math.min(maxRunIdsPerQuery, fit));
    const chunks: string[][] = [];
    for (let i = 0; i < runIds.length; i += size) {
      chunks.push(runIds.slice(i, i + size));
    }
    return chunks;
  }

  whoAmI(signal: AbortSignal): Promise<WhoAmIAnswer> {
    return this.api.whoAmI(this.orgUrl, signal);
  }

  startRun(flowId: string, request: RunDesktopFlowRequest, signal: AbortSignal): Promise<RunStart> {
    return this.api.runDesktopFlow(this.orgUrl, flowId, request, signal);
  }

  async listRuns(query: RunQuery, signal: AbortSignal): Promise<RunPage> {
    const filter = runQueryFilter(query);
    const page = await this.api.listFlowSessions(
      this.orgUrl,
      {
        ...(filter === undefined ? {} : { filter }),
        select:
          query.columns === 'status'
            ? runStatusSelect
            : query.columns === 'reconcile'
              ? runReconcileSelect
              : query.columns === 'feed'
                ? runFeedSelect
                : runSelect,
        orderby: orderBy(query),
        ...(query.pageSize === undefined ? {} : { pageSize: query.pageSize }),
      },
      signal,
    );
    return { runs: page.items, nextPage: page.nextLink };
  }

  async listRunsPage(nextPage: string, query: RunQuery, signal: AbortSignal): Promise<RunPage> {
    const page = await this.api.listFlowSessions(
      this.orgUrl,
      { nextLink: nextPage, ...(query.pageSize === undefined ? {} : { pageSize: query.pageSize }) },
      signal,
    );
    return { runs: page.items, nextPage: page.nextLink };
  }

  getRun(runId: string, signal: AbortSignal): Promise<Run> {
    // With who started it: the run document shows it.
    return this.api.getFlowSession(this.orgUrl, runId, signal, runFeedSelect);
  }

  getRunOutputs(runId: string, signal: AbortSignal): Promise<Record<string, unknown> | undefined> {
    return this.api.getRunOutputs(this.orgUrl, runId, signal);
  }

  getRunInputs(runId: string, signal: AbortSignal): Promise<Record<string, unknown> | undefined> {
    return this.api.getRunInputs(this.orgUrl, runId, signal);
  }

  async getActionLog(runId: string, signal: AbortSignal): Promise<readonly RunAction[]> {
    const log = await this.api.getRunActionLogs(this.orgUrl, runId, signal);
    return log?.actions ?? [];
  }

  getFlowLogs(runId: string, signal: AbortSignal): Promise<readonly FlowLogEntry[]> {
    return this.api.getFlowLogs(this.orgUrl, runId, signal);
  }

  cancelRun(runId: string, signal: AbortSignal): Promise<void> {
    return this.api.cancelRun(this.orgUrl, runId, signal);
  }
}
