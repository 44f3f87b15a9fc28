/**
 * `RunsBackend` over the Dataverse runs API of one org: turns the runs core's queries into OData
 * (`$filter`, `$select`, `$orderby`, page size) and reads the `inputs` file column, which `RunsApi` has
 * no call for.
 */
import type { RunDesktopFlowRequest, RunsApi } from '../api/runsApi';
import { dataverseHeaders, dataverseUrl, guidKey, orgResource } from '../api/dataverseUrls';
import { ApiError } from '../errors';
import type { HttpClient } from '../http/httpClient';
import { runSelect, type Run, type RunStart } from '../model/run';
import type { RunAction } from '../model/runActionLog';
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
  return clauses.length === 0 ? undefined : clauses.join(' and ');
}

function orderBy(query: RunQuery): string {
  return query.order === 'oldestFirst' ? 'createdon asc' : 'createdon desc';
}

/** The runs core's service calls against one Dataverse org. */
export class DataverseRunsBackend implements RunsBackend {
  /**
   * @param api the runs endpoints
   * @param http the same client `api` uses (for the `inputs` file column)
   * @param orgUrl `Environment.orgUrl`
   */
  constructor(
    private readonly api: RunsApi,
    private readonly http: HttpClient,
    private readonly orgUrl: string,
  ) {}

  startRun(flowId: string, request: RunDesktopFlowRequest, signal: AbortSignal): Promise<RunStart> {
    return this.api.runDesktopFlow(this.orgUrl, flowId, request, signal);
  }

  async listRuns(query: RunQuery, signal: AbortSignal): Promise<RunPage> {
    const filter = runQueryFilter(query);
    const page = await this.api.listFlowSessions(
      this.orgUrl,
      {
        ...(filter === undefined ? {} : { filter }),
        select: query.columns === 'status' ? runStatusSelect : runSelect,
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
    return this.api.getFlowSession(this.orgUrl, runId, signal);
  }

  getRunOutputs(runId: string, signal: AbortSignal): Promise<Record<string, unknown> | undefined> {
    return this.api.getRunOutputs(this.orgUrl, runId, signal);
  }

  async getRunInputs(runId: string, signal: AbortSignal): Promise<Record<string, unknown> | undefined> {
    let text: string;
    try {
      text = await this.http.get<string>(
        dataverseUrl(this.orgUrl, `flowsessions(${guidKey(runId)})/inputs/$value`),
        {
          audience: orgResource(this.orgUrl),
          headers: { ...dataverseHeaders, Accept: '*/*' },
          responseType: 'text',
          signal,
        },
      );
    } catch (e) {
      // An empty file column answers 404 (reference 4.5).
      if (ApiError.is(e, 'notFound')) {
        return undefined;
      }
      throw e;
    }
    if (text.trim() === '') {
      return undefined;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      throw new ApiError({
        reason: 'server',
        message: "The run's inputs file is not valid JSON.",
        mayHaveReachedService: true,
        cause: e,
      });
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new ApiError({
        reason: 'server',
        message: 'The run inputs are not a JSON object.',
        mayHaveReachedService: true,
      });
    }
    return parsed as Record<string, unknown>;
  }

  async getActionLog(runId: string, signal: AbortSignal): Promise<readonly RunAction[]> {
    const log = await this.api.getRunActionLogs(this.orgUrl, runId, signal);
    return log?.actions ?? [];
  }

  cancelRun(runId: string, signal: AbortSignal): Promise<void> {
    return this.api.cancelRun(this.orgUrl, runId, signal);
  }
}
