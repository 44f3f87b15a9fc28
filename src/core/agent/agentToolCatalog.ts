/**
 * The agent tools, once: their names (snake_case for MCP, `desktopFlows_…` for VS Code language-model
 * tools), model-facing descriptions and input JSON Schemas. The MCP server lists these, the extension
 * registers them, and a unit test checks that package.json `languageModelTools` declares the same
 * schemas. Argument names are a contract: agents and scripts written against one version keep working.
 */

/** A JSON Schema object (draft-07 subset: what MCP clients and VS Code accept). */
export type ToolInputSchema = Readonly<Record<string, unknown>>;

/** The tools, by their stable short id. */
export type AgentToolId =
  | 'listEnvironments'
  | 'listFlows'
  | 'getFlowSchema'
  | 'validateInputs'
  | 'runFlow'
  | 'getRun'
  | 'cancelRun'
  | 'listRuns';

/** One tool. */
export interface AgentToolSpec {
  readonly id: AgentToolId;
  /** MCP tool name. */
  readonly mcpName: string;
  /** VS Code language-model tool name (`desktopFlows_…`). */
  readonly lmName: string;
  /** `#…` reference name in VS Code chat. */
  readonly referenceName: string;
  /** Short title for people. */
  readonly title: string;
  /** What the model reads to decide when and how to call it. */
  readonly description: string;
  readonly inputSchema: ToolInputSchema;
  /** True when the tool changes something (starts or cancels a run): it asks for confirmation. */
  readonly changesState: boolean;
}

const environment = {
  type: 'string',
  description:
    'Environment: display name, environment id, org unique name or org URL. Optional; defaults to the configured default environment. {listEnvironments} lists them.',
};
const flow = {
  type: 'string',
  description: 'Desktop flow id (GUID) or exact name.',
};
const inputs = {
  type: 'object',
  description:
    'Input values by input name, e.g. {"InvoiceId": "INV-1", "Amount": 12.5}. Use the types the flow schema gives. For sensitive inputs prefer a "${secret:NAME}" reference over the literal value.',
  additionalProperties: true,
};
const inputFile = {
  type: 'string',
  description:
    'Path of an input file (JSON with "$schema": "desktopflows-schema:/<flowId>.json") instead of inputs; relative paths are resolved against the working directory or workspace.',
};
const runId = {
  type: 'string',
  description: 'Run id (flowsessionid GUID), as {runFlow} or {listRuns} returned it.',
};
const top = {
  type: 'integer',
  minimum: 1,
  maximum: 500,
  description: 'At most this many entries (default 25).',
};
const filter = {
  type: 'string',
  description: 'Only entries whose name contains this text (case-insensitive).',
};

function schema(properties: Record<string, unknown>, required: readonly string[] = []): ToolInputSchema {
  return {
    type: 'object',
    properties,
    ...(required.length === 0 ? {} : { required: [...required] }),
    additionalProperties: false,
  };
}

