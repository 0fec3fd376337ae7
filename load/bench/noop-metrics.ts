import middy from '@middy/core';
import { metrics } from '@chat4all/shared/metrics/middleware.js';

/** The ceiling again, with the per-invocation metrics middleware every function uses: their ratio is its overhead. */
export const handler = middy()
  .use(metrics())
  .handler(async () => ({ statusCode: 200, headers: { 'Content-Type': 'application/json' }, body: '{"ok":true}' }));
