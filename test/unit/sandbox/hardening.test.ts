/**
 * The sandbox cannot be bricked: control input is validated (a refused request changes nothing), fault
 * paths match without regex backtracking, log lines are capped, and bad OData gets a Dataverse-shaped
 * 400 — never a 500 and never "match everything". Each request here is bounded in count and size.
 */
import assert from 'node:assert/strict';
import type { Logger } from '../../../src/core/logger';
import { globMatches } from '../../../src/sandbox/faults';
import { maxLogLineChars } from '../../../src/sandbox/logLines';
import { errorOf, startHarness } from './sandboxHarness';
import type { Harness } from './sandboxHarness';

/** A logger that keeps every line it is given (message and arguments joined). */
function keepingLogger(lines: string[]): Logger {
  const keep = (m: string | Error, ...a: unknown[]): void => {
    lines.push([m instanceof Error ? (m.stack ?? m.message) : m, ...a.map(String)].join(' '));
  };
  return { trace: keep, debug: keep, info: keep, warn: keep, error: keep };
}

describe('sandbox: it cannot be bricked', () => {
  let h: Harness;
  const lines: string[] = [];
  before(async () => {
    h = await startHarness({ logger: keepingLogger(lines) });
  });
  after(() => h.close());
  afterEach(() => {
    h.sandbox.faults.clear();
    lines.length = 0;
  });

  const control = (path: string, body: unknown): Promise<Response> =>
    fetch(`${h.sandbox.url}/_sandbox/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('refuses clock speeds and jumps it cannot keep, and keeps serving', async () => {
    const before = h.sandbox.clock.speed;
    for (const body of [
      { speed: 1e308 },
      { speed: 0 },
      { speed: -1 },
      { advanceSeconds: 1e300 },
      { speed: 2, advanceSeconds: -5 },
    ]) {
      const r = await control('clock', body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.match(
        ((await r.json()) as { error: { message: string } }).error.message,
        /must be a number from/,
      );
    }
    assert.equal(h.sandbox.clock.speed, before, 'a refused request changes nothing');
    assert.equal((await h.dv('workflows?$top=1')).status, 200);
    const clock = (await (await fetch(`${h.sandbox.url}/_sandbox/clock`)).json()) as { now: string };
    assert.ok(Number.isFinite(Date.parse(clock.now)));
  });

  it('refuses settings out of range or of the wrong shape, and a refused request changes nothing', async () => {
    const before = JSON.stringify(h.sandbox.settings);
    const cases: unknown[] = [
      { queueTimeoutSeconds: 1e308 },
      { dispatchDelaySeconds: -1 },
      { runsPerMinutePerConnection: 0.5 },
      { requestBudget: {} },
      { cancelFinishedRun: 'sometimes' },
      { concurrentRequestLimit: 10, nope: 1 },
      JSON.parse('{"__proto__": {"polluted": true}}'),
    ];
    for (const body of cases) {
      const r = await control('settings', body);
      assert.equal(r.status, 400, JSON.stringify(body));
    }
    assert.equal(JSON.stringify(h.sandbox.settings), before);
    assert.equal((h.sandbox.settings as unknown as Record<string, unknown>).polluted, undefined);
    const ok = await control('settings', { dispatchDelaySeconds: 2 });
    assert.equal(ok.status, 200);
    assert.equal(h.sandbox.settings.dispatchDelaySeconds, 2);
    await control('settings', { dispatchDelaySeconds: 1 });
  });

  it('refuses oversized or malformed faults, and requests go on being answered', async () => {
    const cases: [unknown, RegExp][] = [
      [{ path: `/${'a'.repeat(60 * 1024)}`, kind: 'status', status: 500 }, /at most 2048 characters/],
      [{ path: '/x', kind: 'status', status: 500, count: 1e12 }, /`count` must be a whole number from 1/],
      [{ path: '/x', kind: 'status', status: 429, retryAfterSeconds: 1e9 }, /retryAfterSeconds/],
      [{ path: '/x', kind: 'drop', probability: '0.5' }, /`probability` must be a number/],
      [{ path: '/x', kind: 'drop', method: 'G E T\n' }, /`method` must be an HTTP method/],
    ];
    for (const [spec, message] of cases) {
      const r = await control('faults', spec);
      assert.equal(r.status, 400);
      assert.match(((await r.json()) as { error: { message: string } }).error.message, message);
    }
    assert.equal((await h.dv('workflows?$top=1')).status, 200);
  });

  it('matches fault paths in linear time: many stars cannot stall requests', async () => {
    const stars = { pieces: `/${'*'.repeat(40)}x`.split('*') };
    // A backtracking regex takes seconds on this; the piece matcher answers at once.
    assert.equal(globMatches(stars, `/${'a'.repeat(5_000)}`), false);
    assert.equal(globMatches(stars, `/${'a'.repeat(5_000)}x`), true);
    assert.equal(globMatches({ pieces: ['/org/', '/api/', ''] }, '/org/dev/api/data'), true);
    assert.equal(globMatches({ pieces: ['/org/', '/api'] }, '/org/api'), false, 'pieces may not overlap');

    const created = await control('faults', { path: `/${'*'.repeat(1_000)}x`, kind: 'status', status: 503 });
    assert.equal(created.status, 201);
    assert.equal((await h.dv(`workflows?$top=1&q=${'a'.repeat(2_000)}`)).status, 200, 'no match, no stall');
    const hit = await fetch(`${h.sandbox.url}/org/contoso-dev/${'a'.repeat(3_000)}x`);
    assert.equal(hit.status, 503);
  });

  it('caps log lines, however long the request', async () => {
    await h.dv(`workflows?$top=1`, { headers: { 'x-pad': 'p' } });
    await fetch(`${h.sandbox.url}/nowhere/${'z'.repeat(10_000)}`);
    assert.ok(lines.length > 0);
    for (const line of lines) {
      assert.ok(line.length < maxLogLineChars + 100, `a log line of ${line.length} characters`);
    }
    assert.ok(lines.some((l) => /more characters\)/.test(l)));
  });

  it('answers bad OData with Dataverse-shaped 400s, never 500 and never every row', async () => {
    const nested = `${'('.repeat(5_000)}statecode eq 0${')'.repeat(5_000)}`;
    // Parentheses unencoded, as clients send them: 10 KB, under Node's 16 KB header limit.
    const deep = await h.dv(`flowsessions?$filter=${nested.replace(/ /g, '%20')}`);
    assert.equal(deep.status, 400, deep.text.slice(0, 200));
    assert.equal(errorOf(deep).code, '0x80060888');

    const nots = await h.dv(
      `flowsessions?$filter=${`${'not '.repeat(1_000)}(statecode eq 0)`.replace(/ /g, '%20')}`,
    );
    assert.equal(nots.status, 400);

    for (const literal of ['2025-13-45T10:00:00Z', '2025-02-30T00:00:00Z', '2025-01-01T25:61:00Z']) {
      const r = await h.dv(`flowsessions?$filter=${encodeURIComponent(`createdon ne ${literal}`)}`);
      assert.equal(r.status, 400, literal);
      assert.equal(errorOf(r).code, '0x80060888');
      assert.match(errorOf(r).message, new RegExp(`The DateTimeOffset text '${literal}'`));
    }
    const valid = await h.dv(
      `flowsessions?$filter=${encodeURIComponent('createdon ne 2025-02-28T00:00:00Z')}`,
    );
    assert.equal(valid.status, 200);

    const empty = await fetch(`${h.sandbox.url}/org//api/data/v9.2/workflows`, {
      headers: { authorization: `Bearer ${h.token()}` },
    });
    assert.equal(empty.status, 400);
    const body = (await empty.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, '0x80060888');
    assert.match(body.error.message, /names no organization/);
  });
});
