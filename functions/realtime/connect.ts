import { getCassandra } from '@chat4all/shared/clients/cassandra.js';
import type { ReplayNotification } from '@chat4all/shared/contracts/records.js';
import { TOPICS } from '@chat4all/shared/contracts/topics.js';
import { publish } from '@chat4all/shared/kafka/producer.js';
import { logger } from '@chat4all/shared/logger.js';
import { websocketHandler } from '@chat4all/shared/middleware/websocket-handler.js';
import { addConnection } from '@chat4all/shared/realtime/connections.js';
import { handshakeUser } from '@chat4all/shared/realtime/session.js';

/**
 * WebSocket $connect: a valid token (?token= or Authorization) or 401, which refuses the handshake.
 * Records the connection and asks for a replay of what the user has not acknowledged yet.
 */
export const handler = websocketHandler(async (event) => {
  const user = handshakeUser(event);
  if (!user)
    return { statusCode: 401, body: JSON.stringify({ error: 'missing or invalid token', code: 'unauthorized' }) };
  const connectionId = event.requestContext.connectionId!;
  await addConnection(getCassandra(), user.userId, connectionId);
  const replay: ReplayNotification = { kind: 'replay', to: user.userId, connection_id: connectionId };
  await publish({ [TOPICS.notifications]: [{ key: user.userId, value: replay }] });
  logger.info(
    {
      function: 'realtime-connect',
      connection_id: connectionId,
      user_id: user.userId,
      correlation_id: event.correlationId,
    },
    'connected',
  );
  return { statusCode: 200, body: '' };
});
