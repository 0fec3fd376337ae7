import type middy from '@middy/core';
import type { APIGatewayProxyEvent } from 'aws-lambda';

/**
 * API Gateway passes header names as the client spelled them; HTTP says they are case-insensitive.
 * Adds a lower-case copy of each, so `Content-type` reaches the JSON body parser as `content-type`.
 */
export const normalizeHeaders = (): middy.MiddlewareObj<APIGatewayProxyEvent> => ({
  before: async (request) => {
    const headers = request.event.headers ?? {};
    for (const [name, value] of Object.entries(headers)) {
      const lower = name.toLowerCase();
      if (!(lower in headers)) headers[lower] = value;
    }
    request.event.headers = headers;
  },
});
