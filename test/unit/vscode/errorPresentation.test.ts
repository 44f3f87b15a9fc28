import * as assert from 'node:assert/strict';
import { ApiError, AuthError, CancellationError } from '../../../src/core/errors';
import { presentError } from '../../../src/vscode/errorPresentation';
import { UserFacingError } from '../../../src/vscode/userFacingError';

const titles = (e: unknown, canRetry = true): string[] | undefined =>
  presentError(e, { canRetry })?.buttons.map((b) => b.title);

describe('the command error path: which buttons an error gets', () => {
  it('shows nothing for cancellation', () => {
    assert.equal(presentError(new CancellationError(), { canRetry: true }), undefined);
    assert.equal(presentError(new AuthError('cancelled', 'closed'), { canRetry: true }), undefined);
  });

  it('offers Retry for a transient service error only when the command can run again', () => {
    const throttled = new ApiError({
      reason: 'throttled',
      message: 'Too many requests',
      status: 429,
      retryAfterSeconds: 5,
    });
    assert.deepEqual(titles(throttled), ['Retry']);
    assert.deepEqual(titles(throttled, false), []);
    assert.deepEqual(titles(new ApiError({ reason: 'server', message: 'Boom', status: 503 })), ['Retry']);
  });

  it('never offers Retry for an error that repeating cannot fix', () => {
    assert.deepEqual(titles(new ApiError({ reason: 'forbidden', message: 'No access', status: 403 })), []);
    assert.deepEqual(titles(new ApiError({ reason: 'unauthorized', message: 'No', status: 401 })), [
      'Sign In Again',
    ]);
    assert.deepEqual(titles(new AuthError('expired', 'Expired')), ['Sign In Again']);
  });

  it('offers Show Log for a multi-line message and shows its first line', () => {
    const shown = presentError(
      new ApiError({
        reason: 'badRequest',
        message: 'Input Amount is not a number.\nat line 3',
        status: 400,
      }),
      { canRetry: true },
    );
    assert.deepEqual(
      shown?.buttons.map((b) => b.title),
      ['Show Log'],
    );
    assert.ok(!shown?.text.includes('\n'), shown?.text);
    assert.match(shown?.text ?? '', /See the log for details\.$/);
    assert.match(shown?.message ?? '', /at line 3/);
  });

  it('offers Show Log for an unexpected error, whose stack is in the log', () => {
    assert.deepEqual(titles(new TypeError('x is undefined')), ['Show Log']);
  });

  it("shows a refusal as a warning with the error's own actions", () => {
    const action = { title: 'Open Settings', run: () => undefined };
    const shown = presentError(new UserFacingError('Pick a folder first.', [action]), { canRetry: true });
    assert.equal(shown?.severity, 'warning');
    assert.equal(shown?.text, 'Pick a folder first.');
    assert.deepEqual(
      shown?.buttons.map((b) => b.title),
      ['Open Settings'],
    );
  });
});
