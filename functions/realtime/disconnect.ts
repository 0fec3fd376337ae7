import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { getCassandra } from '@chat4all/shared/clients/cassandra.js';
import { removeConnection } from '@chat4all/shared/realtime/connections.js';

/** WebSocket $disconnect: forgets the connection (its user's other devices stay connected). */
export const handler = middy<APIGatewayProxyEvent, APIGatewayProxyResult>().handler(async (event) => {
  await removeConnection(getCassandra(), event.requestContext.connectionId!);
  return { statusCode: 200, body: '' };
});
