import crypto from 'node:crypto';
import type middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { logger } from '../logger.js';
import { shortFunctionName } from '../metrics/middleware.js';

export type CorrelatedEvent = APIGatewayProxyEvent & { correlationId: string };

const VALID = /^[A-Za-z0-9._:-]{1,100}$/;

export function headerValue(
  headers: APIGatewayProxyEvent['headers'] | null | undefined,
  name: string,
): string | undefined {
  if (!headers) return undefined;
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === wanted) return value ?? undefined;
  return undefined;
}

/** The caller's X-Correlation-Id when it is a usable one, else a new id. */
function correlationIdFrom(headers: APIGatewayProxyEvent['headers'] | null | undefined): string {
  const given = headerValue(headers, 'x-correlation-id');
  return given && VALID.test(given) ? given : crypto.randomUUID();
}

/** Exposes the request's correlation id as event.correlationId, and does nothing else. */
export const assignCorrelationId = (): middy.MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult> => ({
  before: async (request) => {
    (request.event as CorrelatedEvent).correlationId = correlationIdFrom(request.event.headers);
  },
});

/** The message id a response names (202 of a send, a message read), for the access log. */
function messageIdOf(response: APIGatewayProxyResult): string | undefined {
  if (response.statusCode >= 300 || !response.body?.includes('"message_id"')) return undefined;
  try {
    return (JSON.parse(response.body) as { message_id?: string }).message_id;
  } catch {
    return undefined;
  }
}

/**
 * Takes X-Correlation-Id from the request (or makes one), exposes it as event.correlationId,
 * echoes it back, and writes one access log line per request carrying it.
 */
export const correlationId = (): middy.MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult> => {
  const echo = (request: middy.Request<APIGatewayProxyEvent, APIGatewayProxyResult>): void => {
    const id = (request.event as CorrelatedEvent).correlationId;
    if (request.response && id) request.response.headers = { ...request.response.headers, 'X-Correlation-Id': id };
    const status = request.response?.statusCode ?? 500;
    logger[status >= 500 ? 'error' : 'info'](
      {
        correlation_id: id,
        function: shortFunctionName(request.context),
        method: request.event.httpMethod,
        route: request.event.resource,
        status,
        message_id: request.response ? messageIdOf(request.response) : undefined,
      },
      'request',
    );
  };
  return {
    ...assignCorrelationId(),
    after: async (request) => echo(request),
    onError: async (request) => echo(request),
  };
};
