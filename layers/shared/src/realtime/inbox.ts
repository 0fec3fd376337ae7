import type { CassandraClient } from '../clients/cassandra.js';
import type { NewMessagePush } from './protocol.js';

/** A message for a user stays in the inbox until the user acknowledges it. */
export async function putInbox(db: CassandraClient, userId: string, push: NewMessagePush): Promise<void> {
  await db.execute('INSERT INTO inbox_by_user (user_id, message_id, payload) VALUES (?, ?, ?)', [
    userId,
    push.message_id,
    JSON.stringify(push),
  ]);
}

/** What the user has not acknowledged yet, oldest first. */
export async function pendingInbox(db: CassandraClient, userId: string, limit = 1000): Promise<NewMessagePush[]> {
  const result = await db.execute('SELECT payload FROM inbox_by_user WHERE user_id = ? LIMIT ?', [userId, limit]);
  return result.rows.map((row) => JSON.parse(row.get('payload')) as NewMessagePush);
}

/** Removes an acknowledged message; false when it was not in this user's inbox (not theirs, or acked before). */
export async function ackInbox(
  db: CassandraClient,
  userId: string,
  messageId: string,
): Promise<{ conversationId: string } | undefined> {
  const row = (
    await db.execute('SELECT payload FROM inbox_by_user WHERE user_id = ? AND message_id = ?', [userId, messageId])
  ).first();
  if (!row) return undefined;
  await db.execute('DELETE FROM inbox_by_user WHERE user_id = ? AND message_id = ?', [userId, messageId]);
  return { conversationId: (JSON.parse(row.get('payload')) as NewMessagePush).conversation_id };
}
