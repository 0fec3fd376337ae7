import type { CassandraClient } from '../clients/cassandra.js';
import { TOPICS } from '../contracts/topics.js';
import { findMember } from '../conversations/repository.js';
import { publish } from '../kafka/producer.js';
import { logger } from '../logger.js';
import type { StatusEvent } from '../messages/model.js';
import { isAddressedTo } from '../messages/recipients.js';
import { findMessage, type StoredMessage } from '../messages/repository.js';
import { STATUS_RANK } from '../messages/status.js';
import { ownerOfConnection } from './connections.js';
import { inboxEntry, removeFromInbox } from './inbox.js';

/**
 * What an ack came to: `acked` once DELIVERED is in Kafka; `not_in_inbox` when there is nothing to acknowledge (acked
 * before, or not the user's); `unknown_connection` when the connection's row is gone, so the user cannot be told.
 */
export type AckOutcome = 'acked' | 'not_in_inbox' | 'unknown_connection';

/** A Chat4All user the message was sent to, still a member of its conversation. */
async function isRecipient(db: CassandraClient, message: StoredMessage, userId: string): Promise<boolean> {
  if (message.channel !== 'chat4all' || !isAddressedTo(message, userId)) return false;
  return (await findMember(db, message.conversation_id, userId)) !== undefined;
}

async function publishDelivered(messageId: string, conversationId: string, correlationId: string | null | undefined) {
  const delivered: StatusEvent = {
    message_id: messageId,
    conversation_id: conversationId,
    status: 'DELIVERED',
    at: new Date().toISOString(),
    source: 'websocket',
  };
  await publish({
    [TOPICS.statusUpdates]: [
      { key: messageId, value: delivered, headers: correlationId ? { correlation_id: correlationId } : {} },
    ],
  });
}

/**
 * The recipient's client has the message: DELIVERED goes to Kafka, then the inbox row goes (an ack that fails before
 * the publish finds the message again when sent again). An ack of a message that is not in the inbox but was never
 * delivered (its row lost, whatever the cause) still records DELIVERED when the user is one of its recipients: the
 * client holding the message is the evidence, and an answer of `not_in_inbox` would leave it SENT for good.
 */
export async function acknowledge(db: CassandraClient, connectionId: string, messageId: string): Promise<AckOutcome> {
  const userId = await ownerOfConnection(db, connectionId);
  if (!userId) return 'unknown_connection';
  const waiting = await inboxEntry(db, userId, messageId);
  if (waiting) {
    const correlationId = waiting.correlationId ?? (await findMessage(db, messageId))?.correlation_id;
    await publishDelivered(messageId, waiting.conversationId, correlationId);
    await removeFromInbox(db, userId, messageId);
    return 'acked';
  }
  const message = await findMessage(db, messageId);
  if (!message || STATUS_RANK[message.status] >= STATUS_RANK.DELIVERED || !(await isRecipient(db, message, userId))) {
    return 'not_in_inbox';
  }
  logger.warn(
    { function: 'realtime-message', connection_id: connectionId, message_id: messageId, status: message.status },
    'ack of an undelivered message missing from the inbox: DELIVERED recorded from the ack',
  );
  await publishDelivered(messageId, message.conversation_id, message.correlation_id);
  return 'acked';
}
