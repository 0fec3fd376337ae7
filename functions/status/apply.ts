import { getCassandra } from '@chat4all/shared/clients/cassandra.js';
import { kafkaHandler } from '@chat4all/shared/kafka/handler.js';
import { logger } from '@chat4all/shared/logger.js';
import { applyStatusEvents } from '@chat4all/shared/status/apply.js';

/** Kafka `status-updates` → forward-only status, timestamps and history of each message. */
export const handler = kafkaHandler(async (records) => {
  const result = await applyStatusEvents(getCassandra(), records);
  logger.debug({ function: 'statusApply', ...result }, 'applied status batch');
});
