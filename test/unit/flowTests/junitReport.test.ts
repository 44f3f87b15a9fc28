import assert from 'node:assert/strict';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { parseFlowTest, type FlowTest } from '../../../src/core/flowTests/flowTestFile';
import type { FlowTestResult } from '../../../src/core/flowTests/flowTestRunner';
import { junitXml } from '../../../src/core/flowTests/junitReport';

function test(name: string, flow: string): FlowTest {
  const r = parseFlowTest(JSON.stringify({ name, flow }), `tests/${name}.flowtest.json`);
  assert.ok(r.ok);
  return r.test;
}

interface Case {
  name: string;
  classname: string;
  time: string;
  file: string;
  failure: { message: string; '#text': string };
  error: { message: string };
  skipped: { message: string };
}

describe('flow test JUnit XML', () => {
  const awkward = 'Invoice <"Q1"> & \'Q2\' \u0007bell';
  const results: FlowTestResult[] = [
    {
      test: test('passes', 'Echo Text'),
      outcome: 'passed',
      durationMs: 1500,
      runId: 'r1',
      status: 'succeeded',
      mismatches: [],
    },
    {
      test: test(awkward, 'Invoice & Co'),
      outcome: 'failed',
      durationMs: 2250,
      runId: 'r2',
      status: 'succeeded',
      mismatches: [
        {
          kind: 'output',
          expected: 'a </failure> b',
          actual: 'x & y',
          message: 'Note is "x & y"; expected "a </failure> b".',
          output: {
            output: 'Note',
            path: 'Note',
            kind: 'different',
            expected: 'a </failure> b',
            actual: 'x & y',
            message: '',
          },
        },
      ],
    },
    {
      test: test('service down', 'Echo Text'),
      outcome: 'errored',
      durationMs: 10,
      mismatches: [],
      error: 'The service answered 503.',
    },
    {
      test: test('stopped', 'Echo Text'),
      outcome: 'cancelled',
      durationMs: 5,
      mismatches: [],
      error: 'The run was cancelled.',
    },
  ];

  it('is well-formed XML that a real parser reads back: one testcase per file, failure with expected and actual', () => {
    const xml = junitXml(results, { timestamp: new Date('2026-12-03T10:00:00Z') });
    assert.equal(XMLValidator.validate(xml), true);
    const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(xml) as {
      testsuites: {
        tests: string;
        testsuite: {
          tests: string;
          failures: string;
          errors: string;
          skipped: string;
          timestamp: string;
          testcase: Case[];
        };
      };
    };
    const suite = doc.testsuites.testsuite;
    assert.deepEqual(
      [suite.tests, suite.failures, suite.errors, suite.skipped, suite.timestamp],
      ['4', '1', '1', '1', '2026-12-03T10:00:00.000Z'],
    );
    const [passed, failed, errored, skipped] = suite.testcase;
    assert.deepEqual(
      [passed?.name, passed?.time, passed?.file],
      ['passes', '1.500', 'tests/passes.flowtest.json'],
    );
    assert.equal(failed?.name, 'Invoice <"Q1"> & \'Q2\' bell', 'escaped, and the control character dropped');
    assert.equal(failed?.classname, 'Invoice & Co');
    assert.equal(failed?.failure.message, 'Note is "x & y"; expected "a </failure> b".');
    assert.match(failed?.failure['#text'], /expected: "a <\/failure> b"\n {2}actual: {3}"x & y"\nRun: r2/);
    assert.equal(errored?.error.message, 'The service answered 503.');
    assert.equal(skipped?.skipped.message, 'The run was cancelled.');
  });
});
