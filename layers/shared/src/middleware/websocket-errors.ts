import type middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { isDependencyUnavailable } from '../errors/dependency.js';
import { logger } from '../logger.js';
import { shortFunctionName } from '../metrics/middleware.js';
import type { CorrelatedEvent } from './correlation-id.js';

type Request = middy.Request<APIGatewayProxyEvent, APIGatewayProxyResult>;

/** Shaped like the protocol's other error frames, so a client reads it as one. */
const errorFrame = (statusCode: number, code: string, error: string): APIGatewayProxyResult => ({
  statusCode,
  body: JSON.stringify({ type: 'error', code, error }),
});

/** What a log line needs to find the failed invocation again. */
const invocationOf = (request: Request) => ({
  function: shortFunctionName(request.context),
  route: request.event.requestContext?.routeKey,
  connection_id: request.event.requestContext?.connectionId,
  correlation_id: (request.event as Partial<CorrelatedEvent>).correlationId,
});

/**
 * Answers an error a WebSocket route did not handle itself, naming no internals (the details go to the log): a
 * dependency outage is 503 `unavailable`, anything else 500 `internal`. On $connect the status refuses the handshake;
 * on $default the body is the frame the client gets; nothing reads $disconnect's answer.
 */
export const websocketErrors = (): middy.MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult> => ({
  onError: async (request) => {
    if (isDependencyUnavailable(request.error)) {
      logger.warn({ err: request.error, ...invocationOf(request) }, 'dependency unavailable');
      request.response = errorFrame(503, 'unavailable', 'a service is unavailable; retry shortly');
      return;
    }
    logger.error({ err: request.error, ...invocationOf(request) }, 'unhandled error');
    request.response = errorFrame(500, 'internal', 'internal error');
  },
});
