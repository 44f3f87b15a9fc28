/**
 * Listing the sandbox's 2,000-flow environment through DesktopFlowsApi, against a plain undici paged fetch
 * of the same data (same URL, headers, token and page size) in the same run.
 *
 * Prints, per page size: requests made (must equal the page count, with no schema requests), time to the
 * first page and to the full list (medians), each as a ratio to the plain fetch. Run with
 * `npx tsx bench/listFlows.bench.ts [rounds]`.
 */
import { Agent, request } from 'undici';
import { DesktopFlowsApi } from '../src/core/api/desktopFlowsApi';
import { EnvironmentsApi } from '../src/core/api/environmentsApi';
import { dataverseHeaders, dataverseUrl, formattedValuesPreference } from '../src/core/api/dataverseUrls';
import { SandboxTokenProvider } from '../test/unit/api/sandboxTokenProvider';
import { sandboxCloud, type SandboxDescription } from '../src/core/clouds';
import { HttpClient } from '../src/core/http/httpClient';
import { withQuery } from '../src/core/http/requestParts';
import { flowSelect } from '../src/core/model/flow';
import { startSandbox } from '../src/sandbox/server';

const expectedFlows = 2000;
const pageSizes = [250, 1000, 5000];
const rounds = Math.max(3, Number(process.argv[2] ?? 15));

interface Sample {
  firstMs: number;
  totalMs: number;
  requests: number;
  items: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

async function main(): Promise<void> {
  const sandbox = await startSandbox({ port: 0 });
  const signal = new AbortController().signal;
  const anonymous = new HttpClient();
  const tokens = new SandboxTokenProvider({ baseUrl: sandbox.url, http: anonymous });
  const http = new HttpClient({ tokens });
  const baselineAgent = new Agent();
  try {
    const description = await anonymous.get<SandboxDescription>(`${sandbox.url}/_sandbox`, { signal });
    const environments = await new EnvironmentsApi(http, sandboxCloud(description)).list(signal);
    const bulk = environments.find((e) => e.orgUrl.endsWith('/contoso-bulk'));
    if (bulk === undefined) {
      throw new Error('The sandbox has no contoso-bulk environment');
    }
    const org = bulk.orgUrl;
    const token = await tokens.getToken(org, signal);
    const flows = new DesktopFlowsApi(http);

    let requestsSeen: string[] = [];
    http.onDidRequest((e) => requestsSeen.push(e.url));

    async function ours(pageSize: number): Promise<Sample> {
      requestsSeen = [];
      const start = performance.now();
      let firstMs = 0;
      let items = 0;
      for await (const page of flows.iterate(org, { pageSize }, signal)) {
        if (items === 0) {
          firstMs = performance.now() - start;
        }
        items += page.length;
      }
      return { firstMs, totalMs: performance.now() - start, requests: requestsSeen.length, items };
    }

    async function baseline(pageSize: number): Promise<Sample> {
      const headers = {
        ...dataverseHeaders,
        accept: 'application/json',
        authorization: `Bearer ${token}`,
        prefer: `${formattedValuesPreference},odata.maxpagesize=${pageSize}`,
      };
      let url: string | undefined = withQuery(dataverseUrl(org, 'workflows'), {
        $select: flowSelect.join(','),
        $filter: 'category eq 6',
        $orderby: 'name asc',
      });
      const start = performance.now();
      let firstMs = 0;
      let items = 0;
      let requests = 0;
      while (url !== undefined) {
        const response = await request(url, { dispatcher: baselineAgent, headers, signal });
        requests++;
        const body = (await response.body.json()) as { value: unknown[]; '@odata.nextLink'?: string };
        if (items === 0) {
          firstMs = performance.now() - start;
        }
        items += body.value.length;
        url = body['@odata.nextLink'];
      }
      return { firstMs, totalMs: performance.now() - start, requests, items };
    }

    const rows: string[][] = [];
    let failures = 0;
    for (const pageSize of pageSizes) {
      // Warm both paths (connections, JIT) before measuring.
      await ours(pageSize);
      await baseline(pageSize);
      const a: Sample[] = [];
      const b: Sample[] = [];
      for (let i = 0; i < rounds; i++) {
        // Alternate the order so neither side always runs on a warmer sandbox.
        if (i % 2 === 0) {
          a.push(await ours(pageSize));
          b.push(await baseline(pageSize));
        } else {
          b.push(await baseline(pageSize));
          a.push(await ours(pageSize));
        }
      }
      const pages = Math.ceil(expectedFlows / Math.min(pageSize, 5000));
      const ourRequests = Math.max(...a.map((s) => s.requests));
      const okCount =
        a.every((s) => s.items === expectedFlows && s.requests === pages) &&
        b.every((s) => s.items === expectedFlows);
      if (!okCount) {
        failures++;
      }
      const first = [median(a.map((s) => s.firstMs)), median(b.map((s) => s.firstMs))] as const;
      const total = [median(a.map((s) => s.totalMs)), median(b.map((s) => s.totalMs))] as const;
      rows.push([
        String(pageSize),
        String(pages),
        `${ourRequests}${okCount ? '' : ' (MISMATCH)'}`,
        `${first[0].toFixed(1)} / ${first[1].toFixed(1)}`,
        (first[0] / first[1]).toFixed(2),
        `${total[0].toFixed(1)} / ${total[1].toFixed(1)}`,
        (total[0] / total[1]).toFixed(2),
      ]);
    }

    // Expanding one flow is the first time schemas are requested.
    requestsSeen = [];
    const firstFlow = (await flows.listPage(org, { pageSize: 1 }, signal)).items[0];
    const listOnly = requestsSeen.filter((u) => /\/(inputs|outputs)\/\$value/.test(u)).length;
    if (firstFlow !== undefined) {
      await flows.getSchemas(org, firstFlow.id, signal);
    }
    const schemaRequests = requestsSeen.filter((u) => /\/(inputs|outputs)\/\$value/.test(u)).length;

    const header = [
      'page size',
      'pages',
      'requests',
      'first page ms (ours / undici)',
      'ratio',
      'full list ms (ours / undici)',
      'ratio',
    ];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
    const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ');
    console.log(
      `Listing ${expectedFlows} desktop flows from the sandbox; medians of ${rounds} rounds each (ratio = ours / plain undici).`,
    );
    console.log(line(header));
    console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
    for (const r of rows) {
      console.log(line(r));
    }
    console.log(
      `Schema requests while listing: ${listOnly}; after expanding one flow: ${schemaRequests} (inputs + outputs).`,
    );
    if (failures > 0 || listOnly !== 0) {
      process.exitCode = 1;
    }
  } finally {
    await http.close();
    await anonymous.close();
    await baselineAgent.close();
    await sandbox.stop();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
