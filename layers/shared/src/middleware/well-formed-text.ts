import type middy from '@middy/core';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { requireWellFormedText } from '../http/validation.js';

/**
 * Refuses a parsed JSON body with a lone UTF-16 surrogate anywhere (`"\ud800"` is valid JSON, but no text): 400
 * invalid_text, before anything stores it as U+FFFD. Every JSON body is where user text enters (content, names,
 * filenames, usernames, emails), so it is checked once, right after parsing.
 */
export const wellFormedText = (): middy.MiddlewareObj<APIGatewayProxyEvent> => ({
  before: async (request) => {
    requireWellFormedText(request.event.body as unknown);
  },
});
