import type { CassandraClient } from '../clients/cassandra.js';
import { BATCH_CONCURRENCY, mapWithLimit } from '../concurrency.js';
import type { StatusEvent, StatusUpdateNotification } from '../contracts/records.js';
import { TOPICS } from '../contracts/topics.js';
import { publish, type OutgoingRecord } from '../kafka/producer.js';
import { findMessages, type StoredMessage } from '../messages/repository.js';
import { histogram } from '../metrics/registry.js';
import { connectionsOf } from '../realtime/connections.js';

const DELIVERY_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** End-to-end latency: from the send (created_at) to the first DELIVERED. */
function observeDeliveryLatency(message: StoredMessage): void {
  if (!message.delivered_at) return;
  const seconds = (Date.parse(message.delivered_at) - Date.parse(message.created_at)) / 1000;
  histogram('message_delivery_latency_seconds', 'From send to DELIVERED', ['channel'], DELIVERY_BUCKETS).observe(
    { channel: message.channel },
    Math.max(0, seconds),
  );
}

/** The live connection ids of each user (one read per user); users with none are left out. */
async function connectedUsers(db: CassandraClient, userIds: string[]): Promise<Map<string, string[]>> {
  const found = await mapWithLimit([...new Set(userIds)], BATCH_CONCURRENCY, async (userId) => ({
    userId,
    connectionIds: (await connectionsOf(db, userId)).map((connection) => connection.connectionId),
  }));
  return new Map(
    found.filter((user) => user.connectionIds.length > 0).map((user) => [user.userId, user.connectionIds]),
  );
}

/**
 * After status events were applied: tells each message's sender its current status, through
 * the notifications topic (keyed by the sender, so the realtime function pushes them in order).
 * The status is read back, so a late, lower event announces the status that actually holds.
 * Only senders connected now get a record, naming their connections: a status is pushed to the connections open
 * when it was applied, and a sender with none (an HTTP-only client) costs no record, no invocation and no push.
 */
export async function announceStatusChanges(db: CassandraClient, events: StatusEvent[]): Promise<void> {
  const latest = new Map(events.map((event) => [event.message_id, event]));
  const messages = await findMessages(db, [...latest.keys()]);
  for (const [messageId, event] of latest) {
    const message = messages.get(messageId);
    if (message && event.status === 'DELIVERED') observeDeliveryLatency(message);
  }
  const senders = [...messages.values()].flatMap((message) => (message.sender_id ? [message.sender_id] : []));
  const connected = await connectedUsers(db, senders);
  const commands = [...latest.keys()].map((messageId): OutgoingRecord | undefined => {
    const message = messages.get(messageId);
    const connectionIds = message?.sender_id ? connected.get(message.sender_id) : undefined;
    if (!message?.sender_id || !connectionIds) return undefined;
    const at = message[`${message.status.toLowerCase()}_at` as 'sent_at'] ?? latest.get(messageId)!.at;
    const command: StatusUpdateNotification = {
      kind: 'status_update',
      to: message.sender_id,
      update: {
        type: 'status_update',
        message_id: messageId,
        conversation_id: message.conversation_id,
        status: message.status,
        at,
      },
      connection_ids: connectionIds,
    };
    return {
      key: message.sender_id,
      value: command,
      headers: message.correlation_id ? { correlation_id: message.correlation_id } : {},
    };
  });
  await publish({
    [TOPICS.notifications]: commands.filter((command): command is OutgoingRecord => command !== undefined),
  });
}
