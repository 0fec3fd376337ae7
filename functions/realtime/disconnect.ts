import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { getCassandra } from '@chat4all/shared/clients/cassandra.js';
import { metrics } from '@chat4all/shared/metrics/middleware.js';
import { removeConnection } from '@chat4all/shared/realtime/connections.js';

/** WebSocket $disconnect: forgets the connection (its user's other devices stay connected). */
export const handler = middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
  // Per-invocation metrics like every other function (invocations, and the cost counters of its statements, records
  // and log lines reach the Pushgateway only through them).
  .use(metrics() as middy.MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult>)
  .handler(async (event) => {
    await removeConnection(getCassandra(), event.requestContext.connectionId!);
    return { statusCode: 200, body: '' };
  });
