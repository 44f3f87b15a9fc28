/**
 * The desktop-flow run endpoints as thin calls (docs/service-contract.md#rundesktopflow, docs/service-contract.md#flowsessions-run-status). Run logic (exactly-once triggering,
 * rate limiting, watching) lives in `src/core/runs` on top of these.
 */
import { ApiError } from '../errors';
import type { HttpClient, Page } from '../http/httpClient';
import {
  flowLogEntryFromDto,
  runActionLogFromDto,
  type FlowLogEntry,
  type RunActionLog,
} from '../model/runActionLog';
import {
  runFromDto,
  runSelect,
  runStartFromDto,
  type FlowSessionDto,
  type Run,
  type RunDesktopFlowResponseDto,
  type RunStart,
} from '../model/run';
import {
  dataverseHeaders,
  dataverseUrl,
  formattedValuesPreference,
  guidKey,
  orgResource,
} from './dataverseUrls';

/** The RunDesktopFlow action's parameters (docs/service-contract.md#rundesktopflow). */
export interface RunDesktopFlowRequest {
  readonly runMode: 'attended' | 'unattended';
  /** `normal` or `high` (others undocumented). */
  readonly runPriority?: string;
  /** Connection name (`connectionType` 1) or connection reference logical name (`connectionType` 2). */
  readonly connectionName: string;
  /** 1 = connection (default), 2 = connection reference. */
  readonly connectionType?: 1 | 2;
  /** Seconds; default 10,800, maximum 86,400. */
  readonly timeout?: number;
  /** The inputs object serialised as a JSON string (max 2 MB UTF-8). */
  readonly inputs?: string;
  readonly callbackUrl?: string;
}

/** Query for `listFlowSessions`. */
export interface ListFlowSessionsQuery {
  /** OData `$filter`, e.g. `_regardingobjectid_value eq <flowId>`. */
  readonly filter?: string;
  /** Columns; defaults to `runSelect`. */
  readonly select?: readonly string[];
  /** OData `$orderby`; defaults to `createdon desc`. */
  readonly orderby?: string;
  /** `Prefer: odata.maxpagesize`; default 50. */
  readonly pageSize?: number;
  /** Continue from a previous page. */
  readonly nextLink?: string;
}

// Polls must see fresh data, never a cached 304 (docs/service-contract.md#dataverse-conventions / 4.7).
const freshHeaders = { ...dataverseHeaders, 'If-None-Match': 'null' };

/** What `WhoAmI` says about the caller, and the service's clock when it answered. */
export interface WhoAmIAnswer {
  /** The caller's `systemuser` id in this org (compare with a run's `_createdby_value` / `_ownerid_value`). */
  readonly userId: string | undefined;
  /**
   * The response's `Date` header (RFC 9110: when the service produced the answer), epoch ms rounded down
   * to the second; `undefined` when absent or unreadable.
   */
  readonly serviceTime: number | undefined;
}

/** A `Date` header as epoch ms; `undefined` when absent or not a date. */
export function serviceTimeOf(headers: Readonly<Record<string, string>>): number | undefined {
  const raw = headers.date;
  if (raw === undefined) {
    return undefined;
  }
  const t = Date.parse(raw);
  return Number.isNaN(t) ? undefined : t;
}

/** The run endpoints of one Dataverse org. `org` is the org URL (`Environment.orgUrl`). */
export class RunsApi {
  constructor(private readonly http: HttpClient) {}

  /**
   * `GET WhoAmI` (docs/service-contract.md#identifying-the-run-of-a-lost-answer): the caller's user id, and the service's time from
   * the response's `Date` header.
   */
  async whoAmI(org: string, signal: AbortSignal): Promise<WhoAmIAnswer> {
    const response = await this.http.request<{ UserId?: unknown } | undefined>(dataverseUrl(org, 'WhoAmI'), {
      method: 'GET',
      audience: orgResource(org),
      headers: freshHeaders,
      signal,
    });
    const userId = response.body?.UserId;
    return {
      userId: typeof userId === 'string' && userId !== '' ? userId.toLowerCase() : undefined,
      serviceTime: serviceTimeOf(response.headers),
    };
  }

