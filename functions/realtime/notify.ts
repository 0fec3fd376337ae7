import middy from '@middy/core';
import { getCassandra } from '@chat4all/shared/clients/cassandra.js';
import { decodeRecords, type SelfManagedKafkaEvent } from '@chat4all/shared/kafka/event.js';
import { logger } from '@chat4all/shared/logger.js';
import { handleNotifications } from '@chat4all/shared/realtime/notify.js';

/** Kafka `notifications` → WebSocket pushes (new_message, status_update, replay on reconnect). */
export const handler = middy<SelfManagedKafkaEvent>().handler(async (event) => {
  const result = await handleNotifications(getCassandra(), decodeRecords(event));
  logger.info({ function: 'realtime-notify', ...result }, 'notified');
});
