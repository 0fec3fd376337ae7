import { getCassandra } from '@chat4all/shared/clients/cassandra.js';
import { kafkaHandler } from '@chat4all/shared/kafka/handler.js';
import { logger } from '@chat4all/shared/logger.js';
import { routeMessages } from '@chat4all/shared/routing/route.js';

/** Kafka `messages` → store as ACCEPTED → whatsapp-outbound / instagram-outbound / notifications. */
export const handler = kafkaHandler(async (records) => {
  const result = await routeMessages(getCassandra(), records);
  logger.debug({ function: 'router', ...result }, 'routed batch');
});
