/**
 * A fake Dataverse org written ONLY from the requests and responses Microsoft prints in its
 * documentation, and nothing from src/sandbox. Every canned body below cites the page it is copied
 * from; the docs' quirks are kept as printed:
 *
 * - `statecode` stays 0 on finished runs (the printed status and callback samples, and the flowsession
 *   entity reference, which puts statuses 1-12 under state 0);
 * - `licenseCheck` comes back in the RunDesktopFlow response;
 * - ids are lower-case GUIDs, `@odata.etag` is printed as "W1069462" (no W/"…");
 * - the documented `@odata.context` values;
 * - inputs/outputs schemas and run outputs are `$value` text.
 *
 * What the docs do not print (how `$filter` narrows the list, which columns a `$select` may name) is
 * kept to the minimum and marked "[not printed]". A request the fake does not know is answered with the
 * documented 404 "Resource not found for the segment" and recorded in `unknown`, so a test sees it.
 */
import { once } from 'node:events';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

// https://learn.microsoft.com/power-automate/developer/desktop-flow-public-apis ("Work with desktop flows using code")
const ARTICLE = 'https://learn.microsoft.com/power-automate/developer/desktop-flow-public-apis';
// https://learn.microsoft.com/power-apps/developer/data-platform/reference/entities/flowsession
const FLOWSESSION_REF =
  'https://learn.microsoft.com/power-apps/developer/data-platform/reference/entities/flowsession';
// https://learn.microsoft.com/power-apps/developer/data-platform/reference/entities/workflow
const WORKFLOW_REF =
  'https://learn.microsoft.com/power-apps/developer/data-platform/reference/entities/workflow';
// https://learn.microsoft.com/power-apps/developer/data-platform/api-limits
const API_LIMITS = 'https://learn.microsoft.com/power-apps/developer/data-platform/api-limits';
// https://learn.microsoft.com/power-apps/developer/data-platform/webapi/compose-http-requests-handle-errors
const ERRORS =
  'https://learn.microsoft.com/power-apps/developer/data-platform/webapi/compose-http-requests-handle-errors';
// https://learn.microsoft.com/power-apps/developer/data-platform/reference/entities/connectionreference
const CONNREF_REF =
  'https://learn.microsoft.com/power-apps/developer/data-platform/reference/entities/connectionreference';
// https://learn.microsoft.com/power-apps/developer/data-platform/webapi/reference/whoami
const WHOAMI_REF = 'https://learn.microsoft.com/power-apps/developer/data-platform/webapi/reference/whoami';

export const sources = {
  ARTICLE,
  FLOWSESSION_REF,
  WORKFLOW_REF,
  API_LIMITS,
  ERRORS,
  CONNREF_REF,
  WHOAMI_REF,
};

/** The two flows of the article's list response. */
export const docFlows = {
  one: { name: 'Desktop flow 1', workflowid: 'f091ffab-58bb-4630-a115-659453d56f59', etag: 'W1069462' },
  two: { name: 'Desktop flow 2', workflowid: 'eafba1a2-e8d4-4efa-b549-11d4dfd9a3d1', etag: 'W1028555' },
} as const;

/** The run id of the article's RunDesktopFlow response. */
export const docRunId = 'd9687093-d0c0-ec11-983e-0022480b428a';

/** Source: ARTICLE, "Response to the request to get the desktop flows inputs schema" (as printed). */
const inputsSchemaText = `{
    "schema": {
        "properties": {
            "inputText": {
                "default": "",
                "description": "",
                "format": null,
                "title": "inputText",
                "type": "string",
                "value": ""
            },
            "inputInteger": {
                "default": "",
                "description": "",
                "format": null,
                "title": "inputInteger",
                "type": "number",
                "value": "0"
            }
        },
        "type": "object"
    }
}`;

