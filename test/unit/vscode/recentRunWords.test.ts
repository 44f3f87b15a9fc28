import assert from 'node:assert/strict';
import { recentRunLabel, relativeTime } from '../../../src/vscode/runs/recentRunWords';

const now = Date.parse('2026-12-03T12:00:00Z');

describe('recent-run row words', () => {
  it('leads with the status, then how long ago, then the run time', () => {
    const label = recentRunLabel(
      { status: 'succeeded', createdOn: '2026-12-03T11:57:00Z', runTimeMs: 8_000 },
      now,
    );
    assert.match(label, /^✓ Succeeded · 3 min ago · 8/i);
    assert.match(
      recentRunLabel({ status: 'failed', createdOn: '2026-12-01T12:00:00Z', runTimeMs: 1_000 }, now),
      /^✗ Failed · 2 days ago · /i,
    );
  });

  it('says queued or running for active runs, without a run time', () => {
    assert.equal(
      recentRunLabel({ status: 'waiting', createdOn: '2026-12-03T11:59:50Z', runTimeMs: 5_000 }, now),
      'queued · just now',
    );
    assert.equal(
      recentRunLabel({ status: 'running', createdOn: '2026-12-03T09:00:00Z', runTimeMs: undefined }, now),
      'running · 3 h ago',
    );
  });

  it('leaves out a start time it cannot read', () => {
    assert.equal(relativeTime('not a date', now), undefined);
    assert.equal(relativeTime(undefined, now), undefined);
  });
});
