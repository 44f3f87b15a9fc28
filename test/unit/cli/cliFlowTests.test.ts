import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { seedIds, seedNames } from '../../../src/sandbox/seed';
import { json, cliSuite } from './cliHarness';

const maker = seedNames.connections.makerMachine;
const runArgs = ['--connection', maker, '--mode', 'attended', '--poll-interval', '0.05'];

interface TestJson {
  summary: { tests: number; passed: number; failed: number; errored: number; cancelled: number };
  tests: {
    name: string;
    outcome: string;
    status: string | null;
    errorCode: string | null;
    runId: string | null;
    mismatches: { kind: string; message: string; path?: string; expected: unknown; actual: unknown }[];
  }[];
}

describe('desktop-flows CLI: test', () => {
  const h = cliSuite('desktop-flows-flowtests-');

  const invoiceInputs = {
    InvoiceId: 'INV-1001',
    Amount: 1250.5,
    IsUrgent: false,
    Customer: { name: 'Fabrikam', id: 7 },
    LineItems: ['paper', 'toner'],
    Ledger: [],
    ApiKey: '${secret:ERP_KEY}',
  };

  it('runs a passing test (input file, lists, objects, datatable) and a failing one: lines, summary, exit 1, JUnit XML', async () => {
    await h.file('suite/inputs/inv-1001.json', invoiceInputs);
    await h.file(
      'suite/invoice.flowtest.json',
      `{
  // JSON with comments, as VS Code writes it
  "flow": "Invoice Processing",
  "inputs": "inputs/inv-1001.json",
  "expect": {
    "status": "succeeded",
    "outputs": {
      "Total": 1250.50,
      "Approved": true,
      "Summary": { "id": 7, "name": "Fabrikam" },
      "ProcessedItems": ["paper", "toner"],
      "Report": [{ "Line": 1, "Account": "4000", "Amount": 100 }]
    }
  }
}`,
    );
    await h.file('suite/echo-wrong.flowtest.json', {
      name: 'Echo gives the wrong text',
      flow: 'Echo Text',
      inputs: { inputText: 'hello', inputInteger: 42 },
      expect: { outputs: { outputText: 'goodbye', outputInteger: 42 } },
    });
    const junit = path.join(h.dir, 'results.xml');
    const env = { ...h.env, DESKTOPFLOWS_SECRET_ERP_KEY: 'erp-secret-value' };
    const r = await h.cli(['test', path.join(h.dir, 'suite'), ...runArgs, '--junit', junit], { env });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /^✓ invoice \(\d+\.\d s\)$/m);
    assert.match(
      r.stdout,
      /^✗ Echo gives the wrong text \(\d+\.\d s\): outputText is "hello"; expected "goodbye"\.$/m,
    );
    assert.match(r.stdout, /^2 tests: 1 passed, 1 failed \(/m);
    assert.equal(h.runRequests.length, 2);
    assert.doesNotMatch(r.stdout + r.stderr, /erp-secret-value/);

    const xml = await readFile(junit, 'utf8');
    const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(xml) as {
      testsuites: { testsuite: { tests: string; failures: string; testcase: Record<string, unknown>[] } };
    };
    const suite = doc.testsuites.testsuite;
    assert.deepEqual([suite.tests, suite.failures], ['2', '1']);
    const failed = suite.testcase.find((c) => c.name === 'Echo gives the wrong text') as {
      failure: { message: string; '#text': string };
    };
    assert.equal(failed.failure.message, 'outputText is "hello"; expected "goodbye".');
    assert.match(failed.failure['#text'], /expected: "goodbye"\n {2}actual: {3}"hello"/);
    const passed = suite.testcase.find((c) => c.name === 'invoice');
    assert.ok(passed !== undefined && !('failure' in passed));
  });

  it('an expected failure passes when the status and error code match, and fails on another code', async () => {
    await h.file('fail/legacy.flowtest.json', {
      flow: 'Legacy Schema Flow',
      expect: { status: 'failed', errorCode: 'UnsupportedRpaScriptSchemaVersion' },
    });
    await h.file('fail/legacy-wrong-code.flowtest.json', {
      flow: 'Legacy Schema Flow',
      expect: { status: 'failed', errorCode: 'WindowsIdentityIncorrect' },
    });
    const r = await h.cli(['test', path.join(h.dir, 'fail'), ...runArgs, '--json']);
    assert.equal(r.code, 1, r.stderr);
    const out = json<TestJson>(r);
    const byName = new Map(out.tests.map((t) => [t.name, t]));
    assert.equal(byName.get('legacy')?.outcome, 'passed');
    assert.deepEqual(byName.get('legacy')?.errorCode, 'UnsupportedRpaScriptSchemaVersion');
    const wrong = byName.get('legacy-wrong-code');
    assert.equal(wrong?.outcome, 'failed');
    assert.deepEqual(
      wrong?.mismatches.map((m) => [m.kind, m.expected, m.actual]),
      [['errorCode', 'WindowsIdentityIncorrect', 'UnsupportedRpaScriptSchemaVersion']],
    );
  });

  it('a run that times out, and one slower than maxDurationSeconds, fail with the reason', async () => {
    await h.file('slow/report.flowtest.json', {
      flow: 'Long Running Report',
      run: { timeout: 2 },
      expect: { status: 'succeeded' },
    });
    await h.file('slow/invoice-slow.flowtest.json', {
      flow: 'Invoice Processing',
      inputs: { ...invoiceInputs, ApiKey: 'literal-key' },
      expect: { maxDurationSeconds: 10 },
    });
    const r = await h.cli(['test', path.join(h.dir, 'slow'), ...runArgs]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /^✗ report \([^)]+\): The run ended timedOut \(\w+\); expected succeeded\.$/m);
    assert.match(r.stdout, /^✗ invoice-slow \([^)]+\): The run took \d+\.\d s; expected at most 10 s\.$/m);
  });

  it('Ctrl+C cancels the runs the tests started and exits 130', async () => {
    await h.file('long/report.flowtest.json', { flow: 'Long Running Report' });
    const controller = new AbortController();
    const running = h.cli(['test', path.join(h.dir, 'long'), ...runArgs], { signal: controller.signal });
    let runId: string | undefined;
    for (let i = 0; i < 400 && runId === undefined; i++) {
      const run = [...h.dev.runs.values()].find(
        (x) => x.flow.id === seedIds.flows.longReport && [0, 2, 3].includes(Number(x.row.statuscode)),
      );
      runId = run === undefined ? undefined : String(run.row.flowsessionid);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.ok(runId !== undefined, 'the test started a run');
    controller.abort();
    const r = await running;
    assert.equal(r.code, 130, r.stderr);
    assert.match(r.stdout, /^- report \([^)]+\): The run was cancelled\.$/m);
    assert.match(r.stderr, /Interrupted: the runs the tests had started were cancelled\./);
    let status: number | undefined;
    for (let i = 0; i < 200; i++) {
      status = Number(
        [...h.dev.runs.values()].find((x) => String(x.row.flowsessionid) === runId)?.row.statuscode,
      );
      if (status === 7) {
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.equal(status, 7, 'the sandbox run was cancelled');
  });

  it('checks every file first: format problems and input problems with line:column, exit 2, nothing sent', async () => {
    await h.file(
      'bad/format.flowtest.json',
      '{\n  "flow": "Echo Text",\n  "expect": { "status": "done" }\n}\n',
    );
    await h.file(
      'bad/inputs.flowtest.json',
      '{\n  "flow": "Echo Text",\n  "inputs": {\n    "inputText": 5,\n    "inputInteger": 1\n  }\n}\n',
    );
    const first = await h.cli(['test', path.join(h.dir, 'bad'), ...runArgs]);
    assert.equal(first.code, 2, first.stderr);
    assert.match(
      first.stderr,
      /format\.flowtest\.json:3:25: error: \$\.expect\.status: "done" is not a final run status\./,
    );
    assert.deepEqual(h.runRequests, []);

    await rm(path.join(h.dir, 'bad', 'format.flowtest.json'));
    const second = await h.cli(['test', path.join(h.dir, 'bad'), ...runArgs]);
    assert.equal(second.code, 2, second.stderr);
    assert.match(second.stderr, /inputs\.flowtest\.json:4:18: error: /);
    assert.match(second.stderr, /1 of 1 test cannot run/);
    assert.deepEqual(h.runRequests, []);
  });

  it('a test file or the input file it names whose bytes are not valid UTF-8 (Latin-1 "é") is refused with the byte\'s place, nothing sent', async () => {
    const latin1 = (head: string, tail: string): Buffer =>
      Buffer.concat([Buffer.from(head, 'utf8'), Buffer.from([0xe9]), Buffer.from(tail, 'utf8')]);
    const inlineHead = '{\n  "flow": "Echo Text",\n  "inputs": { "inputInteger": 7, "inputText": "Caf';
    await h.file('latin1-inline/inline.flowtest.json', latin1(inlineHead, ' au lait" }\n}\n'));
    const inline = await h.cli(['test', path.join(h.dir, 'latin1-inline'), ...runArgs]);
    assert.equal(inline.code, 2, inline.stderr);
    assert.match(
      inline.stderr,
      new RegExp(
        `inline\\.flowtest\\.json: error: \\S*inline\\.flowtest\\.json is not valid UTF-8: byte ${Buffer.byteLength(inlineHead)} \\(line 3, column \\d+\\) is 0xE9\\b.*Save it as UTF-8`,
      ),
    );
    assert.deepEqual(h.runRequests, [], 'nothing was sent');

    const fileHead = '{\n  "inputInteger": 7,\n  "inputText": "Caf';
    await h.file('latin1-file/inputs/latin1.json', latin1(fileHead, ' au lait"\n}\n'));
    await h.file('latin1-file/echo.flowtest.json', { flow: 'Echo Text', inputs: 'inputs/latin1.json' });
    const named = await h.cli(['test', path.join(h.dir, 'latin1-file'), ...runArgs]);
    assert.equal(named.code, 2, named.stderr);
    assert.match(
      named.stderr,
      new RegExp(
        `latin1\\.json is not valid UTF-8: byte ${Buffer.byteLength(fileHead)} \\(line 3, column 20\\) is 0xE9\\b.*Save it as UTF-8`,
      ),
    );
    assert.match(named.stderr, /1 of 1 test cannot run/);
    assert.deepEqual(h.runRequests, [], 'nothing was sent');
  });
});