/** Source: ARTICLE, outputs schema ("same as inputs, value null"). */
const outputsSchemaText = `{
    "schema": {
        "properties": {
            "Output1": {
                "default": "",
                "description": "",
                "format": null,
                "title": "Output1",
                "type": "string",
                "value": null
            }
        },
        "type": "object"
    }
}`;

/** Source: ARTICLE, "Response to the request to get the desktop flow run outputs". */
const runOutputsText = `{
    "Output1": "My output value"
}`;

/**
 * Source: FLOWSESSION_REF, the columns of the flowsession table (a `$select` naming another one gets
 * the documented 400 "Could not find a property named …", source ERRORS).
 */
const flowsessionColumns = new Set([
  'flowsessionid',
  'name',
  'statecode',
  'statuscode',
  'runmode',
  'runsessionmode',
  'triggertype',
  'subcategory',
  'startedon',
  'completedon',
  'createdon',
  'modifiedon',
  'runduration',
  'runexecutionduration',
  'runwaitduration',
  'errorcode',
  'errormessage',
  'errordetails',
  'errorinnererror',
  'context',
  'inputs',
  'outputs',
  'additionalcontext',
  'inputs_name',
  'outputs_name',
  'additionalcontext_name',
  '_regardingobjectid_value',
  'regardingobjecttypecode',
  '_machineid_value',
  '_machinegroupid_value',
  '_parentdesktopflowrunid_value',
  'parentworkflowid',
  'parentcloudflowrunsequenceid',
  'connectionid',
  'callbackurl',
  'correlationid',
  'clienttrackingid',
  'gateway',
  'credentials',
  'machinepercentcpuusage',
  'machinepercentramusage',
  'machineramusage',
  'processversion',
  'rundetails',
  'sessionusername',
  'sessionusersid',
  '_ownerid_value',
  '_createdby_value',
  '_modifiedby_value',
  '_owningbusinessunit_value',
  'versionnumber',
]);

/** Source: WORKFLOW_REF, the workflow columns a desktop-flow client can name. */
const workflowColumns = new Set([
  'workflowid',
  'workflowidunique',
  'name',
  'uniquename',
  'description',
  'category',
  'statecode',
  'statuscode',
  'uiflowtype',
  'modernflowtype',
  'clientdata',
  'clientdataiscompressed',
  'definition',
  'inputs',
  'outputs',
  'schemaversion',
  'desktopflowmodules',
  'connectionreferences',
  'dependencies',
  'metadata',
  'createdon',
  'modifiedon',
  '_ownerid_value',
  '_createdby_value',
  '_modifiedby_value',
  'ismanaged',
  'solutionid',
  'componentstate',
  '_parentworkflowid_value',
  'type',
  'mode',
  'scope',
  'throttlingbehavior',
  'licensee',
  'primaryentity',
  'versionnumber',
]);

/** Source: CONNREF_REF, the connectionreference columns. */
const connectionReferenceColumns = new Set([
  'connectionreferenceid',
  'connectionreferencelogicalname',
  'connectionreferencedisplayname',
  'connectorid',
  'connectionid',
  'description',
  'statecode',
  'statuscode',
  'ismanaged',
  'createdon',
  'modifiedon',
  '_ownerid_value',
  'versionnumber',
  'customconnectorid',
  'iscustomizable',
  'componentstate',
]);

/** A run the fake serves: each GET of the session takes the next status (the last one repeats). */
export interface ScriptedRun {
  /** statuscode per poll (FLOWSESSION_REF: 2 Running, 3 Waiting, 4 Succeeded, 7 Cancelled, 8 Failed). */
  statuses: number[];
  errorcode?: string;
  errormessage?: string;
}

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

export interface DocsFake {
  readonly url: string;
  readonly token: string;
  readonly requests: RecordedRequest[];
  /** Requests the fake had no documented answer for. */
  readonly unknown: string[];
  /** RunDesktopFlow requests (429s included). */
  runRequests(): RecordedRequest[];
  /** How the next triggered run behaves. */
  nextRun(run: ScriptedRun, options?: { throttleFirst?: boolean }): void;
  /** A session already in the org (e.g. one started elsewhere), to read or cancel. */
  addRun(id: string, run: ScriptedRun): void;
  reset(): void;
  close(): Promise<void>;
}