  /**
   * Start a run (POST, never retried blindly). If it fails after it may have reached the service, the
   * `ApiError` has `mayHaveReachedService: true`: look for the session before starting again.
   */
  async runDesktopFlow(
    org: string,
    flowId: string,
    body: RunDesktopFlowRequest,
    signal: AbortSignal,
  ): Promise<RunStart> {
    // The body as Microsoft's article prints it: `connectionType` only for a connection reference (2);
    // 1 is the documented default (docs/service-contract.md).
    const { connectionType, ...rest } = body;
    const wire = connectionType === 2 ? { ...rest, connectionType } : rest;
    const response = await this.http.post<RunDesktopFlowResponseDto | undefined>(
      dataverseUrl(org, `workflows(${guidKey(flowId)})/Microsoft.Dynamics.CRM.RunDesktopFlow`),
      wire,
      // A fresh connection: never a reused keep-alive socket the server may be closing as we send.
      { audience: orgResource(org), headers: dataverseHeaders, fresh: true, signal },
    );
    const start = response === undefined ? undefined : runStartFromDto(response);
    if (start === undefined) {
      throw new ApiError({
        reason: 'server',
        message: 'RunDesktopFlow answered without a flowsessionId.',
        method: 'POST',
        mayHaveReachedService: true,
      });
    }
    return start;
  }

  /** One run's current state (fresh, for polling). */
  async getFlowSession(
    org: string,
    sessionId: string,
    signal: AbortSignal,
    select: readonly string[] = runSelect,
  ): Promise<Run> {
    const dto = await this.http.get<FlowSessionDto>(
      dataverseUrl(org, `flowsessions(${guidKey(sessionId)})`),
      {
        audience: orgResource(org),
        query: { $select: select.join(',') },
        headers: { ...freshHeaders, Prefer: formattedValuesPreference },
        signal,
      },
    );
    const run = runFromDto({ flowsessionid: sessionId, ...dto });
    if (run === undefined) {
      throw new ApiError({
        reason: 'server',
        message: 'The flow session has no id.',
        mayHaveReachedService: true,
      });
    }
    return run;
  }

  /** One page of runs (first page, or `query.nextLink`). */
  async listFlowSessions(org: string, query: ListFlowSessionsQuery, signal: AbortSignal): Promise<Page<Run>> {
    const page = await this.http.getPage<FlowSessionDto>(
      query.nextLink ?? dataverseUrl(org, 'flowsessions'),
      {
        audience: orgResource(org),
        query:
          query.nextLink !== undefined
            ? undefined
            : {
                $select: (query.select ?? runSelect).join(','),
                $filter: query.filter,
                $orderby: query.orderby ?? 'createdon desc',
              },
        headers: { ...freshHeaders, Prefer: formattedValuesPreference },
        maxPageSize: query.pageSize ?? 50,
        signal,
      },
    );
    return {
      items: page.items.map(runFromDto).filter((r): r is Run => r !== undefined),
      nextLink: page.nextLink,
    };
  }

  /**
   * The run's outputs (`flowsessions(<id>)/outputs/$value`), a flat object keyed by output name; `undefined`
   * while there are none (404 or empty).
   */
  async getRunOutputs(
    org: string,
    sessionId: string,
    signal: AbortSignal,
  ): Promise<Record<string, unknown> | undefined> {
    return this.getFileColumnObject(org, sessionId, 'outputs', signal);
  }

  /**
   * The inputs the run was started with (`flowsessions(<id>)/inputs/$value`); `undefined` when there are
   * none (404 or empty). Sensitive values are whatever the service stored: mask before showing.
   */
  async getRunInputs(
    org: string,
    sessionId: string,
    signal: AbortSignal,
  ): Promise<Record<string, unknown> | undefined> {
    return this.getFileColumnObject(org, sessionId, 'inputs', signal);
  }

  private async getFileColumnObject(
    org: string,
    sessionId: string,
    column: 'inputs' | 'outputs',
    signal: AbortSignal,
  ): Promise<Record<string, unknown> | undefined> {
    const parsed = await this.getFileColumnJson(org, sessionId, column, signal);
    if (parsed === undefined) {
      return undefined;
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new ApiError({
        reason: 'server',
        message: `The run ${column} are not a JSON object.`,
        mayHaveReachedService: true,
      });
    }
    return parsed as Record<string, unknown>;
  }

