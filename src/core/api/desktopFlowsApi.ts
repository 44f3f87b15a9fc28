/**
 * Desktop flows of one environment (Dataverse `workflows` with `category eq 6`, docs/service-contract.md#desktop-flows-workflows-category-6) and their
 * input/output schemas (docs/service-contract.md#flow-input-and-output-schemas). Lists never include schemas: those are fetched when a flow is
 * expanded.
 */
import { ApiError } from '../errors';
import type { HttpClient, Page } from '../http/httpClient';
import { flowFromDto, flowSelect, type DesktopFlow, type WorkflowDto } from '../model/flow';
import { flowSchemaFromText, type FlowSchemas, type RawFlowSchema } from '../model/flowSchema';
import {
  dataverseHeaders,
  dataverseUrl,
  formattedValuesPreference,
  guidKey,
  odataString,
  orgResource,
} from './dataverseUrls';

/** Default page size for flow lists: large enough for few round trips, small enough for a fast first page. */
export const defaultFlowPageSize = 250;

/** Options for listing flows. */
export interface ListFlowsOptions {
  /** Also list unpublished (draft) flows (`MSCRM.IncludeUnpublished: true`). */
  readonly includeDrafts?: boolean;
  /** `Prefer: odata.maxpagesize` (default 250; Dataverse clamps to 5,000). */
  readonly pageSize?: number;
  /** Continue from a previous page's `nextLink` ("Load more"). */
  readonly nextLink?: string;
  /** Only flows whose name contains this text (server-side `contains(name, …)`, case-insensitive in Dataverse). */
  readonly nameContains?: string;
}

/** Which schema column. */
export type FlowSchemaKind = 'inputs' | 'outputs';

function mapItems(items: WorkflowDto[]): DesktopFlow[] {
  return items.map(flowFromDto).filter((f): f is DesktopFlow => f !== undefined);
}

/** Desktop flows API of one Dataverse org. `org` is the org URL (`Environment.orgUrl`) everywhere. */
export class DesktopFlowsApi {
  constructor(private readonly http: HttpClient) {}

  /** One page of desktop flows, ordered by name: the first, or the one at `options.nextLink`. */
  async listPage(org: string, options: ListFlowsOptions, signal: AbortSignal): Promise<Page<DesktopFlow>> {
    const request = this.listRequest(org, options);
    // A next link already carries the query options; it is followed as given.
    const page = await this.http.getPage<WorkflowDto>(options.nextLink ?? dataverseUrl(org, 'workflows'), {
      ...request,
      query: options.nextLink === undefined ? request.query : undefined,
      signal,
    });
    return { items: mapItems(page.items), nextLink: page.nextLink };
  }

  /** Every desktop flow, page by page. */
  async *iterate(
    org: string,
    options: Omit<ListFlowsOptions, 'nextLink'>,
    signal: AbortSignal,
  ): AsyncGenerator<DesktopFlow[], void, undefined> {
    for await (const page of this.http.paged<WorkflowDto>(dataverseUrl(org, 'workflows'), {
      ...this.listRequest(org, options),
      signal,
    })) {
      yield mapItems(page.items);
    }
  }

  /** Every desktop flow. */
  async listAll(
    org: string,
    options: Omit<ListFlowsOptions, 'nextLink'>,
    signal: AbortSignal,
  ): Promise<DesktopFlow[]> {
    const all: DesktopFlow[] = [];
    for await (const flows of this.iterate(org, options, signal)) {
      all.push(...flows);
    }
    return all;
  }

  /** One desktop flow by id. Throws `ApiError` `notFound` for an unknown id or a workflow of another category. */
  async get(
    org: string,
    flowId: string,
    signal: AbortSignal,
    options: { includeDrafts?: boolean } = {},
  ): Promise<DesktopFlow> {
    const dto = await this.http.get<WorkflowDto>(dataverseUrl(org, `workflows(${guidKey(flowId)})`), {
      audience: orgResource(org),
      query: { $select: [...flowSelect, 'category'].join(',') },
      headers: this.headers(options.includeDrafts ?? false),
      signal,
    });
    const flow = flowFromDto(dto);
    if (flow === undefined || (dto.category !== undefined && dto.category !== 6)) {
      throw new ApiError({
        reason: 'notFound',
        message: `Workflow ${flowId} is not a desktop flow.`,
        status: 404,
        mayHaveReachedService: true,
      });
    }
    return flow;
  }

  /**
   * A flow's input or output schema, parsed; `undefined` when the flow stores none. A draft-only flow is
   * found only with `includeDrafts` (pass `flow.isUnpublished`).
   */
  async getSchema(
    org: string,
    flowId: string,
    kind: FlowSchemaKind,
    signal: AbortSignal,
    options: { includeDrafts?: boolean } = {},
  ): Promise<RawFlowSchema | undefined> {
    const text = await this.http.get<string>(
      dataverseUrl(org, `workflows(${guidKey(flowId)})/${kind}/$value`),
      {
        audience: orgResource(org),
        headers: {
          ...dataverseHeaders,
          Accept: '*/*',
          ...(options.includeDrafts === true ? { 'MSCRM.IncludeUnpublished': 'true' } : {}),
        },
        responseType: 'text',
        signal,
      },
    );
    return flowSchemaFromText(kind, text);
  }

  /** Both schemas, fetched in parallel. */
  async getSchemas(
    org: string,
    flowId: string,
    signal: AbortSignal,
    options: { includeDrafts?: boolean } = {},
  ): Promise<FlowSchemas> {
    const [inputs, outputs] = await Promise.all([
      this.getSchema(org, flowId, 'inputs', signal, options),
      this.getSchema(org, flowId, 'outputs', signal, options),
    ]);
    return { inputs, outputs };
  }

  private listRequest(org: string, options: Omit<ListFlowsOptions, 'nextLink'>) {
    return {
      audience: orgResource(org),
      query: {
        $select: flowSelect.join(','),
        $filter:
          options.nameContains === undefined || options.nameContains === ''
            ? 'category eq 6'
            : `category eq 6 and contains(name,${odataString(options.nameContains)})`,
        $orderby: 'name asc',
      },
      headers: this.headers(options.includeDrafts ?? false),
      maxPageSize: options.pageSize ?? defaultFlowPageSize,
    };
  }

  private headers(includeDrafts: boolean): Record<string, string> {
    return {
      ...dataverseHeaders,
      Prefer: formattedValuesPreference,
      ...(includeDrafts ? { 'MSCRM.IncludeUnpublished': 'true' } : {}),
    };
  }
}