/** Source: ERRORS, the Dataverse error body. */
function sendError(
  res: http.ServerResponse,
  status: number,
  code: string,
  message: string,
  headers = {},
): void {
  res.writeHead(status, { 'Content-Type': 'application/json; odata.metadata=minimal', ...headers });
  res.end(JSON.stringify({ error: { code, message } }));
}

function sendJson(res: http.ServerResponse, body: unknown): void {
  res.writeHead(200, { 'Content-Type': 'application/json; odata.metadata=minimal', 'OData-Version': '4.0' });
  res.end(JSON.stringify(body));
}

function sendText(res: http.ServerResponse, text: string): void {
  res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'OData-Version': '4.0' });
  res.end(text);
}

/** Checks `$select` against the documented columns; answers the documented 400 otherwise. */
function selected(
  query: URLSearchParams,
  columns: Set<string>,
  entity: string,
  res: http.ServerResponse,
): string[] | undefined {
  const list = (query.get('$select') ?? '')
    .split(',')
    .map((c) => c.trim())
    .filter((c) => c !== '');
  const bad = list.find((c) => !columns.has(c));
  if (bad !== undefined) {
    // Source: ERRORS ("Could not find a property named '<x>' on type 'Microsoft.Dynamics.CRM.<entity>'").
    sendError(
      res,
      400,
      '0x0',
      `Could not find a property named '${bad}' on type 'Microsoft.Dynamics.CRM.${entity}'.`,
    );
    return undefined;
  }
  return list;
}

