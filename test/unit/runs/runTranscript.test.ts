import assert from 'node:assert/strict';
import { ApiError } from '../../../src/core/errors';
import type { RunEvent, RunSubject } from '../../../src/core/runs/runEvents';
import { formatDuration, formatRunEvent } from '../../../src/core/runs/runTranscript';
import { secretMasker } from '../../../src/core/util/secretMasker';

const at = Date.UTC(2025, 4, 6, 14, 5, 9);
const subject: RunSubject = {
  environment: { id: 'env-1', orgUrl: 'https://contoso.crm.dynamics.com', displayName: 'Contoso Dev' },
  flowId: '11111111-1111-4111-8111-111111111111',
  flowName: 'Echo Text',
  runId: 'abcdef01-2222-4333-8444-555555555555',
};
const utc = { timeZone: 'utc' } as const;

describe('runs: transcript lines', () => {
  it('stamps every line and names the flow and run', () => {
    const text = formatRunEvent(
      {
        kind: 'triggered',
        at,
        ...subject,
        triggerId: 't1',
        options: {
          connection: { kind: 'connection', name: 'shared-uiflow-1' },
          runMode: 'attended',
          timeoutSeconds: 3600,
        },
        reconciled: false,
        attempts: 1,
      },
      utc,
    );
    assert.equal(
      text,
      '[2025-05-06 14:05:09] Started "Echo Text" run abcdef01 (attended, priority normal, connection shared-uiflow-1, timeout 1 h 00 min)',
    );
  });

  it('shows the machine and the queue wait when a run starts', () => {
    const text = formatRunEvent(
      {
        kind: 'stateChanged',
        at,
        ...subject,
        previous: 'waiting',
        status: 'running',
        machine: { id: 'm1', name: 'FIN-BOT-01' },
        createdOn: '2025-05-06T14:04:00Z',
        startedOn: '2025-05-06T14:04:42Z',
        completedOn: undefined,
        queueWaitMs: 42_000,
        runTimeMs: 27_000,
      },
      utc,
    );
    assert.equal(
      text,
      '[2025-05-06 14:05:09] "Echo Text" run abcdef01 running on FIN-BOT-01 after 42 s in the queue',
    );
  });

  it('gives the error code, the message and the documented remedy of a failed run', () => {
    const text = formatRunEvent(
      {
        kind: 'finished',
        at,
        ...subject,
        status: 'failed',
        machine: undefined,
        errorCode: 'NoUnlockedActiveSessionForAttended',
        errorMessage: 'No unlocked session.',
        outputs: undefined,
        outputsError: undefined,
        endedWhileAway: false,
        createdOn: undefined,
        startedOn: undefined,
        completedOn: undefined,
        queueWaitMs: 3_000,
        runTimeMs: undefined,
      },
      utc,
    );
    const lines = text.split('\n');
    assert.equal(lines[0], '[2025-05-06 14:05:09] "Echo Text" run abcdef01 failed (queued 3.0 s)');
    assert.match(lines[1] ?? '', /^ +Error: NoUnlockedActiveSessionForAttended: No unlocked session\.$/);
    assert.match(lines[2] ?? '', /^ +No unlocked Windows session for the attended run\. .*unlock/);
  });

  it('masks outputs, both through the schema masker and known secrets', () => {
    secretMasker.add('s3cr3t-token-value');
    const event: RunEvent = {
      kind: 'finished',
      at,
      ...subject,
      status: 'succeeded',
      machine: { id: 'm1', name: undefined },
      errorCode: undefined,
      errorMessage: undefined,
      outputs: { Result: 'ok', Password: 'hunter22', Note: 'token s3cr3t-token-value' },
      outputsError: undefined,
      endedWhileAway: true,
      createdOn: undefined,
      startedOn: undefined,
      completedOn: undefined,
      queueWaitMs: undefined,
      runTimeMs: 65_000,
    };
    const text = formatRunEvent(event, { ...utc, maskOutputs: (o) => ({ ...o, Password: '********' }) });
    assert.match(text, /succeeded on machine m1 \(ran 1 min 05 s\), while it was not being watched/);
    assert.match(text, /Outputs: \{"Result":"ok","Password":"\*+","Note":"token \*+"\}/);
    assert.doesNotMatch(text, /hunter22|s3cr3t-token-value/);
  });

  it('explains rate-limit waits, licence warnings and watch errors', () => {
    const until = at + 30_000;
    assert.match(
      formatRunEvent(
        {
          kind: 'waitingForRateLimit',
          at,
          triggerId: 't',
          environment: subject.environment,
          flowId: subject.flowId,
          flowName: 'Echo Text',
          connectionKey: 'connection:x',
          reason: 'connectionLimit',
          until,
        },
        utc,
      ),
      /"Echo Text" waits until 2025-05-06 14:05:39: this connection started 70 runs in the last minute/,
    );
    const licence = formatRunEvent(
      {
        kind: 'licenseWarning',
        at,
        ...subject,
        licenseCheck: { code: 'AttendedNoLicense', message: 'Invalid License Coverage.' },
      },
      utc,
    );
    assert.match(licence, /Licence warning for "Echo Text" run abcdef01: AttendedNoLicense/);
    assert.match(licence, /Power Automate Premium/);
    const error = formatRunEvent(
      {
        kind: 'error',
        at,
        environment: subject.environment,
        runIds: ['a', 'b', 'c'],
        error: new ApiError({
          reason: 'throttled',
          message: 'Number of requests exceeded',
          status: 429,
          code: '0x80072322',
        }),
        consecutiveFailures: 2,
        retryAt: until,
      },
      utc,
    );
    assert.match(
      error,
      /Could not check 3 runs in Contoso Dev \(2 failures in a row\); trying again at 2025-05-06 14:05:39: Number of requests exceeded \(HTTP 429, 0x80072322\)/,
    );
    assert.match(error, /Dataverse request limit/);
  });

  it('prints each new action-log entry with its duration and error', () => {
    const text = formatRunEvent(
      {
        kind: 'actionLog',
        at,
        ...subject,
        entries: [
          entry(1, 'Set variable', 'Succeeded', undefined),
          entry(2, 'Write text to file', 'Failed', { code: 'FileNotFound', message: 'C:\\x.txt' }),
        ],
      },
      utc,
    );
    assert.deepEqual(text.split('\n'), [
      '[2025-05-06 14:05:09] "Echo Text" run abcdef01 #1 Set variable succeeded (1.5 s)',
      '[2025-05-06 14:05:09] "Echo Text" run abcdef01 #2 Write text to file failed (1.5 s): FileNotFound: C:\\x.txt',
    ]);
  });

  it('formats durations for people', () => {
    assert.deepEqual([850, 4_200, 42_000, 185_000, 7_380_000].map(formatDuration), [
      '850 ms',
      '4.2 s',
      '42 s',
      '3 min 05 s',
      '2 h 03 min',
    ]);
  });
});

function entry(
  index: number,
  name: string,
  status: string,
  error: { code: string; message: string } | undefined,
) {
  return {
    index,
    name,
    systemActionName: undefined,
    moduleName: undefined,
    startTime: '2025-05-06T14:00:00.000Z',
    endTime: '2025-05-06T14:00:01.500Z',
    status,
    insideErrorHandling: false,
    inputs: [],
    outputs: [],
    errorCode: error?.code,
    errorMessage: error?.message,
  };
}
