import * as assert from 'node:assert/strict';
import {
  ApiError,
  AuthError,
  CancellationError,
  type ApiErrorReason,
  type AuthErrorReason,
} from '../../../src/core/errors';
import { describeError, sentence } from '../../../src/vscode/errorMessages';

// Every reason, so a new one added without words (or with a clause that does not read as a sentence)
// fails here. `satisfies` makes the compiler list any reason missing from these tables.
const authReasons = {
  interactionRequired: true,
  consentRequired: true,
  invalidClient: true,
  expired: true,
  noAccount: true,
  cancelled: false,
  network: true,
  unknown: true,
} satisfies Record<AuthErrorReason, boolean>;

const apiReasons = {
  unauthorized: true,
  forbidden: true,
  notFound: true,
  badRequest: true,
  conflict: true,
  throttled: true,
  server: true,
  network: true,
  timeout: true,
  cancelled: false,
  insecure: true,
} satisfies Record<ApiErrorReason, boolean>;

/** Every error the extension has words for, in the shapes the core raises them (with and without details). */
function everyError(): { name: string; error: unknown }[] {
  const list: { name: string; error: unknown }[] = [];
  for (const reason of Object.keys(authReasons) as AuthErrorReason[]) {
    list.push({ name: `AuthError ${reason}`, error: new AuthError(reason, '') });
    list.push({
      name: `AuthError ${reason} with code and message`,
      error: new AuthError(reason, 'getaddrinfo ENOTFOUND login.microsoftonline.com', 'ENOTFOUND'),
    });
  }
  for (const reason of Object.keys(apiReasons) as ApiErrorReason[]) {
    list.push({ name: `ApiError ${reason}`, error: new ApiError({ reason, message: '' }) });
    list.push({
      name: `ApiError ${reason} with details`,
      error: new ApiError({
        reason,
        message: 'the record was changed by someone else',
        status: 400,
        code: '0x80040217',
        requestId: 'a1b2c3',
        retryAfterSeconds: 5,
      }),
    });
  }
  list.push({ name: 'an Error', error: new Error('connect ECONNREFUSED 127.0.0.1:9') });
  list.push({ name: 'an Error without a message', error: new Error('') });
  list.push({ name: 'a thrown string', error: 'socket hang up' });
  return list;
}

describe('Error wordings', () => {
  for (const doing of [undefined, "load the flow's input schema"]) {
    for (const { name, error } of everyError()) {
      it(`${name}${doing ? ' (while doing something)' : ''} reads as a full sentence`, () => {
        const reason = (error as { reason?: string }).reason;
        const expectsWords =
          error instanceof AuthError
            ? authReasons[error.reason]
            : error instanceof ApiError
              ? apiReasons[error.reason]
              : true;
        const described = describeError(error, doing);
        if (!expectsWords) {
          assert.equal(described, undefined, `${reason} is silent`);
          return;
        }
        assert.ok(described, 'has words');
        const { message } = described;
        assert.match(message, /^[A-Z]/, `starts upper-case: ${message}`);
        assert.match(message, /[.!?]$/, `ends with punctuation: ${message}`);
        assert.doesNotMatch(message, /\s[.:]|\.\.|: \./, `no dangling punctuation: ${message}`);
        if (doing) {
          assert.ok(message.startsWith(`Could not ${doing}: `), message);
        }
      });
    }
  }

  it('words the two messages users saw in lower case as sentences', () => {
    assert.equal(
      describeError(new AuthError('noAccount', 'no account'))?.message,
      'You are not signed in. Sign in to continue.',
    );
    assert.match(
      describeError(new AuthError('network', 'getaddrinfo ENOTFOUND', 'ENOTFOUND'))?.message ?? '',
      /^The sign-in service could not be reached \(ENOTFOUND\)\. /,
    );
  });

  it('stays silent on cancellation', () => {
    assert.equal(describeError(new CancellationError()), undefined);
  });

  it('makes a sentence of any clause', () => {
    assert.equal(sentence('the service is busy'), 'The service is busy.');
    assert.equal(
      sentence('it ended (code 5)', 'start the run'),
      'Could not start the run: it ended (code 5).',
    );
    assert.equal(sentence('Done!'), 'Done!');
  });
});
