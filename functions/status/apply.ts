import middy from '@middy/core';
import { getCassandra } from '@chat4all/shared/clients/cassandra.js';
import { decodeRecords, type SelfManagedKafkaEvent } from '@chat4all/shared/kafka/event.js';
import { logger } from '@chat4all/shared/logger.js';
import { applyStatusEvents } from '@chat4all/shared/messages/apply-status.js';

/** Kafka `status-updates` → forward-only status, timestamps and history of each message. */
export const handler = middy<SelfManagedKafkaEvent>().handler(async (event) => {
  const result = await applyStatusEvents(getCassandra(), decodeRecords(event));
  logger.info({ function: 'status-apply', ...result }, 'applied status batch');
});