/** Every tool, in the order they are listed. */
export const agentTools: readonly AgentToolSpec[] = [
  {
    id: 'listEnvironments',
    mcpName: 'list_environments',
    lmName: 'desktopFlows_listEnvironments',
    referenceName: 'desktopFlowsEnvironments',
    title: 'List Power Platform environments',
    description:
      'Lists the Power Platform environments (with Dataverse) the signed-in account can reach: display name, id, org URL and which one is the default. Use a value from it as `environment` for the other Desktop Flows tools.',
    inputSchema: schema({ filter, top }),
    changesState: false,
  },
  {
    id: 'listFlows',
    mcpName: 'list_desktop_flows',
    lmName: 'desktopFlows_listFlows',
    referenceName: 'desktopFlowsFlows',
    title: 'List desktop flows',
    description:
      'Lists the Power Automate desktop flows of an environment (name, id, state, draft, modified). Use `filter` to find a flow by part of its name.',
    inputSchema: schema({ environment, filter, top }),
    changesState: false,
  },
  {
    id: 'getFlowSchema',
    mcpName: 'get_flow_schema',
    lmName: 'desktopFlows_getFlowSchema',
    referenceName: 'desktopFlowsSchema',
    title: 'Get a desktop flow input/output schema',
    description:
      "Returns a desktop flow's inputs and outputs: name, type (text, number, boolean, customObject, list, datatable), whether required, whether sensitive, default and description. Call it before {validateInputs} or {runFlow} to know which inputs to give.",
    inputSchema: schema({ environment, flow }, ['flow']),
    changesState: false,
  },
  {
    id: 'validateInputs',
    mcpName: 'validate_inputs',
    lmName: 'desktopFlows_validateInputs',
    referenceName: 'desktopFlowsValidate',
    title: 'Validate desktop flow inputs',
    description:
      "Checks input values (or an input file) against the flow's input schema without running anything, and returns every problem with where it is (line:column, JSON path), what is wrong and how to fix it: the same checks as the editor and as a run.",
    inputSchema: schema({ environment, flow, inputs, inputFile }),
    changesState: false,
  },
  {
    id: 'runFlow',
    mcpName: 'run_desktop_flow',
    lmName: 'desktopFlows_runFlow',
    referenceName: 'desktopFlowsRunFlow',
    title: 'Run a desktop flow',
    description:
      'Starts a desktop flow run through a desktop-flow connection (or connection reference), attended or unattended. Inputs are validated first: on any problem nothing is sent and the problems are returned. Starts are exactly once and respect the 70-per-minute limit. With `wait`, blocks until the run ends and returns its outcome and outputs (sensitive values masked); otherwise returns the run id for {getRun}.',
    inputSchema: schema({
      environment,
      flow,
      inputs,
      inputFile,
      connection: {
        type: 'string',
        description: 'Desktop-flow connection name (shared-uiflow-…). Give this or connectionReference.',
      },
      connectionReference: {
        type: 'string',
        description: 'Connection reference logical name, instead of connection.',
      },
      mode: {
        type: 'string',
        enum: ['attended', 'unattended'],
        description:
          'attended: in the signed-in Windows session of the connection user; unattended: the machine signs in itself.',
      },
      priority: { type: 'string', description: 'normal (default), high, or a custom priority name.' },
      timeoutSeconds: {
        type: 'integer',
        minimum: 1,
        maximum: 86400,
        description: 'Run timeout in seconds (service default 10800, 3 hours).',
      },
      wait: {
        type: 'boolean',
        description: 'Wait until the run ends (bounded by the client timeout) and return its outcome.',
      },
    }),
    changesState: true,
  },
  {
    id: 'getRun',
    mcpName: 'get_run',
    lmName: 'desktopFlows_getRun',
    referenceName: 'desktopFlowsGetRun',
    title: 'Get a desktop flow run',
    description:
      'Returns one run: status, machine, queue and run times, the error code with its documented remedy, and outputs (sensitive values masked).',
    inputSchema: schema({ environment, runId }, ['runId']),
    changesState: false,
  },
  {
    id: 'cancelRun',
    mcpName: 'cancel_run',
    lmName: 'desktopFlows_cancelRun',
    referenceName: 'desktopFlowsCancelRun',
    title: 'Cancel a desktop flow run',
    description:
      'Asks the service to cancel a queued or running desktop flow run (needs Owner access to it).',
    inputSchema: schema({ environment, runId }, ['runId']),
    changesState: true,
  },
  {
    id: 'listRuns',
    mcpName: 'list_runs',
    lmName: 'desktopFlows_listRuns',
    referenceName: 'desktopFlowsRuns',
    title: 'List recent runs of a desktop flow',
    description:
      "Lists a desktop flow's recent runs, newest first: run id, status, start and end, machine and error code.",
    inputSchema: schema({ environment, flow, top }, ['flow']),
    changesState: false,
  },
];

/** The tool with this id. */
export function agentTool(id: AgentToolId): AgentToolSpec {
  const found = agentTools.find((t) => t.id === id);
  if (found === undefined) {
    throw new Error(`unknown agent tool ${id}`);
  }
  return found;
}

/** Where the tools are offered: names differ (snake_case for MCP, `desktopFlows_…` in VS Code). */
export type AgentSurface = 'mcp' | 'lm';

/** The name of tool `id` on `surface`. */
export function toolName(surface: AgentSurface, id: AgentToolId): string {
  const spec = agentTool(id);
  return surface === 'mcp' ? spec.mcpName : spec.lmName;
}

/** `{toolId}` placeholders in a description replaced by the tool names of `surface`. */
export function withToolNames(surface: AgentSurface, text: string): string {
  return text.replace(/\{(\w+)\}/g, (all, id: string) =>
    agentTools.some((t) => t.id === id) ? toolName(surface, id as AgentToolId) : all,
  );
}

function describedFor(surface: AgentSurface, value: unknown): unknown {
  if (typeof value === 'string') {
    return withToolNames(surface, value);
  }
  if (Array.isArray(value)) {
    return value.map((v) => describedFor(surface, v));
  }
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, describedFor(surface, v)]));
  }
  return value;
}

/** The tools as `surface` lists them: descriptions and schema descriptions naming that surface's tools. */
export function agentToolsFor(surface: AgentSurface): AgentToolSpec[] {
  return agentTools.map((t) => ({
    ...t,
    description: withToolNames(surface, t.description),
    inputSchema: describedFor(surface, t.inputSchema) as ToolInputSchema,
  }));
}
