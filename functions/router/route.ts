import middy from '@middy/core';
import { getCassandra } from '@chat4all/shared/clients/cassandra.js';
import { decodeRecords, type SelfManagedKafkaEvent } from '@chat4all/shared/kafka/event.js';
import { logger } from '@chat4all/shared/logger.js';
import { routeMessages } from '@chat4all/shared/messages/route.js';

/** Kafka `messages` → store as ACCEPTED → whatsapp-outbound / instagram-outbound / notifications. */
export const handler = middy<SelfManagedKafkaEvent>().handler(async (event) => {
  const result = await routeMessages(getCassandra(), decodeRecords(event));
  logger.info({ function: 'router', ...result }, 'routed batch');
});
