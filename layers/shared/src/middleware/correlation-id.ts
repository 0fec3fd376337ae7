import crypto from 'node:crypto';
import type middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';

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

/** Takes X-Correlation-Id from the request (or makes one), exposes it as event.correlationId and echoes it back. */
export const correlationId = (): middy.MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult> => {
  const echo = (request: middy.Request<APIGatewayProxyEvent, APIGatewayProxyResult>): void => {
    const id = (request.event as CorrelatedEvent).correlationId;
    if (request.response && id) request.response.headers = { ...request.response.headers, 'X-Correlation-Id': id };
  };
  return {
    before: async (request) => {
      const given = headerValue(request.event.headers, 'x-correlation-id');
      (request.event as CorrelatedEvent).correlationId = given && VALID.test(given) ? given : crypto.randomUUID();
    },
    after: async (request) => echo(request),
    onError: async (request) => echo(request),
  };
};
