import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CancellationError } from '../../../src/core/errors';
import { defaultStateDir, SharedRunState } from '../../../src/core/runs/sharedRunState';

const signal = new AbortController().signal;

function freshDir(): string {
  return path.join(mkdtempSync(path.join(tmpdir(), 'desktopflows-shared-')), 'state');
}

describe('runs: state shared across processes', () => {
  it('lives in the OS per-user state directory, or DESKTOPFLOWS_STATE_DIR', () => {
    assert.equal(defaultStateDir({}, 'linux', '/home/u'), '/home/u/.local/state/desktop-flows');
    assert.equal(
      defaultStateDir({ XDG_STATE_HOME: '/x/state' }, 'linux', '/home/u'),
      '/x/state/desktop-flows',
    );
    assert.equal(
      defaultStateDir({}, 'darwin', '/Users/u'),
      '/Users/u/Library/Application Support/desktop-flows',
    );
    assert.equal(
      defaultStateDir({ LOCALAPPDATA: 'C:\\Users\\u\\AppData\\Local' }, 'win32', 'C:\\Users\\u'),
      path.join('C:\\Users\\u\\AppData\\Local', 'desktop-flows'),
    );
    assert.equal(defaultStateDir({ DESKTOPFLOWS_STATE_DIR: '/tmp/s' }, 'linux', '/home/u'), '/tmp/s');
  });

  it('keeps claims in a user-only file (0600 in a 0700 directory), seen by every instance, bounded in size', async () => {
    const dir = freshDir();
    const a = new SharedRunState(dir, { maxClaims: 3 });
    const b = new SharedRunState(dir);
    await a.claim(['AAAA-1', 'bbbb-2'], signal);
    assert.deepEqual([...(await b.claimed())].sort(), ['aaaa-1', 'bbbb-2']);
    if (process.platform !== 'win32') {
      assert.equal(statSync(dir).mode & 0o777, 0o700);
      assert.equal(statSync(path.join(dir, 'claims.json')).mode & 0o777, 0o600);
    }
    for (let i = 0; i < 5; i++) {
      await a.claim([`run-${i}`], signal);
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    const kept = await b.claimed();
    assert.equal(kept.size, 3, 'only the newest claims are kept');
    assert.ok(kept.has('run-4'));
    assert.deepEqual(
      readdirSync(dir).filter((f) => f.endsWith('.tmp')),
      [],
      'no temporary files are left',
    );
  });

  it('forgets claims older than the retention', async () => {
    const dir = freshDir();
    const s = new SharedRunState(dir, { claimRetentionMs: 60_000 });
    await s.claim(['new'], signal);
    const file = path.join(dir, 'claims.json');
    const content = JSON.parse(readFileSync(file, 'utf8')) as { claims: Record<string, number> };
    content.claims.old = Date.now() - 120_000;
    writeFileSync(file, JSON.stringify(content));
    await s.claim(['newer'], signal);
    assert.deepEqual([...(await s.claimed())].sort(), ['new', 'newer']);
  });

  it('lets one holder at a time take a lock; the next waits, and gives up when cancelled', async () => {
    const dir = freshDir();
    const a = new SharedRunState(dir);
    const b = new SharedRunState(dir);
    const order: string[] = [];
    const held = await a.lock('flow|conn', signal);
    const waiting = b.withLock('flow|conn', signal, () => {
      order.push('b');
      return Promise.resolve();
    });
    const giveUp = new AbortController();
    const cancelled = b.lock('flow|conn', giveUp.signal);
    await new Promise((resolve) => setTimeout(resolve, 100));
    order.push('a releases');
    giveUp.abort();
    await assert.rejects(cancelled, (e: unknown) => CancellationError.is(e));
    await held.release();
    await waiting;
    assert.deepEqual(order, ['a releases', 'b']);
    // Other keys are independent.
    const other = await a.lock('flow|other-conn', signal);
    await other.release();
  });

  it('breaks a lock left by a process that died while holding it', async () => {
    const dir = freshDir();
    const script = `
      const { SharedRunState } = require(${JSON.stringify(path.resolve(__dirname, '../../../src/core/runs/sharedRunState.ts'))});
      new SharedRunState(${JSON.stringify(dir)}).lock('flow|conn', new AbortController().signal)
        .then(() => process.kill(process.pid, 'SIGKILL'));
    `;
    const child = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { encoding: 'utf8' });
    assert.equal(child.signal, 'SIGKILL', child.stderr);
    assert.equal(readdirSync(path.join(dir, 'locks')).length, 1, 'the dead process left its lock file');
    const s = new SharedRunState(dir);
    const started = Date.now();
    const held = await s.lock('flow|conn', AbortSignal.timeout(10_000));
    assert.ok(Date.now() - started < 5_000, 'taken without waiting for the staleness timeout');
    await held.release();
    assert.deepEqual(readdirSync(path.join(dir, 'locks')), []);
  });
});
