import * as assert from 'node:assert/strict';
import { apiErrorReferenceSuffix, formatApiErrorReference } from '../../../src/core/apiErrorReference';
import { ApiError } from '../../../src/core/errors';
import { describeError } from '../../../src/vscode/errorMessages';
import { describeFailure } from '../../../src/cli/cliErrors';

const forbidden = new ApiError({
  reason: 'forbidden',
  message: 'Principal user is missing prvReadworkflow privilege.',
  status: 403,
  code: '0x80040220',
  requestId: '5c1f7a2e-0000-4000-8000-000000000001',
});

describe('ApiError reference', () => {
  it('quotes status, service code and request id in that order', () => {
    assert.equal(
      formatApiErrorReference(forbidden),
      'HTTP 403, 0x80040220, request 5c1f7a2e-0000-4000-8000-000000000001',
    );
  });

  it('leaves out what is unknown, and is empty when nothing is known', () => {
    assert.equal(formatApiErrorReference({ status: 429, code: undefined, requestId: undefined }), 'HTTP 429');
    assert.equal(formatApiErrorReference({ status: undefined, code: ' ', requestId: 'r1' }), 'request r1');
    assert.equal(formatApiErrorReference({ status: undefined, code: undefined, requestId: undefined }), '');
    assert.equal(apiErrorReferenceSuffix({ status: undefined, code: undefined, requestId: undefined }), '');
  });

  it('reads the same in the extension and in the terminal', () => {
    const reference = '(HTTP 403, 0x80040220, request 5c1f7a2e-0000-4000-8000-000000000001)';
    assert.ok(describeError(forbidden)?.message.includes(reference), describeError(forbidden)?.message);
    assert.ok(describeFailure(forbidden).message.includes(reference), describeFailure(forbidden).message);
  });
});
