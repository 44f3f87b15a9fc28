/**
 * A flow test file (`*.flowtest.json`, JSON with comments allowed): one test of one desktop flow: which
 * flow, which inputs (an input file next to it, or inline values), how to run it, and what to expect.
 * `parseFlowTest` reads and checks the file's own shape; every problem has a line, a column and a fix.
 * The inputs are checked against the flow's input schema later, by `prepareRun` (flowTestRunner.ts).
 */
import {
  findNodeAtLocation,
  getNodeValue,
  parseTree,
  printParseErrorCode,
  type Node,
  type ParseError,
} from 'jsonc-parser';
import { LineIndex } from '../inputs/textPositions';
import type { RunStatus } from '../model/run';
import type { RunConnection } from '../runs/runOptions';

/** The final statuses a test may expect. */
export const expectableStatuses: readonly RunStatus[] = [
  'succeeded',
  'failed',
  'cancelled',
  'timedOut',
  'faulted',
  'aborted',
  'skipped',
  'suspended',
];

/** One problem in a test file. */
export interface FlowTestProblem {
  readonly severity: 'error' | 'warning';
  /** Where: a JSON path for people (`$.expect.status`). */
  readonly path: string;
  readonly message: string;
  readonly fix: string;
  /** 1-based. */
  readonly line: number;
  /** 1-based, UTF-16 code units. */
  readonly column: number;
  readonly offset: number;
  readonly length: number;
}

/** The inputs of a test: none, an input file (resolved against the test file's folder), or inline values. */
export type FlowTestInputs =
  | { readonly kind: 'none' }
  | { readonly kind: 'file'; readonly path: string; readonly location: TextSpan }
  | {
      readonly kind: 'values';
      /**
       * The test file's text with everything before the object blanked (line breaks kept), so input problems
       * found in it carry the line and column of the test file.
       */
      readonly text: string;
      readonly values: Readonly<Record<string, unknown>>;
    };

export interface TextSpan {
  readonly offset: number;
  readonly length: number;
}

/** A checked test file. */
export interface FlowTest {
  /** The file's path as given. */
  readonly file: string;
  /** `name` from the file, else the file name without `.flowtest.json`. */
  readonly name: string;
  readonly flow: string;
  readonly environment: string | undefined;
  readonly inputs: FlowTestInputs;
  readonly run: {
    readonly connection: RunConnection | undefined;
    readonly mode: 'attended' | 'unattended' | undefined;
    readonly timeoutSeconds: number | undefined;
    readonly priority: string | undefined;
  };
  readonly expect: {
    readonly status: RunStatus;
    /** Each listed output must deep-equal; `undefined` when none are listed. */
    readonly outputs: Readonly<Record<string, unknown>> | undefined;
    readonly errorCode: string | undefined;
    readonly maxDurationSeconds: number | undefined;
  };
  /** Spans of the parts results point at (for editors). */
  readonly spans: { readonly flow: TextSpan; readonly outputs: Readonly<Record<string, TextSpan>> };
}

export type ParseFlowTestResult =
  | { readonly ok: true; readonly test: FlowTest; readonly warnings: readonly FlowTestProblem[] }
  | { readonly ok: false; readonly problems: readonly FlowTestProblem[] };

/** The JSON Schema of the format, for VS Code's JSON support (completion, hovers, errors). */
export const flowTestJsonSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'Desktop flow test',
  description:
    'One test of a Power Automate desktop flow: its inputs, how to run it, and the expected result.',
  type: 'object',
  required: ['flow'],
  additionalProperties: false,
  properties: {
    $schema: { type: 'string' },
    name: { type: 'string', description: 'The name of the test (default: the file name).' },
    flow: { type: 'string', minLength: 1, description: 'The flow id or its exact name.' },
    environment: {
      type: 'string',
      minLength: 1,
      description:
        'Environment display name, id, unique name or org URL (default: the workspace default or --env).',
    },
    inputs: {
      description: 'An input file (relative to this file) or an object of input values.',
      oneOf: [{ type: 'string', minLength: 1 }, { type: 'object' }],
    },
    run: {
      type: 'object',
      additionalProperties: false,
      properties: {
        connection: { type: 'string', minLength: 1, description: 'Desktop-flow connection name.' },
        connectionReference: {
          type: 'string',
          minLength: 1,
          description: 'Connection reference logical name.',
        },
        mode: { enum: ['attended', 'unattended'] },
        timeout: { type: 'integer', minimum: 1, maximum: 86400, description: 'Run timeout in seconds.' },
        priority: { type: 'string', minLength: 1 },
      },
    },
    expect: {
      type: 'object',
      additionalProperties: false,
      properties: {
        status: { enum: [...expectableStatuses], default: 'succeeded' },
        outputs: { type: 'object', description: 'Each listed output must deep-equal; others are ignored.' },
        errorCode: { type: 'string', minLength: 1 },
        maxDurationSeconds: { type: 'number', exclusiveMinimum: 0 },
      },
    },
  },
} as const;

