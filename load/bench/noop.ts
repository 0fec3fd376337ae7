import middy from '@middy/core';

/** The ceiling of the bench: a Middy handler that does nothing, under the same serverless-offline settings. */
export const handler = middy().handler(async () => ({
  statusCode: 200,
  headers: { 'Content-Type': 'application/json' },
  body: '{"ok":true}',
}));
