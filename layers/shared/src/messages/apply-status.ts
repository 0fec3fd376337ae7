import type { CassandraClient } from '../clients/cassandra.js';
import { BATCH_CONCURRENCY, mapWithLimit } from '../concurrency.js';
import type { DecodedRecord } from '../kafka/event.js';
import { publish, type OutgoingRecord } from '../kafka/producer.js';
import type { StatusEvent } from './model.js';
import { logger } from '../logger.js';
import { counter } from '../metrics/registry.js';
import { announceStatusChanges } from '../realtime/status-updates.js';
import { findMessages } from './repository.js';
import { applyStatus, isStatus } from './status.js';

const isStatusEvent = (value: unknown): value is StatusEvent => {
  const event = value as Partial<StatusEvent> | null;
  return (
    typeof event?.message_id === 'string' &&
    isStatus(event.status) &&
    typeof event.at === 'string' &&
    !Number.isNaN(Date.parse(event.at))
  );
};

export class UnknownMessageError extends Error {
  constructor(messageId: string) {
    super(`status for unknown message ${messageId}`);
    this.name = 'UnknownMessageError';
  }
}

/**
 * Applies status events in any order and any number of times: the write itself keeps the
 * highest status (see status.ts). An event for a message not stored yet throws, so the batch is
 * retried (the router may be behind); malformed events go to the dead-letter topic. Each sender
 * then hears its message's current status over WebSocket.
 */
export async function applyStatusEvents(
  db: CassandraClient,
  records: DecodedRecord<unknown>[],
): Promise<{ applied: number; invalid: number }> {
  const invalid: OutgoingRecord[] = [];
  const events: StatusEvent[] = [];
  for (const record of records) {
    if (isStatusEvent(record.value)) {
      events.push(record.value);
      logger.info(
        {
          function: 'statusApply',
          correlation_id: record.headers.correlation_id,
          message_id: record.value.message_id,
          status: record.value.status,
        },
        'status applied',
      );
    } else
      invalid.push({
        key: record.key ?? '',
        value: record.value ?? { raw: record.raw },
        headers: { ...record.headers, dlq_reason: 'not a status event' },
      });
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
  if (invalid.length > 0) await publish({ [`${records[0]!.topic}.dlq`]: invalid });
  return { applied: events.length, invalid: invalid.length };
}
