import type { CassandraClient } from '../clients/cassandra.js';
import type { NewMessagePush } from './protocol.js';

/**
 * Messages for a user stay in the inbox until the user acknowledges them. One user's messages share a partition, so
 * they are written in one unlogged batch: a single write for Cassandra.
 */
export async function putInbox(db: CassandraClient, userId: string, pushes: NewMessagePush[]): Promise<void> {
  if (pushes.length === 0) return;
  await db.batch(
    pushes.map((push) => ({
      query: 'INSERT INTO inbox_by_user (user_id, message_id, payload) VALUES (?, ?, ?)',
      params: [userId, push.message_id, JSON.stringify(push)],
    })),
    { prepare: true, logged: false },
  );
}

/** What the user has not acknowledged yet, oldest first. */
export async function pendingInbox(db: CassandraClient, userId: string, limit = 1000): Promise<NewMessagePush[]> {
  const result = await db.execute('SELECT payload FROM inbox_by_user WHERE user_id = ? LIMIT ?', [userId, limit]);
  return result.rows.map((row) => JSON.parse(row.get('payload')) as NewMessagePush);
}

/** The conversation of a message waiting in this user's inbox; undefined when it is not there (not theirs, or acked). */
export async function inboxEntry(
  db: CassandraClient,
  userId: string,
  messageId: string,
): Promise<{ conversationId: string } | undefined> {
  const row = (
    await db.execute('SELECT payload FROM inbox_by_user WHERE user_id = ? AND message_id = ?', [userId, messageId])
  ).first();
  return row ? { conversationId: (JSON.parse(row.get('payload')) as NewMessagePush).conversation_id } : undefined;
}

export async function removeFromInbox(db: CassandraClient, userId: string, messageId: string): Promise<void> {
  await db.execute('DELETE FROM inbox_by_user WHERE user_id = ? AND message_id = ?', [userId, messageId]);
}
