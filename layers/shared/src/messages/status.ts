import cassandra from 'cassandra-driver';
import type { CassandraClient } from '../clients/cassandra.js';
import type { MessageStatus, StatusEvent } from './model.js';

/**
 * A status only moves forward, whatever the order or duplication of events (Kafka is
 * at-least-once, providers send receipts out of order). Rather than read-then-write or a
 * lightweight transaction per event, every status write carries a Cassandra write timestamp
 * derived from the status's rank: the cell with the highest timestamp wins, so a late DELIVERED
 * can never overwrite READ, and applying an event is one idempotent, order-free write.
 * The `*_at` cells use "earliest wins" timestamps, so a repeated event keeps the first time.
 * Every write of these cells must go through this module.
 */
export const STATUS_RANK: Record<MessageStatus, number> = {
  ACCEPTED: 1,
  PENDING: 2,
  SENT: 3,
  FAILED: 4,
  DELIVERED: 5,
  READ: 6,
};

export const MESSAGE_STATUSES = Object.keys(STATUS_RANK) as MessageStatus[];

const AT_COLUMN: Record<MessageStatus, string> = {
  ACCEPTED: 'accepted_at',
  PENDING: 'pending_at',
  SENT: 'sent_at',
  FAILED: 'failed_at',
  DELIVERED: 'delivered_at',
  READ: 'read_at',
};

const { Long } = cassandra.types;
type LongValue = InstanceType<typeof Long>;

/** Tiny timestamps ordered by rank: far below any wall-clock write, never mixed with one. */
export const rankTimestamp = (status: MessageStatus): LongValue => Long.fromNumber(STATUS_RANK[status]);

/** Larger for earlier times, so the first occurrence of a status keeps its time. */
export const earliestWinsTimestamp = (at: Date): LongValue =>
  Long.fromNumber(Number.MAX_SAFE_INTEGER - at.getTime() * 1000);

export interface BatchStatement {
  query: string;
  params: unknown[];
}

/** The statements that apply one status event to a message (both tables and the history). */
export function statusStatements(event: StatusEvent & { conversation_id: string }): BatchStatement[] {
  const at = new Date(event.at);
  const statements: BatchStatement[] = [
    {
      query: 'UPDATE messages_by_id USING TIMESTAMP ? SET status = ? WHERE message_id = ?',
      params: [rankTimestamp(event.status), event.status, event.message_id],
    },
    {
      query: `UPDATE messages_by_id USING TIMESTAMP ? SET ${AT_COLUMN[event.status]} = ? WHERE message_id = ?`,
      params: [earliestWinsTimestamp(at), at, event.message_id],
    },
    {
      query:
        'UPDATE messages_by_conversation USING TIMESTAMP ? SET status = ? WHERE conversation_id = ? AND message_id = ?',
      params: [rankTimestamp(event.status), event.status, event.conversation_id, event.message_id],
    },
    {
      query: 'INSERT INTO message_status_history (message_id, at, status, source, detail) VALUES (?, ?, ?, ?, ?)',
      params: [event.message_id, at, event.status, event.source, event.reason],
    },
  ];
  if (event.status === 'FAILED' && event.reason) {
    statements.push({
      query: 'UPDATE messages_by_id USING TIMESTAMP ? SET failure_reason = ? WHERE message_id = ?',
      params: [earliestWinsTimestamp(at), event.reason, event.message_id],
    });
  }
  if (event.provider_message_id) {
    statements.push({
      query: 'UPDATE messages_by_id SET provider_message_id = ? WHERE message_id = ?',
      params: [event.provider_message_id, event.message_id],
    });
  }
  return statements;
}

export async function applyStatus(
  db: CassandraClient,
  event: StatusEvent & { conversation_id: string },
): Promise<void> {
  await db.batch(statusStatements(event), { prepare: true, logged: false });
}
