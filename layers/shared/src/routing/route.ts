import type { CassandraClient } from '../clients/cassandra.js';
import { BATCH_CONCURRENCY, mapWithLimit } from '../concurrency.js';
import {
  acceptedMessageSchema,
  type AcceptedMessage,
  type NewMessageNotification,
  type OutboundMessage,
} from '../contracts/records.js';
import { CHANNEL_TOPICS, TOPICS } from '../contracts/topics.js';
import { listMembers } from '../conversations/repository.js';
import { linkedRecipient } from '../identities/service.js';
import { deadLetter, deadLettersByTopic } from '../kafka/dead-letter.js';
import type { DecodedRecord } from '../kafka/event.js';
import { publish, type OutgoingRecord } from '../kafka/producer.js';
import { checkRecords } from '../kafka/records.js';
import { logger } from '../logger.js';
import { counter, histogram, secondsSince } from '../metrics/registry.js';
import { alreadyRouted, markRouted, storeAccepted } from './repository.js';

export interface RouteResult {
  routed: number;
  duplicates: number;
  invalid: number;
}

/** Where one message goes: a channel topic record per recipient (group messages fan out). */
async function destinations(db: CassandraClient, message: AcceptedMessage, headers: Record<string, string>) {
  const topic = CHANNEL_TOPICS[message.channel];
  const outbound = (to: string, key: string): OutgoingRecord => ({
    key,
    value: { ...message, to } satisfies OutboundMessage,
    headers,
  });
  const notification = (userId: string): OutgoingRecord => ({
    key: userId,
    value: { kind: 'new_message', ...message, to: userId } satisfies NewMessageNotification,
    headers,
  });
  // A channel address someone linked (POST /v1/users/identities) reaches that Chat4All user in the app.
  const linkedUserId = await linkedRecipient(db, message);
  if (linkedUserId) return { topic: TOPICS.notifications, records: [notification(linkedUserId)] };
  if (message.channel === 'whatsapp')
    return { topic, records: [outbound(message.recipient!.slice('whatsapp:'.length), message.conversation_id)] };
  if (message.channel === 'instagram')
    return { topic, records: [outbound(message.recipient!.slice('instagram:@'.length), message.conversation_id)] };
  const recipients = message.recipient
    ? [message.recipient]
    : (await listMembers(db, message.conversation_id))
        .map((member) => member.user_id)
        .filter((id) => id !== message.sender_id);
  return { topic, records: recipients.map(notification) };
}

/**
 * Stores each accepted message (status ACCEPTED) and forwards it to its channel topic, once:
 * a message already routed (a redelivered record) is dropped, and the routed mark is written
 * only after the forward was acknowledged, so a crash in between forwards again (at-least-once;
 * the connectors deduplicate by message_id). Malformed records go to the dead-letter topic with the reason.
 */
export async function routeMessages(db: CassandraClient, records: DecodedRecord<unknown>[]): Promise<RouteResult> {
  const started = performance.now();
  const { valid, invalid } = checkRecords(records, acceptedMessageSchema, 'an accepted message');
  const routed = await alreadyRouted(db, [...new Set(valid.map((record) => record.value.message_id))]);
  const seen = new Set<string>();
  const fresh = valid.filter((record) => {
    const id = record.value.message_id;
    if (routed.has(id) || seen.has(id)) return false;
    seen.add(id);
    return true;
  });

  await mapWithLimit(fresh, BATCH_CONCURRENCY, (record) =>
    storeAccepted(db, record.value, record.headers.correlation_id),
  );
  // Looked up concurrently; collected in record order, so each key's records keep their order.
  const routes = await mapWithLimit(fresh, BATCH_CONCURRENCY, (record) =>
    destinations(
      db,
      record.value,
      record.headers.correlation_id ? { correlation_id: record.headers.correlation_id } : {},
    ),
  );
  const byTopic = deadLettersByTopic(invalid.map(({ record, reason }) => deadLetter(record, reason, 'router')));
  for (const { topic, records: outgoing } of routes) (byTopic[topic] ??= []).push(...outgoing);
  await publish(byTopic);
  await markRouted(
    db,
    fresh.map((record) => record.value.message_id),
  );
  for (const record of fresh) {
    logger.info(
      {
        function: 'router',
        correlation_id: record.headers.correlation_id,
        message_id: record.value.message_id,
        channel: record.value.channel,
      },
      'routed',
    );
  }
  const result = { routed: fresh.length, duplicates: valid.length - fresh.length, invalid: invalid.length };
  const processed = counter('messages_processed_total', 'Messages the router handled, by outcome', ['status']);
  for (const [status, count] of Object.entries(result))
    if (count > 0) processed.inc({ status: status === 'duplicates' ? 'duplicate' : status }, count);
  histogram('message_processing_duration_seconds', 'Router time per batch').observe(secondsSince(started));
  return result;
}
