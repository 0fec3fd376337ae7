import { unsetIfNull, type CassandraClient } from '../clients/cassandra.js';
import { BATCH_CONCURRENCY, mapWithLimit } from '../concurrency.js';
import type { AcceptedMessage } from '../contracts/records.js';
import { statusStatements, type BatchStatement } from '../messages/status.js';

/** Rows for a message accepted by the router: both tables plus the ACCEPTED status. */
function acceptedStatements(message: AcceptedMessage, correlationId: string | undefined): BatchStatement[] {
  const createdAt = new Date(message.created_at);
  const common = [
    message.sender_id,
    unsetIfNull(message.recipient),
    message.channel,
    unsetIfNull(message.content),
    unsetIfNull(message.file_id),
    createdAt,
  ];
  return [
    {
      query:
        'INSERT INTO messages_by_conversation (conversation_id, message_id, sender_id, recipient, channel, content, file_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      params: [message.conversation_id, message.message_id, ...common],
    },
    {
      query:
        'INSERT INTO messages_by_id (message_id, conversation_id, sender_id, recipient, channel, content, file_id, created_at, correlation_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      params: [message.message_id, message.conversation_id, ...common, correlationId],
    },
    ...statusStatements({
      message_id: message.message_id,
      conversation_id: message.conversation_id,
      status: 'ACCEPTED',
      at: message.created_at,
      source: 'router',
    }),
  ];
}

export async function storeAccepted(
  db: CassandraClient,
  message: AcceptedMessage,
  correlationId?: string,
): Promise<void> {
  await db.batch(acceptedStatements(message, correlationId), { prepare: true, logged: false });
}

/** The ids among `messageIds` the router already forwarded (a redelivered record must not fan out twice). */
export async function alreadyRouted(db: CassandraClient, messageIds: string[]): Promise<Set<string>> {
  if (messageIds.length === 0) return new Set();
  const result = await db.execute('SELECT message_id, routed_at FROM messages_by_id WHERE message_id IN ?', [
    messageIds,
  ]);
  return new Set(result.rows.filter((row) => row.get('routed_at')).map((row) => row.get('message_id') as string));
}

export async function markRouted(db: CassandraClient, messageIds: string[], at = new Date()): Promise<void> {
  await mapWithLimit(messageIds, BATCH_CONCURRENCY, (id) =>
    db.execute('UPDATE messages_by_id SET routed_at = ? WHERE message_id = ?', [at, id]),
  );
}
