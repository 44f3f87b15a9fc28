import assert from 'node:assert/strict';
import {
  connectionKey,
  defaultRunTimeoutSeconds,
  runDesktopFlowRequest,
  validateRunOptions,
} from '../../../src/core/runs/runOptions';

describe('runs: run options', () => {
  it('accepts a connection or a connection reference and sends connectionType 1 or 2', () => {
    const byConnection = validateRunOptions({
      connection: { kind: 'connection', name: 'shared-uiflow-1' },
      runMode: 'attended',
    });
    assert.ok(byConnection.ok);
    assert.deepEqual(runDesktopFlowRequest(byConnection.options, '{"a":1}'), {
      runMode: 'attended',
      runPriority: 'normal',
      connectionName: 'shared-uiflow-1',
      connectionType: 1,
      timeout: defaultRunTimeoutSeconds,
      inputs: '{"a":1}',
    });

    const byReference = validateRunOptions({
      connection: { kind: 'connectionReference', logicalName: 'cr_desktop' },
      runMode: 'unattended',
      priority: 'high',
      timeoutSeconds: 600,
    });
    assert.ok(byReference.ok);
    assert.deepEqual(runDesktopFlowRequest(byReference.options, undefined), {
      runMode: 'unattended',
      runPriority: 'high',
      connectionName: 'cr_desktop',
      connectionType: 2,
      timeout: 600,
    });
  });

  it('takes a custom priority name as given', () => {
    const v = validateRunOptions({
      connection: { kind: 'connection', name: 'c' },
      runMode: 'attended',
      priority: 'Urgent-3',
    });
    assert.ok(v.ok);
    assert.equal(runDesktopFlowRequest(v.options, undefined).runPriority, 'Urgent-3');
  });

  it('rejects a timeout above 24 hours, below 1 second or not whole, and lists every problem at once', () => {
    const over = validateRunOptions({
      connection: { kind: 'connection', name: 'c' },
      runMode: 'attended',
      timeoutSeconds: 86_401,
    });
    assert.deepEqual(over, {
      ok: false,
      problems: [{ field: 'timeoutSeconds', code: 'tooLarge', limit: 86_400 }],
    });
    const max = validateRunOptions({
      connection: { kind: 'connection', name: 'c' },
      runMode: 'attended',
      timeoutSeconds: 86_400,
    });
    assert.ok(max.ok);

    const many = validateRunOptions({
      connection: { kind: 'machine' },
      runMode: 'background',
      priority: ' ',
      timeoutSeconds: 1.5,
    });
    assert.ok(!many.ok);
    assert.deepEqual(
      many.problems.map((p) => `${p.field}:${p.code}`),
      ['connection:invalid', 'runMode:invalid', 'priority:invalid', 'timeoutSeconds:notInteger'],
    );
    const zero = validateRunOptions({
      connection: { kind: 'connection', name: 'c' },
      runMode: 'attended',
      timeoutSeconds: 0,
    });
    assert.ok(!zero.ok);
    assert.equal(zero.problems[0]?.code, 'tooSmall');
  });

  it('round-trips through JSON, as the UI stores it per flow', () => {
    const v = validateRunOptions({
      connection: { kind: 'connectionReference', logicalName: 'cr_x', connectionName: 'shared-uiflow-9' },
      runMode: 'attended',
      priority: 'normal',
      timeoutSeconds: 3600,
    });
    assert.ok(v.ok);
    const again = validateRunOptions(JSON.parse(JSON.stringify(v.options)));
    assert.deepEqual(again, v);
    assert.deepEqual(validateRunOptions('nope'), {
      ok: false,
      problems: [{ field: 'options', code: 'invalid' }],
    });
    const missing = validateRunOptions({});
    assert.ok(!missing.ok);
    assert.deepEqual(
      missing.problems.map((p) => `${p.field}:${p.code}`),
      ['connection:missing', 'runMode:missing'],
    );
  });

  it('rate-limits a reference with its connection when known, so both share one budget', () => {
    assert.equal(
      connectionKey({ kind: 'connection', name: 'Shared-UIFlow-1' }),
      'connection:shared-uiflow-1',
    );
    assert.equal(
      connectionKey({ kind: 'connectionReference', logicalName: 'cr_x', connectionName: 'shared-uiflow-1' }),
      'connection:shared-uiflow-1',
    );
    assert.equal(connectionKey({ kind: 'connectionReference', logicalName: 'cr_x' }), 'reference:cr_x');
  });
});
