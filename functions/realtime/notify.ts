import { getCassandra } from '@chat4all/shared/clients/cassandra.js';
import { kafkaHandler } from '@chat4all/shared/kafka/handler.js';
import { logger } from '@chat4all/shared/logger.js';
import { handleNotifications } from '@chat4all/shared/realtime/notify.js';

/** Kafka `notifications` → WebSocket pushes (new_message, status_update, replay on reconnect). */
export const handler = kafkaHandler(async (records) => {
  const result = await handleNotifications(getCassandra(), records);
  logger.debug({ function: 'realtimeNotify', ...result }, 'notified');
});
