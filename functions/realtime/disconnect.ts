import { getCassandra } from '@chat4all/shared/clients/cassandra.js';
import { websocketHandler } from '@chat4all/shared/middleware/websocket-handler.js';
import { removeConnection } from '@chat4all/shared/realtime/connections.js';

/** WebSocket $disconnect: forgets the connection (its user's other devices stay connected). */
export const handler = websocketHandler(async (event) => {
  await removeConnection(getCassandra(), event.requestContext.connectionId!);
  return { statusCode: 200, body: '' };
});
