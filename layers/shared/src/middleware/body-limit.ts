import type middy from '@middy/core';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { HttpError } from '../http/errors.js';

export const MAX_BODY_BYTES = 1024 * 1024;

/** Refuses bodies over `maxBytes` with 413 before anything parses them. */
export const bodyLimit = (maxBytes = MAX_BODY_BYTES): middy.MiddlewareObj<APIGatewayProxyEvent> => ({
  before: async (request) => {
    const { body, isBase64Encoded } = request.event;
    if (!body) return;
    const bytes = isBase64Encoded ? Math.floor((body.length * 3) / 4) : Buffer.byteLength(body, 'utf8');
    if (bytes > maxBytes) {
      throw new HttpError(413, 'payload_too_large', `the body is ${bytes} bytes; the limit is ${maxBytes}`);
    }
  },
});
