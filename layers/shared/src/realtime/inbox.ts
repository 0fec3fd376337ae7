import type { CassandraClient } from '../clients/cassandra.js';
import type { NewMessagePush } from './protocol.js';

/**
 * Messages for a user stay in the inbox until the user acknowledges them. One user's messages share a partition, so
 * they are written in one unlogged batch: a single write for Cassandra.
 */
export async function putInbox(
  db: CassandraClient,
  userId: string,
  entries: { push: NewMessagePush; correlationId: string | undefined }[],
): Promise<void> {
  if (entries.length === 0) return;
  await db.batch(
    entries.map(({ push, correlationId }) => ({
      query: 'INSERT INTO inbox_by_user (user_id, message_id, payload, correlation_id) VALUES (?, ?, ?, ?)',
      params: [userId, push.message_id, JSON.stringify(push), correlationId],
    })),
    { prepare: true, logged: false },
  );
}

/** What the user has not acknowledged yet, oldest first. */
export async function pendingInbox(db: CassandraClient, userId: string, limit = 1000): Promise<NewMessagePush[]> {
  const result = await db.execute('SELECT payload FROM inbox_by_user WHERE user_id = ? LIMIT ?', [userId, limit]);
  return result.rows.map((row) => JSON.parse(row.get('payload')) as NewMessagePush);
}

/**
 * The conversation (and the send's correlation id, for rows written since migration 0006) of a message waiting in
 * this user's inbox; undefined when it is not there (not theirs, or acked).
 */
export async function inboxEntry(
  db: CassandraClient,
  userId: string,
  messageId: string,
): Promise<{ conversationId: string; correlationId: string | undefined } | undefined> {
  const row = (
    await db.execute('SELECT payload, correlation_id FROM inbox_by_user WHERE user_id = ? AND message_id = ?', [
      userId,
      messageId,
    ])
  ).first();
  if (!row) return undefined;
  return {
    conversationId: (JSON.parse(row.get('payload')) as NewMessagePush).conversation_id,
    correlationId: row.get('correlation_id') ?? undefined,
  };
}

export async function removeFromInbox(db: CassandraClient, userId: string, messageId: string): Promise<void> {
  await db.execute('DELETE FROM inbox_by_user WHERE user_id = ? AND message_id = ?', [userId, messageId]);
}