const topKeys = ['$schema', 'name', 'flow', 'environment', 'inputs', 'run', 'expect'];
const runKeys = ['connection', 'connectionReference', 'mode', 'timeout', 'priority'];
const expectKeys = ['status', 'outputs', 'errorCode', 'maxDurationSeconds'];

function pathText(path: readonly (string | number)[]): string {
  return path.reduce<string>(
    (s, p) =>
      typeof p === 'number'
        ? `${s}[${p}]`
        : /^[A-Za-z_$][\w$]*$/.test(p)
          ? `${s}.${p}`
          : `${s}[${JSON.stringify(p)}]`,
    '$',
  );
}

function typeName(node: Node): string {
  return node.type === 'array'
    ? 'a list'
    : node.type === 'object'
      ? 'an object'
      : node.type === 'null'
        ? 'null'
        : `a ${node.type}`;
}

function defaultName(file: string): string {
  const base = file.split(/[\\/]/).pop() ?? file;
  return base.replace(/\.flowtest\.json$/i, '').replace(/\.jsonc?$/i, '');
}

/** A node's value as plain JSON data (jsonc-parser builds objects without a prototype). */
function plainValue(node: Node): unknown {
  return JSON.parse(JSON.stringify(getNodeValue(node))) as unknown;
}

/** Reads and checks a test file's text. `file` names it (test names and messages). */
export function parseFlowTest(text: string, file: string): ParseFlowTestResult {
  const lines = new LineIndex(text);
  const problems: FlowTestProblem[] = [];
  const add = (
    node: { offset: number; length: number } | undefined,
    path: readonly (string | number)[],
    message: string,
    fix: string,
    severity: 'error' | 'warning' = 'error',
  ): void => {
    const offset = node?.offset ?? 0;
    const { line, column } = lines.position(offset);
    problems.push({
      severity,
      path: pathText(path),
      message,
      fix,
      line,
      column,
      offset,
      length: node?.length ?? 0,
    });
  };

  if (text.trim() === '') {
    add(
      undefined,
      [],
      'The file is empty.',
      'Write a test: { "flow": "<flow name>", "expect": { "status": "succeeded" } }.',
    );
    return { ok: false, problems };
  }
  const errors: ParseError[] = [];
  const root = parseTree(text, errors, { allowTrailingComma: true, disallowComments: false });
  for (const e of errors) {
    add(
      e,
      [],
      `The file is not valid JSON: ${printParseErrorCode(e.error)}.`,
      'Correct the JSON syntax at this position.',
    );
  }
  if (errors.length > 0 || root === undefined) {
    if (root === undefined && errors.length === 0) {
      add(
        undefined,
        [],
        'The file is empty.',
        'Write a test: { "flow": "<flow name>", "expect": { "status": "succeeded" } }.',
      );
    }
    return { ok: false, problems };
  }
  if (root.type !== 'object') {
    add(
      root,
      [],
      `A flow test must be a JSON object, not ${typeName(root)}.`,
      'Write a test: { "flow": "<flow name>", "expect": { … } }.',
    );
    return { ok: false, problems };
  }

  const unknownKeys = (node: Node, path: (string | number)[], allowed: readonly string[]): void => {
    for (const prop of node.children ?? []) {
      const key = prop.children?.[0];
      const name = key === undefined ? '' : String(getNodeValue(key));
      if (!allowed.includes(name)) {
        add(
          key,
          [...path, name],
          `"${name}" is not a property of ${path.length === 0 ? 'a flow test' : `"${String(path[path.length - 1])}"`}.`,
          `Remove it, or use one of: ${allowed.filter((k) => k !== '$schema').join(', ')}.`,
        );
      }
    }
  };
  const stringAt = (
    path: (string | number)[],
    required: boolean,
    fix: string,
  ): { value: string; node: Node } | undefined => {
    const node = findNodeAtLocation(root, path);
    if (node === undefined) {
      if (required) {
        add(root, path, `The test names no ${String(path[path.length - 1])}.`, fix);
      }
      return undefined;
    }
    if (node.type !== 'string' || String(node.value).trim() === '') {
      add(
        node,
        path,
        `"${String(path[path.length - 1])}" must be a non-empty text, not ${node.type === 'string' ? 'an empty one' : typeName(node)}.`,
        fix,
      );
      return undefined;
    }
    return { value: String(node.value).trim(), node };
  };
  const numberAt = (
    path: (string | number)[],
    check: (n: number) => boolean,
    fix: string,
  ): number | undefined => {
    const node = findNodeAtLocation(root, path);
    if (node === undefined) {
      return undefined;
    }
    if (node.type !== 'number' || !check(Number(node.value))) {
      add(
        node,
        path,
        `"${String(path[path.length - 1])}" is not valid: ${node.type === 'number' ? String(node.value) : typeName(node)}.`,
        fix,
      );
      return undefined;
    }
    return Number(node.value);
  };
  const objectAt = (path: (string | number)[], allowed: readonly string[] | undefined): Node | undefined => {
    const node = findNodeAtLocation(root, path);
    if (node === undefined) {
      return undefined;
    }
    if (node.type !== 'object') {
      add(
        node,
        path,
        `"${String(path[path.length - 1])}" must be an object, not ${typeName(node)}.`,
        `Write it as { … }${allowed === undefined ? '' : ` with ${allowed.join(', ')}`}.`,
      );
      return undefined;
    }
    if (allowed !== undefined) {
      unknownKeys(node, path, allowed);
    }
    return node;
  };

  unknownKeys(root, [], topKeys);
  const name = stringAt(['name'], false, 'Give the test a name, or leave "name" out to use the file name.');
  const flow = stringAt(
    ['flow'],
    true,
    'Add "flow": "<flow id or exact name>" (`desktop-flows flows` lists them).',
  );
  const environment = stringAt(
    ['environment'],
    false,
    'Give an environment display name, id, unique name or org URL, or leave it out.',
  );

  let inputs: FlowTestInputs = { kind: 'none' };
  const inputsNode = findNodeAtLocation(root, ['inputs']);
  if (inputsNode !== undefined) {
    if (inputsNode.type === 'string' && String(inputsNode.value).trim() !== '') {
      inputs = {
        kind: 'file',
        path: String(inputsNode.value),
        location: { offset: inputsNode.offset, length: inputsNode.length },
      };
    } else if (inputsNode.type === 'object') {
      const blank = text.slice(0, inputsNode.offset).replace(/[^\r\n]/g, ' ');
      inputs = {
        kind: 'values',
        text: blank + text.slice(inputsNode.offset, inputsNode.offset + inputsNode.length),
        values: plainValue(inputsNode) as Record<string, unknown>,
      };
    } else {
      add(
        inputsNode,
        ['inputs'],
        `"inputs" must be an input file's path or an object of input values, not ${inputsNode.type === 'string' ? 'an empty text' : typeName(inputsNode)}.`,
        'Give a path relative to this file ("inputs/case-1.json") or the values ({ "Amount": 10 }).',
      );
    }
  }

  let connection: RunConnection | undefined;
  let mode: 'attended' | 'unattended' | undefined;
  let timeoutSeconds: number | undefined;
  let priority: string | undefined;
  if (objectAt(['run'], runKeys) !== undefined) {
    const c = stringAt(
      ['run', 'connection'],
      false,
      'Give a desktop-flow connection name (`desktop-flows connections` lists them).',
    );
    const r = stringAt(
      ['run', 'connectionReference'],
      false,
      'Give a connection reference logical name (`desktop-flows connections` lists them).',
    );
    if (c !== undefined && r !== undefined) {
      add(
        r.node,
        ['run', 'connectionReference'],
        'The test gives both a connection and a connection reference.',
        'Keep only one of "connection" and "connectionReference".',
      );
    } else if (c !== undefined) {
      connection = { kind: 'connection', name: c.value };
    } else if (r !== undefined) {
      connection = { kind: 'connectionReference', logicalName: r.value };
    }
    const m = findNodeAtLocation(root, ['run', 'mode']);
    if (m !== undefined) {
      const value: unknown = m.value;
      if (value === 'attended' || value === 'unattended') {
        mode = value;
      } else {
        add(
          m,
          ['run', 'mode'],
          `"mode" must be "attended" or "unattended", not ${JSON.stringify(m.value ?? typeName(m))}.`,
          'Use "attended" (in the signed-in session of the connection user) or "unattended".',
        );
      }
    }
    timeoutSeconds = numberAt(
      ['run', 'timeout'],
      (n) => Number.isInteger(n) && n >= 1 && n <= 86_400,
      'Give a whole number of seconds from 1 to 86400 (24 hours).',
    );
    priority = stringAt(
      ['run', 'priority'],
      false,
      'Use normal, high or the name of a custom priority.',
    )?.value;
  }

  let status: RunStatus = 'succeeded';
  let outputs: Record<string, unknown> | undefined;
  const outputSpans: Record<string, TextSpan> = {};
  let errorCode: string | undefined;
  let maxDurationSeconds: number | undefined;
  if (objectAt(['expect'], expectKeys) !== undefined) {
    const s = findNodeAtLocation(root, ['expect', 'status']);
    if (s !== undefined) {
      const wanted = expectableStatuses.find(
        (x) => typeof s.value === 'string' && x.toLowerCase() === s.value.toLowerCase(),
      );
      if (wanted === undefined) {
        add(
          s,
          ['expect', 'status'],
          `${JSON.stringify(s.value ?? typeName(s))} is not a final run status.`,
          `Use one of: ${expectableStatuses.join(', ')}.`,
        );
      } else {
        status = wanted;
      }
    }
    const o = objectAt(['expect', 'outputs'], undefined);
    if (o !== undefined) {
      outputs = plainValue(o) as Record<string, unknown>;
      for (const prop of o.children ?? []) {
        const [k, v] = prop.children ?? [];
        if (k !== undefined && v !== undefined) {
          outputSpans[String(k.value)] = { offset: prop.offset, length: prop.length };
        }
      }
    }
    const e = stringAt(
      ['expect', 'errorCode'],
      false,
      'Give the error code the run should end with (e.g. "WindowsIdentityIncorrect").',
    );
    errorCode = e?.value;
    maxDurationSeconds = numberAt(
      ['expect', 'maxDurationSeconds'],
      (n) => Number.isFinite(n) && n > 0,
      'Give a number of seconds greater than 0.',
    );
    if (e !== undefined && status === 'succeeded') {
      add(
        e.node,
        ['expect', 'errorCode'],
        'The test expects an error code from a run that succeeds; a succeeded run has none.',
        'Also expect "status": "failed" (or the failure expected), or remove "errorCode".',
      );
    }
    if (outputs !== undefined && status !== 'succeeded' && o !== undefined) {
      add(
        o,
        ['expect', 'outputs'],
        `The test expects outputs from a run that ends ${status}; only succeeded runs have outputs.`,
        'Remove "outputs", or expect "status": "succeeded".',
      );
    }
  }

  if (problems.some((p) => p.severity === 'error') || flow === undefined) {
    return { ok: false, problems };
  }
  return {
    ok: true,
    warnings: problems,
    test: {
      file,
      name: name?.value ?? defaultName(file),
      flow: flow.value,
      environment: environment?.value,
      inputs,
      run: { connection, mode, timeoutSeconds, priority },
      expect: { status, outputs, errorCode, maxDurationSeconds },
      spans: { flow: { offset: flow.node.offset, length: flow.node.length }, outputs: outputSpans },
    },
  };
}
