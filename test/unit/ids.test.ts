import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UUID_PATTERN, uuidv7, uuidv7Time } from '@chat4all/shared/ids.js';

describe('uuidv7', () => {
  it('is a version 7, variant 10 UUID carrying its creation time', () => {
    const now = Date.UTC(2026, 10, 27, 12, 0, 0);
    const id = uuidv7(now + 1000);
    assert.match(id, UUID_PATTERN);
    assert.equal(id[14], '7');
    assert.match(id[19]!, /[89ab]/);
    assert.equal(uuidv7Time(id).getTime(), now + 1000);
  });

  it('sorts strictly in creation order within one millisecond and across many', () => {
    const ids = Array.from({ length: 10_000 }, () => uuidv7());
    assert.deepEqual([...ids].sort(), ids);
    assert.equal(new Set(ids).size, ids.length);
  });

  it('never goes backwards when the clock does', () => {
    const later = uuidv7(Date.now() + 60_000);
    const earlierClock = uuidv7(Date.now());
    assert.ok(earlierClock > later);
  });
});
