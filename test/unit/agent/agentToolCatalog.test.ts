import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { agentTools, agentToolsFor } from '../../../src/core/agent/agentToolCatalog';
import { checkArguments, AgentToolError } from '../../../src/core/agent/agentOperations';

interface LmTool {
  name: string;
  displayName: string;
  toolReferenceName: string;
  canBeReferencedInPrompt: boolean;
  modelDescription: string;
  userDescription: string;
  inputSchema: unknown;
}

const manifest = JSON.parse(readFileSync(path.join(__dirname, '../../../package.json'), 'utf8')) as {
  contributes: { languageModelTools: LmTool[] };
};

describe('agent tools: one catalogue for MCP and VS Code', () => {
  it("package.json declares exactly the catalogue's language-model tools, schemas and descriptions", () => {
    const declared = manifest.contributes.languageModelTools;
    const expected = agentToolsFor('lm');
    assert.deepEqual(
      declared.map((t) => t.name),
      expected.map((t) => t.lmName),
    );
    for (const spec of expected) {
      const tool = declared.find((t) => t.name === spec.lmName);
      assert.ok(tool, spec.lmName);
      assert.equal(tool.modelDescription, spec.description, `${spec.lmName} modelDescription`);
      assert.deepEqual(tool.inputSchema, spec.inputSchema, `${spec.lmName} inputSchema`);
      assert.equal(tool.toolReferenceName, spec.referenceName);
      assert.equal(tool.canBeReferencedInPrompt, true);
      assert.ok(tool.userDescription.length > 10);
    }
    assert.equal(
      new Set(declared.map((t) => t.toolReferenceName)).size,
      declared.length,
      'reference names are unique',
    );
  });

  it("names each surface's own tools in descriptions", () => {
    const mcp = JSON.stringify(agentToolsFor('mcp'));
    const lm = JSON.stringify(
      agentToolsFor('lm').map(({ description, inputSchema }) => ({ description, inputSchema })),
    );
    assert.doesNotMatch(mcp.replace(/"lmName":"[^"]*"/g, ''), /desktopFlows_/);
    assert.doesNotMatch(lm, /\b(list_environments|get_run|run_desktop_flow|list_runs)\b/);
    assert.doesNotMatch(
      mcp + lm,
      /\{(listEnvironments|getRun|runFlow|listRuns|listFlows)\}/,
      'no placeholder is left',
    );
  });

  it('keeps the documented argument names', () => {
    const props = (id: string): string[] =>
      Object.keys(agentTools.find((t) => t.id === id)?.inputSchema.properties ?? {}).sort();
    assert.deepEqual(props('listEnvironments'), ['filter', 'top']);
    assert.deepEqual(props('listFlows'), ['environment', 'filter', 'top']);
    assert.deepEqual(props('getFlowSchema'), ['environment', 'flow']);
    assert.deepEqual(props('validateInputs'), ['environment', 'flow', 'inputFile', 'inputs']);
    assert.deepEqual(props('getRun'), ['environment', 'runId']);
    assert.deepEqual(props('cancelRun'), ['environment', 'runId']);
    assert.deepEqual(props('listRuns'), ['environment', 'flow', 'top']);
  });

  it('rejects arguments that do not fit the schema, naming them', () => {
    assert.throws(
      () => checkArguments('listRuns', { flow: 'Echo Text', top: 0, extra: 1 }),
      (e: unknown) =>
        AgentToolError.is(e) &&
        /`extra` is not an argument/.test(e.message) &&
        /`top` must be >= 1/.test(e.message),
    );
    assert.throws(() => checkArguments('getRun', {}), /`runId` is required/);
    assert.deepEqual(checkArguments('listEnvironments', undefined), {});
  });
});
