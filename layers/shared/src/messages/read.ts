import type { CassandraClient } from '../clients/cassandra.js';
import { TOPICS } from '../contracts/topics.js';
import { requireMembership } from '../conversations/service.js';
import { DomainError } from '../errors/domain.js';
import { publishOrUnavailable } from '../kafka/producer.js';
import type { StatusEvent } from './model.js';
import { isAddressedTo } from './recipients.js';
import { findMessage, type StoredMessage } from './repository.js';
import { applyStatus } from './status.js';

/** The message when `userId` may see it (a member of its conversation): 404 or 403 otherwise. */
export async function requireVisibleMessage(
  db: CassandraClient,
  messageId: string,
  userId: string,
): Promise<StoredMessage> {
  const message = await findMessage(db, messageId);
  if (!message) throw new DomainError('not_found', `no message ${messageId}`, 'message_not_found');
  await requireMembership(db, message.conversation_id, userId);
  return message;
}

/**
 * A recipient marks a DELIVERED message READ. Repeating the call returns the first read_at
 * (the status write keeps the earliest time); from an earlier status it is a 409 naming the
 * current status. The READ event is also published on status-updates for whoever follows them,
 * on every call, so a call that stored READ but then met a Kafka outage is completed by the retry.
 */
export async function markRead(
  db: CassandraClient,
  messageId: string,
  userId: string,
): Promise<{ message_id: string; status: 'READ'; read_at: string }> {
  const message = await requireVisibleMessage(db, messageId, userId);
  if (!isAddressedTo(message, userId))
    throw new DomainError('forbidden', 'only a recipient marks a message read', 'not_a_recipient');
  if (message.status === 'READ' && message.read_at) {
    // Published again: an earlier call may have stored READ and then met a Kafka outage (503).
    await publishRead(message, message.read_at);
    return { message_id: messageId, status: 'READ', read_at: message.read_at };
  }
  if (message.status !== 'DELIVERED') {
    throw new DomainError(
      'conflict',
      `a ${message.status} message cannot be marked read before it is delivered`,
      'invalid_status_transition',
      { details: { status: message.status } },
    );
  }
  const at = new Date().toISOString();
  await applyStatus(db, {
    message_id: messageId,
    conversation_id: message.conversation_id,
    status: 'READ',
    at,
    source: 'api',
  });
  const readAt = (await findMessage(db, messageId))!.read_at!;
  await publishRead(message, readAt);
  return { message_id: messageId, status: 'READ', read_at: readAt };
}

async function publishRead(message: StoredMessage, readAt: string): Promise<void> {
  const event: StatusEvent = {
    message_id: message.message_id,
    conversation_id: message.conversation_id,
    status: 'READ',
    at: readAt,
    source: 'api',
  };
  const headers: Record<string, string> = message.correlation_id ? { correlation_id: message.correlation_id } : {};
  await publishOrUnavailable({ [TOPICS.statusUpdates]: [{ key: message.message_id, value: event, headers }] });
}
