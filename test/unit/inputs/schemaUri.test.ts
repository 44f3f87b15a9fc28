import assert from 'node:assert/strict';
import {
  formatSchemaUri,
  hasSchemaUriScheme,
  parseSchemaUri,
  schemaUriScheme,
} from '../../../src/core/inputs/schemaUri';

const flowId = '1d8f0c3e-2b6a-4f1e-9c7d-5a3b2e1f0a9b';

describe('inputs: desktopflows-schema URIs', () => {
  it('formats the flow-only and the environment forms', () => {
    assert.equal(schemaUriScheme, 'desktopflows-schema');
    assert.equal(formatSchemaUri({ flowId }), `desktopflows-schema:/${flowId}.json`);
    assert.equal(
      formatSchemaUri({ flowId, environment: 'Default-7f3a9c2e-5b1d-4e8a-9c6f-0d2b4a6e8c10' }),
      `desktopflows-schema:/Default-7f3a9c2e-5b1d-4e8a-9c6f-0d2b4a6e8c10/${flowId}.json`,
    );
    assert.equal(
      formatSchemaUri({ flowId, environment: 'unq1234' }),
      `desktopflows-schema:/unq1234/${flowId}.json`,
    );
  });

  it('parses what it formats, for environment ids, unique names and odd characters', () => {
    for (const target of [
      { flowId },
      { flowId, environment: 'Default-7f3a9c2e-5b1d-4e8a-9c6f-0d2b4a6e8c10' },
      { flowId, environment: 'contoso_dev' },
      { flowId: 'flow with spaces/and slash', environment: 'env?#%' },
    ]) {
      assert.deepEqual(parseSchemaUri(formatSchemaUri(target)), target);
    }
  });

  it('accepts the empty-authority spelling, any scheme case, and a query or fragment', () => {
    assert.deepEqual(parseSchemaUri(`desktopflows-schema:///env1/${flowId}.json`), {
      flowId,
      environment: 'env1',
    });
    assert.deepEqual(parseSchemaUri(`DesktopFlows-Schema:/${flowId}.JSON`), { flowId });
    assert.deepEqual(parseSchemaUri(`desktopflows-schema:/${flowId}.json?v=3#x`), { flowId });
  });

  it('rejects other schemes and malformed paths', () => {
    for (const uri of [
      'http://json-schema.org/draft-07/schema#',
      `desktopflows-schema:${flowId}.json`,
      `desktopflows-schema:/${flowId}`,
      `desktopflows-schema:/a/b/${flowId}.json`,
      'desktopflows-schema:/.json',
      'desktopflows-schema:/%E0%A4%A.json',
      'desktopflows-schema://host/x.json',
    ]) {
      assert.equal(parseSchemaUri(uri), undefined, uri);
    }
    assert.equal(hasSchemaUriScheme('desktopflows-schema:oops'), true);
    assert.equal(hasSchemaUriScheme('file:///x.json'), false);
  });
});
