/** `desktop-flows schema <flow>`: a flow's inputs and outputs, a JSON Schema, or a starter input file. */
import { parseDesktopFlowSchema, type DesktopFlowSchema } from '../../core/inputs/desktopFlowSchema';
import { toJsonSchema } from '../../core/inputs/flowJsonSchema';
import { createInputFileContent } from '../../core/inputs/inputFileContent';
import type { CliCommand } from '../cliCommand';
import { flagValue } from '../cliCommand';
import { exitCodes, usageError } from '../cliErrors';
import { resolveFlow } from '../flowLookup';
import { environmentRefJson, flowJson, variableJson, type VariableJson } from '../jsonShapes';
import { formatTable } from '../textTable';

function shortValue(value: unknown): string {
  const text = JSON.stringify(value) ?? '';
  return text.length > 40 ? `${text.slice(0, 39)}…` : text;
}

function variableTable(variables: readonly VariableJson[], direction: 'inputs' | 'outputs'): string {
  if (variables.length === 0) {
    return `  (no ${direction})`;
  }
  return formatTable(
    [
      'NAME',
      'TYPE',
      direction === 'inputs' ? 'REQUIRED' : '',
      'SENSITIVE',
      direction === 'inputs' ? 'DEFAULT' : '',
      'DESCRIPTION',
    ].filter((h) => h !== ''),
    variables.map((v) =>
      direction === 'inputs'
        ? [
            v.name,
            v.type,
            v.requirement === 'unknown' ? '?' : v.requirement === 'required' ? 'yes' : 'no',
            v.sensitive ? 'yes' : '',
            v.hasDefault ? shortValue(v.default) : '',
            v.description ?? '',
          ]
        : [v.name, v.type, v.sensitive ? 'yes' : '', v.description ?? ''],
    ),
  );
}

export const schemaCommand: CliCommand = {
  name: 'schema',
  summary: "Show a flow's inputs and outputs, its JSON Schema, or a starter input file.",
  details: [
    'The flow is named by id or by exact name. --template prints a new input file for `run --inputs`: inputs with defaults get them, required ones get a "<required: …>" placeholder that fails validation until replaced, and sensitive ones ask for a ${secret:NAME} reference.',
  ],
  positionals: [{ name: 'flow', required: true, description: 'Flow id or exact name.' }],
  options: {
    template: { type: 'boolean', description: 'Print a starter input file for `run --inputs`.' },
    'json-schema': {
      type: 'boolean',
      description: 'Print the JSON Schema input files are checked against (for other editors).',
    },
  },
  service: true,
  examples: [
    'desktop-flows schema "Invoice Processing" --env "Contoso Dev"',
    'desktop-flows schema "Invoice Processing" --env "Contoso Dev" --template > invoice.json',
  ],
  async run(ctx) {
    const template = flagValue(ctx.values, 'template');
    const jsonSchema = flagValue(ctx.values, 'json-schema');
    if (template && jsonSchema) {
      throw usageError('Give --template or --json-schema, not both.');
    }
    const session = await ctx.connection.session(ctx.signal);
    const environment = await ctx.connection.environment(ctx.signal);
    const flow = await resolveFlow(session, environment, ctx.positionals[0] ?? '', ctx.signal);
    const raw = await session.flows.getSchemas(environment.orgUrl, flow.id, ctx.signal, {
      includeDrafts: flow.isUnpublished,
    });
    const inputs = parseDesktopFlowSchema(raw.inputs, 'inputs');
    const outputs = parseDesktopFlowSchema(raw.outputs, 'outputs');
    if (template) {
      const where = environment.id ?? environment.uniqueName;
      ctx.io.stdout.write(createInputFileContent(inputs.schema, flow.id, where));
      return exitCodes.success;
    }
    if (jsonSchema) {
      ctx.out.json(toJsonSchema(inputs.schema, { title: `Inputs of ${flow.name}` }));
      return exitCodes.success;
    }
    const list = (s: DesktopFlowSchema): VariableJson[] => s.variables.map(variableJson);
    const warnings = [...inputs.warnings, ...outputs.warnings].map((w) => w.message);
    if (ctx.json) {
      ctx.out.json({
        flow: flowJson(flow),
        environment: environmentRefJson(environment),
        inputs: list(inputs.schema),
        outputs: list(outputs.schema),
        warnings,
      });
      return exitCodes.success;
    }
    ctx.out.line(`Flow ${flow.name} (${flow.id})${flow.isUnpublished ? ', draft' : ''}`);
    ctx.out.line('');
    ctx.out.line('Inputs');
    ctx.out.line(variableTable(list(inputs.schema), 'inputs'));
    ctx.out.line('');
    ctx.out.line('Outputs');
    ctx.out.line(variableTable(list(outputs.schema), 'outputs'));
    for (const w of warnings) {
      ctx.out.note(`Note: ${w}`);
    }
    return exitCodes.success;
  },
};
