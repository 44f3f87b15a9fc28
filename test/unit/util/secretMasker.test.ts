import assert from 'node:assert/strict';
import { SecretMasker } from '../../../src/core/util/secretMasker';

describe('SecretMasker', () => {
  it('masks long secrets anywhere in free text, with their JSON-escaped form', () => {
    const m = new SecretMasker();
    m.add('S3cret-Passw0rd!');
    m.add('say "hi" now');
    assert.equal(m.mask('login with S3cret-Passw0rd!x failed'), 'login with ********x failed');
    assert.equal(m.mask(JSON.stringify({ p: 'say "hi" now' })), '{"p":"********"}');
  });

  it('masks a short secret only where it stands alone: ids, words and JSON numbers stay intact', () => {
    const m = new SecretMasker();
    m.add('5180');
    const id = '0000aaaa-5180-4bcd-8e00-123451806789';
    assert.equal(m.mask(`environment ${id}`), `environment ${id}`);
    assert.equal(m.mask('{"Count":5180}'), '{"Count":5180}');
    assert.equal(m.mask('PIN 5180 was rejected'), 'PIN ******** was rejected');
    assert.equal(m.mask('port 51800'), 'port 51800');
  });

  it('never masks JSON literals or secrets under 4 characters in free text', () => {
    const m = new SecretMasker();
    m.add('true');
    m.add('ab');
    assert.equal(m.mask('{"finished": true, "name": "ab"}'), '{"finished": true, "name": "ab"}');
  });

  it('masks structured values by value: any length, ids and booleans kept, result still serialisable', () => {
    const m = new SecretMasker();
    m.add('ab');
    m.add('true');
    m.add('5180');
    const value = {
      runId: '0000aaaa-5180-4bcd-8e00-123451806789',
      finished: true,
      outputs: { Secret: 'ab', Flag: 'true', Note: 'code 5180 here', Count: 5180, List: ['ab', 'x'] },
    };
    const masked = m.maskValue(value);
    assert.deepEqual(masked, {
      runId: value.runId,
      finished: true,
      outputs: {
        Secret: '********',
        Flag: '********',
        Note: 'code ******** here',
        Count: 5180,
        List: ['********', 'x'],
      },
    });
    assert.equal(value.outputs.Secret, 'ab', 'the original is not changed');
    JSON.parse(JSON.stringify(masked));
  });
});