  /** The V1 action log (`additionalcontext`); `undefined` when the run has none (404 or empty). */
  async getRunActionLogs(
    org: string,
    sessionId: string,
    signal: AbortSignal,
  ): Promise<RunActionLog | undefined> {
    const parsed = await this.getFileColumnJson(org, sessionId, 'additionalcontext', signal);
    return parsed === undefined ? undefined : runActionLogFromDto(parsed);
  }

  /**
   * The run's V2 action logs: `flowlog` rows through the `flowsession_flowlog_parentobjectid` navigation
   * (docs/service-contract.md#flowsessions-run-status), oldest first, at most `maxRows`. Runs started
   * through RunDesktopFlow have none; an environment without the table (404) or that refuses the query
   * (400) has none either.
   */
  async getFlowLogs(
    org: string,
    sessionId: string,
    signal: AbortSignal,
    maxRows = 5_000,
  ): Promise<FlowLogEntry[]> {
    const rows: FlowLogEntry[] = [];
    let next: string | undefined;
    try {
      do {
        const page = await this.http.getPage<Record<string, unknown>>(
          next ?? dataverseUrl(org, `flowsessions(${guidKey(sessionId)})/flowsession_flowlog_parentobjectid`),
          {
            audience: orgResource(org),
            query:
              next !== undefined
                ? undefined
                : { $select: 'flowlogid,name,data,type,level,createdon,logindex,duration' },
            headers: { ...freshHeaders, Prefer: formattedValuesPreference },
            maxPageSize: 500,
            signal,
          },
        );
        rows.push(...page.items.map(flowLogEntryFromDto));
        next = page.nextLink;
      } while (next !== undefined && rows.length < maxRows);
    } catch (e) {
      if (ApiError.is(e, 'notFound') || ApiError.is(e, 'badRequest')) {
        return [];
      }
      throw e;
    }
    // The elastic table has no documented order over this navigation: sort by log index, then time.
    return rows
      .slice(0, maxRows)
      .sort(
        (a, b) =>
          (a.index ?? Number.MAX_SAFE_INTEGER) - (b.index ?? Number.MAX_SAFE_INTEGER) ||
          (a.createdOn ?? '').localeCompare(b.createdOn ?? ''),
      );
  }

  /**
   * Cancel a queued or running run (204). Not retried blindly. What the service does for a finished run is
   * undocumented (docs/service-contract.md#canceldesktopflowrun): treat success and any 4xx as "done; re-read the session".
   */
  async cancelRun(org: string, sessionId: string, signal: AbortSignal): Promise<void> {
    await this.http.post<unknown>(
      dataverseUrl(org, `flowsessions(${guidKey(sessionId)})/Microsoft.Dynamics.CRM.CancelDesktopFlowRun`),
      {},
      { audience: orgResource(org), headers: dataverseHeaders, signal },
    );
  }

  private async getFileColumnJson(
    org: string,
    sessionId: string,
    column: 'inputs' | 'outputs' | 'additionalcontext',
    signal: AbortSignal,
  ): Promise<unknown> {
    let text: string;
    try {
      text = await this.http.get<string>(
        dataverseUrl(org, `flowsessions(${guidKey(sessionId)})/${column}/$value`),
        {
          audience: orgResource(org),
          headers: { ...freshHeaders, Accept: '*/*' },
          responseType: 'text',
          signal,
        },
      );
    } catch (e) {
      // An empty file column answers 404 (docs/service-contract.md#flowsessions-run-status).
      if (ApiError.is(e, 'notFound')) {
        return undefined;
      }
      throw e;
    }
    if (text.trim() === '') {
      return undefined;
    }
    try {
      return JSON.parse(text) as unknown;
    } catch (e) {
      throw new ApiError({
        reason: 'server',
        message: `The run's ${column} file is not valid JSON.`,
        mayHaveReachedService: true,
        cause: e,
      });
    }
  }
}