export async function startDocsFake(): Promise<DocsFake> {
  // The article prints "Authorization: Bearer eyJ0eXAiOi..." on every request.
  const token = 'eyJ0eXAiOi.conformance-token';
  const requests: RecordedRequest[] = [];
  const unknown: string[] = [];
  const sessions = new Map<string, ScriptedRun & { polls: number; cancelled: boolean; workflowid: string }>();
  let next: ScriptedRun = { statuses: [4] };
  let throttleNext = false;
  let origin = '';

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', origin);
      const rec: RecordedRequest = {
        method: req.method ?? 'GET',
        path: decodeURIComponent(url.pathname),
        query: url.searchParams,
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(rec);
      if (req.headers.authorization !== `Bearer ${token}`) {
        // [not printed] the body of a 401; the status is the documented one for a bad bearer (ERRORS).
        res.writeHead(401, { 'WWW-Authenticate': 'Bearer' });
        res.end();
        return;
      }
      handle(rec, res);
    });
  });

  /** One flowsession row; `poll` advances the scripted statuses (each read of the run). */
  function sessionRow(
    id: string,
    s: ScriptedRun & { polls: number; cancelled: boolean; workflowid: string },
    poll: boolean,
  ): Record<string, unknown> {
    const statuscode = s.cancelled ? 7 : (s.statuses[Math.min(s.polls, s.statuses.length - 1)] ?? 4);
    if (poll) {
      s.polls += 1;
    }
    const finished = [4, 5, 7, 8, 9, 10, 11, 12].includes(statuscode);
    return {
      flowsessionid: id,
      statuscode,
      statecode: 0, // as printed: 0 even for a finished run
      startedon: statuscode === 3 ? null : '2022-06-16T12:54:40Z',
      completedon: finished ? '2022-06-16T12:57:46Z' : null,
      createdon: '2022-06-16T12:54:31Z',
      modifiedon: '2022-06-16T12:57:46Z',
      errorcode: statuscode === 8 ? (s.errorcode ?? null) : null,
      errormessage: statuscode === 8 ? (s.errormessage ?? null) : null,
      _regardingobjectid_value: s.workflowid,
    };
  }
  const root = '/api/data/v9.2/';
  function handle(rec: RecordedRequest, res: http.ServerResponse): void {
    const serviceRoot = `${origin}${root}`;
    const rest = rec.path.startsWith(root) ? rec.path.slice(root.length) : undefined;
    const notFound = (): void => {
      unknown.push(`${rec.method} ${rec.path}?${rec.query.toString()}`);
      // Source: ERRORS ("Resource not found for the segment '<name>'", 0x8006088a).
      sendError(
        res,
        404,
        '0x8006088a',
        `Resource not found for the segment '${rest?.split(/[(/]/)[0] ?? rec.path}'.`,
      );
    };
    if (rest === undefined) {
      notFound();
      return;
    }
    let m: RegExpExecArray | null;

    // Source: WHOAMI_REF (WhoAmIResponse: BusinessUnitId, UserId, OrganizationId).
    if (rec.method === 'GET' && rest === 'WhoAmI') {
      sendJson(res, {
        '@odata.context': `${serviceRoot}$metadata#Microsoft.Dynamics.CRM.WhoAmIResponse`,
        BusinessUnitId: '6f202e6c-e471-ec11-8941-000d3a309b8b',
        UserId: 'b08dc2f8-a0ab-ec11-983f-0022480b428a',
        OrganizationId: '883278f5-07af-45eb-a0bc-3fea67caa544',
      });
      return;
    }

    // Source: ARTICLE, "Request to get desktop flows" / its response (etags as printed).
    if (rec.method === 'GET' && rest === 'workflows') {
      if (selected(rec.query, workflowColumns, 'workflow', res) === undefined) {
        return;
      }
      // [not printed] narrowing: the two printed rows, filtered by an exact name or id when asked.
      const filter = rec.query.get('$filter') ?? '';
      const rows = Object.values(docFlows).filter((f) => {
        const byName = /\bname eq '((?:[^']|'')*)'/.exec(filter);
        const byId = /\bworkflowid eq ([0-9a-f-]{36})/i.exec(filter);
        return (
          (byName === null || byName[1]?.replace(/''/g, "'") === f.name) &&
          (byId === null || byId[1]?.toLowerCase() === f.workflowid)
        );
      });
      sendJson(res, {
        '@odata.context': `${serviceRoot}$metadata#workflows(name,workflowid)`,
        value: rows.map((f) => ({ '@odata.etag': f.etag, name: f.name, workflowid: f.workflowid })),
      });
      return;
    }

    // One printed flow by key. [not printed in the article] The Web API retrieve of a single row (source:
    // https://learn.microsoft.com/power-apps/developer/data-platform/webapi/retrieve-entity-using-web-api):
    // the selected columns, `/$entity` context. The article's rows carry only name and workflowid;
    // category is 6 because the printed list filters on it; any other selected column is null.
    if (rec.method === 'GET' && (m = /^workflows\(([0-9a-f-]{36})\)$/.exec(rest))) {
      const flow = Object.values(docFlows).find((f) => f.workflowid === m?.[1]);
      if (flow === undefined) {
        // Source: ERRORS (0x80040217 "… With Id = … Does Not Exist").
        sendError(res, 404, '0x80040217', `workflow With Id = ${m[1]} Does Not Exist`);
        return;
      }
      const select = selected(rec.query, workflowColumns, 'workflow', res);
      if (select === undefined) {
        return;
      }
      const known: Record<string, unknown> = { name: flow.name, workflowid: flow.workflowid, category: 6 };
      const body: Record<string, unknown> = {
        '@odata.context': `${serviceRoot}$metadata#workflows(${select.join(',')})/$entity`,
        '@odata.etag': flow.etag,
      };
      for (const c of select.length === 0 ? Object.keys(known) : select) {
        body[c] = c in known ? known[c] : null;
      }
      sendJson(res, body);
      return;
    }

    // Source: ARTICLE, "Request inputs schema for desktop flows" (and outputs), `$value` text.
    if (
      rec.method === 'GET' &&
      (m = /^workflows\(([0-9a-f-]{36})\)\/(inputs|outputs)\/\$value$/.exec(rest))
    ) {
      if (!Object.values(docFlows).some((f) => f.workflowid === m?.[1])) {
        notFound();
        return;
      }
      sendText(res, m[2] === 'inputs' ? inputsSchemaText : outputsSchemaText);
      return;
    }

    // Source: CONNREF_REF (columns) [no response printed]: one desktop-flow connection reference.
    if (rec.method === 'GET' && rest === 'connectionreferences') {
      if (selected(rec.query, connectionReferenceColumns, 'connectionreference', res) === undefined) {
        return;
      }
      sendJson(res, {
        '@odata.context': `${serviceRoot}$metadata#connectionreferences`,
        value: [
          {
            '@odata.etag': 'W/"1300001"',
            connectionreferenceid: '5b3c6a0e-2f1d-4c8b-9a7e-1d2c3b4a5f60',
            connectionreferencelogicalname: 'new_sharedpowerautomatedesktop_1a2b3',
            connectionreferencedisplayname: 'Desktop flows connection',
            connectorid: '/providers/Microsoft.PowerApps/apis/shared_uiflow',
            connectionid: 'shared-uiflow-5a3b1c2d-0000-4000-8000-000000000001',
            statecode: 0,
            statuscode: 1,
          },
        ].filter((r) => {
          const byName = /connectionreferencelogicalname eq '((?:[^']|'')*)'/.exec(
            rec.query.get('$filter') ?? '',
          );
          return byName === null || byName[1] === r.connectionreferencelogicalname;
        }),
      });
      return;
    }

    // Source: ARTICLE, "Request to trigger a desktop flow" and its response; licenseCheck inline.
    if (
      rec.method === 'POST' &&
      (m = /^workflows\(([0-9a-f-]{36})\)\/Microsoft\.Dynamics\.CRM\.RunDesktopFlow$/.exec(rest))
    ) {
      const flow = Object.values(docFlows).find((f) => f.workflowid === m?.[1]);
      if (flow === undefined) {
        notFound();
        return;
      }
      if (throttleNext) {
        throttleNext = false;
        // Source: API_LIMITS: 429 Too Many Requests, Retry-After in seconds, code 0x80072322.
        sendError(
          res,
          429,
          '0x80072322',
          'Number of requests exceeded the limit of 6000 over time window of 300 seconds.',
          {
            'Retry-After': '1',
          },
        );
        return;
      }
      const id = sessions.size === 0 ? docRunId : crypto.randomUUID().toLowerCase();
      sessions.set(id, { ...next, polls: 0, cancelled: false, workflowid: flow.workflowid });
      next = { statuses: [4] };
      sendJson(res, {
        '@odata.context': `${serviceRoot}$metadata#Microsoft.Dynamics.CRM.RunDesktopFlowResponse`,
        flowsessionId: id,
        licenseCheck: {
          '@odata.context': '#Microsoft.Dynamics.CRM.expando',
          code: 'ValidLicenseCoverage',
          message: 'Valid License Coverage',
        },
      });
      return;
    }

    // Source: ARTICLE, "Request to get the desktop flow run status" and its response; FLOWSESSION_REF.
    if (rec.method === 'GET' && (m = /^flowsessions\(([0-9a-f-]{36})\)$/.exec(rest))) {
      const s = sessions.get(m[1] ?? '');
      if (s === undefined) {
        // Source: ERRORS (0x80040217 "… With Id = … Does Not Exist").
        sendError(res, 404, '0x80040217', `flowsession With Id = ${m[1]} Does Not Exist`);
        return;
      }
      const select = selected(rec.query, flowsessionColumns, 'flowsession', res);
      if (select === undefined) {
        return;
      }
      const row = sessionRow(m[1] ?? '', s, true);
      const cols = select.length === 0 ? Object.keys(row) : select;
      const body: Record<string, unknown> = {
        '@odata.context': `${serviceRoot}$metadata#flowsessions(${cols.join(',')})/$entity`,
        '@odata.etag': 'W/"1276122"',
      };
      for (const c of cols) {
        body[c] = c in row ? row[c] : null;
      }
      sendJson(res, body);
      return;
    }

    // [not printed] A run's V1 action log, a File column (FLOWSESSION_REF): nothing written yet (204).
    if (
      rec.method === 'GET' &&
      (m = /^flowsessions\(([0-9a-f-]{36})\)\/additionalcontext\/\$value$/.exec(rest))
    ) {
      res.writeHead(204);
      res.end();
      return;
    }

    // [not printed] Runs as a collection (the flowsession table, FLOWSESSION_REF), narrowed by
    // `flowsessionid eq <id>` or `_regardingobjectid_value eq <id>` when the filter says so.
    if (rec.method === 'GET' && rest === 'flowsessions') {
      const select = selected(rec.query, flowsessionColumns, 'flowsession', res);
      if (select === undefined) {
        return;
      }
      const filter = rec.query.get('$filter') ?? '';
      const ids = [...filter.matchAll(/flowsessionid eq ([0-9a-f-]{36})/gi)].map((x) => x[1]?.toLowerCase());
      const flow = /_regardingobjectid_value eq ([0-9a-f-]{36})/i.exec(filter)?.[1]?.toLowerCase();
      const rows = [...sessions.entries()]
        .filter(
          ([id, sess]) =>
            (ids.length === 0 || ids.includes(id)) && (flow === undefined || sess.workflowid === flow),
        )
        .map(([id, sess]) => {
          const row = sessionRow(id, sess, true);
          const out: Record<string, unknown> = { '@odata.etag': 'W/"1276122"' };
          for (const c of select.length === 0 ? Object.keys(row) : select) {
            out[c] = c in row ? row[c] : null;
          }
          return out;
        });
      sendJson(res, {
        '@odata.context': `${serviceRoot}$metadata#flowsessions(${select.join(',')})`,
        value: rows,
      });
      return;
    }

    // Source: ARTICLE, "Request to get the desktop flow run outputs" (`$value` text).
    if (rec.method === 'GET' && (m = /^flowsessions\(([0-9a-f-]{36})\)\/outputs\/\$value$/.exec(rest))) {
      if (!sessions.has(m[1] ?? '')) {
        sendError(res, 404, '0x80040217', `flowsession With Id = ${m[1]} Does Not Exist`);
        return;
      }
      sendText(res, runOutputsText);
      return;
    }

    // Source: ARTICLE, "Request to cancel a desktop flow run": 204 No Content.
    if (
      rec.method === 'POST' &&
      (m = /^flowsessions\(([0-9a-f-]{36})\)\/Microsoft\.Dynamics\.CRM\.CancelDesktopFlowRun$/.exec(rest))
    ) {
      const s = sessions.get(m[1] ?? '');
      if (s === undefined) {
        sendError(res, 404, '0x80040217', `flowsession With Id = ${m[1]} Does Not Exist`);
        return;
      }
      s.cancelled = true;
      res.writeHead(204);
      res.end();
      return;
    }
    notFound();
  }

  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: origin,
    token,
    requests,
    unknown,
    runRequests: () => requests.filter((r) => r.path.endsWith('/Microsoft.Dynamics.CRM.RunDesktopFlow')),
    nextRun(run, options = {}) {
      next = run;
      throttleNext = options.throttleFirst === true;
    },
    addRun(id, run) {
      sessions.set(id, { ...run, polls: 0, cancelled: false, workflowid: docFlows.one.workflowid });
    },
    reset() {
      requests.length = 0;
      unknown.length = 0;
      next = { statuses: [4] };
      throttleNext = false;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
