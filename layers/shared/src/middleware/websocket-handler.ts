import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { metrics } from '../metrics/middleware.js';
import { assignCorrelationId, type CorrelatedEvent } from './correlation-id.js';
import { websocketErrors } from './websocket-errors.js';

export type WebSocketHandler = (event: CorrelatedEvent, context: Context) => Promise<APIGatewayProxyResult>;

/**
 * The common Middy stack of every WebSocket route ($connect, $disconnect, $default): per-invocation metrics, a
 * correlation id (the handshake's X-Correlation-Id, or a new one), and JSON answers for the errors the handler did not
 * handle. The handler's own answers pass through as they are.
 * Unlike apiHandler, no access log line: a WebSocket message's cost budget counts log lines (docs/scaling.md), and
 * an ack would add one to every delivery.
 */
export function websocketHandler(handler: WebSocketHandler) {
  // metrics first, so that its onError (Middy runs those last-to-first) sees websocketErrors' answer.
  return middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
    .use(metrics() as middy.MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult>)
    .use(assignCorrelationId())
    .use(websocketErrors())
    .handler(handler as unknown as (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>);
}
