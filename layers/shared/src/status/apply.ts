import type { CassandraClient } from '../clients/cassandra.js';
import { BATCH_CONCURRENCY, mapWithLimit } from '../concurrency.js';
import { statusEventSchema } from '../contracts/records.js';
import { deadLetter, deadLettersByTopic } from '../kafka/dead-letter.js';
import type { DecodedRecord } from '../kafka/event.js';
import { publish } from '../kafka/producer.js';
import { checkRecords } from '../kafka/records.js';
import { logger } from '../logger.js';
import { findMessages } from '../messages/repository.js';
import { applyStatus } from '../messages/status.js';
import { counter } from '../metrics/registry.js';
import { announceStatusChanges } from './announce.js';

export class UnknownMessageError extends Error {
  constructor(messageId: string) {
    super(`status for unknown message ${messageId}`);
    this.name = 'UnknownMessageError';
  }
}

/**
 * Applies status events in any order and any number of times: the write itself keeps the
 * highest status (see messages/status.ts). An event for a message not stored yet throws, so the batch is
 * retried (the router may be behind); malformed events go to the dead-letter topic with the reason. Each sender
 * then hears its message's current status over WebSocket.
 */
export async function applyStatusEvents(
  db: CassandraClient,
  records: DecodedRecord<unknown>[],
): Promise<{ applied: number; invalid: number }> {
  const { valid, invalid } = checkRecords(records, statusEventSchema, 'a status event');
  const events = valid.map((record) => record.value);
  for (const record of valid) {
    logger.info(
      {
        function: 'statusApply',
        correlation_id: record.headers.correlation_id,
        message_id: record.value.message_id,
        status: record.value.status,
      },
      'status applied',
    );
  }
  const unplaced = await findMessages(db, [
    ...new Set(events.filter((event) => !event.conversation_id).map((event) => event.message_id)),
  ]);
  await mapWithLimit(events, BATCH_CONCURRENCY, async (event) => {
    const conversationId = event.conversation_id ?? unplaced.get(event.message_id)?.conversation_id;
    if (!conversationId) throw new UnknownMessageError(event.message_id);
    await applyStatus(db, { ...event, conversation_id: conversationId });
  });
  const applied = counter('status_updates_applied_total', 'Status events applied, by status', ['status']);
  for (const event of events) applied.inc({ status: event.status });
  await announceStatusChanges(db, events);
  await publish(deadLettersByTopic(invalid.map(({ record, reason }) => deadLetter(record, reason, 'statusApply'))));
  return { applied: events.length, invalid: invalid.length };
}
