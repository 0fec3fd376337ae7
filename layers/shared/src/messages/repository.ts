import type cassandra from 'cassandra-driver';
import type { CassandraClient } from '../clients/cassandra.js';
import type { MessageStatus } from './model.js';

/** A message with its whole life: what history shows, plus every status time and the failure. */
export interface StoredMessage extends HistoryMessage {
  accepted_at: string | null;
  pending_at: string | null;
  sent_at: string | null;
  delivered_at: string | null;
  read_at: string | null;
  failed_at: string | null;
  failure_reason: string | null;
  provider_message_id: string | null;
  /** The X-Correlation-Id of the send, carried by every event of this message. */
  correlation_id: string | null;
}

export interface HistoryMessage {
  message_id: string;
  conversation_id: string;
  sender_id: string;
  recipient: string | null;
  channel: string;
  content: string | null;
  file_id: string | null;
  created_at: string;
  status: MessageStatus;
}

const iso = (value: Date | null | undefined): string | null => (value ? value.toISOString() : null);

/** The fields both tables share, from a row of either. */
const historyFields = (row: cassandra.types.Row, conversationId: string): HistoryMessage => ({
  message_id: row.get('message_id'),
  conversation_id: conversationId,
  sender_id: row.get('sender_id')?.toString(),
  recipient: row.get('recipient'),
  channel: row.get('channel'),
  content: row.get('content'),
  file_id: row.get('file_id'),
  created_at: iso(row.get('created_at'))!,
  status: row.get('status'),
});

export async function findMessage(db: CassandraClient, messageId: string): Promise<StoredMessage | undefined> {
  const row = (await db.execute('SELECT * FROM messages_by_id WHERE message_id = ?', [messageId])).first();
  return row ? storedMessage(row) : undefined;
}

/** Several messages in one query (a batch of status events); the ids not stored yet are missing from the map. */
export async function findMessages(db: CassandraClient, messageIds: string[]): Promise<Map<string, StoredMessage>> {
  const found = new Map<string, StoredMessage>();
  if (messageIds.length === 0) return found;
  const result = await db.execute('SELECT * FROM messages_by_id WHERE message_id IN ?', [messageIds]);
  for (const row of result.rows) {
    const message = storedMessage(row);
    if (message) found.set(message.message_id, message);
  }
  return found;
}

/** A messages_by_id row as a message; undefined for a row that has only status cells (an event came first). */
function storedMessage(row: cassandra.types.Row): StoredMessage | undefined {
  if (!row.get('conversation_id')) return undefined;
  return {
    ...historyFields(row, row.get('conversation_id')),
    accepted_at: iso(row.get('accepted_at')),
    pending_at: iso(row.get('pending_at')),
    sent_at: iso(row.get('sent_at')),
    delivered_at: iso(row.get('delivered_at')),
    read_at: iso(row.get('read_at')),
    failed_at: iso(row.get('failed_at')),
    failure_reason: row.get('failure_reason'),
    provider_message_id: row.get('provider_message_id'),
    correlation_id: row.get('correlation_id'),
  };
}

/** Oldest first, strictly after `afterId` when given; `limit` rows at most. */
export async function listHistory(
  db: CassandraClient,
  conversationId: string,
  { afterId, limit }: { afterId?: string | undefined; limit: number },
): Promise<HistoryMessage[]> {
  const columns = 'message_id, sender_id, recipient, channel, content, file_id, created_at, status';
  const result = afterId
    ? await db.execute(
        `SELECT ${columns} FROM messages_by_conversation WHERE conversation_id = ? AND message_id > ? LIMIT ?`,
        [conversationId, afterId, limit],
      )
    : await db.execute(`SELECT ${columns} FROM messages_by_conversation WHERE conversation_id = ? LIMIT ?`, [
        conversationId,
        limit,
      ]);
  return result.rows.map((row) => historyFields(row, conversationId));
}
