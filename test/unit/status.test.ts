import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  earliestWinsTimestamp,
  MESSAGE_STATUSES,
  rankTimestamp,
  statusStatements,
} from '@chat4all/shared/messages/status.js';

describe('forward-only status writes', () => {
  it('orders write timestamps by status rank: ACCEPTED < PENDING < SENT < FAILED < DELIVERED < READ', () => {
    const timestamps = MESSAGE_STATUSES.map((status) => rankTimestamp(status).toNumber());
    assert.deepEqual(MESSAGE_STATUSES, ['ACCEPTED', 'PENDING', 'SENT', 'FAILED', 'DELIVERED', 'READ']);
    assert.deepEqual(
      [...timestamps].sort((a, b) => a - b),
      timestamps,
    );
    assert.ok(
      timestamps.every((ts) => ts > 0 && ts < Date.UTC(1971, 0) * 1000),
      'far below wall-clock microseconds',
    );
  });

  it('gives an earlier time a larger timestamp, so the first occurrence wins', () => {
    const first = earliestWinsTimestamp(new Date('2026-11-27T10:00:00.000Z'));
    const repeat = earliestWinsTimestamp(new Date('2026-11-27T10:00:05.000Z'));
    assert.ok(first.greaterThan(repeat));
    assert.ok(repeat.greaterThan(0));
  });

  it('writes the status in both tables with the rank timestamp and records history', () => {
    const statements = statusStatements({
      message_id: 'm1',
      conversation_id: 'c1',
      status: 'FAILED',
      at: '2026-11-27T10:00:00.000Z',
      source: 'whatsapp',
      reason: '131026 undeliverable',
    });
    const queries = statements.map((s) => s.query);
    assert.ok(queries.some((q) => q.startsWith('UPDATE messages_by_id USING TIMESTAMP ? SET status')));
    assert.ok(queries.some((q) => q.startsWith('UPDATE messages_by_conversation USING TIMESTAMP ? SET status')));
    assert.ok(queries.some((q) => q.includes('failed_at')));
    assert.ok(queries.some((q) => q.includes('failure_reason')));
    assert.ok(queries.some((q) => q.startsWith('INSERT INTO message_status_history')));
    for (const statement of statements.filter((s) => s.query.includes('USING TIMESTAMP'))) {
      assert.equal(statement.query.split('?').length - 1, statement.params.length);
    }
  });
});
