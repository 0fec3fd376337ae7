import middy from '@middy/core';
import { healthReport } from '@chat4all/shared/health/checks.js';
import { json } from '@chat4all/shared/http/response.js';
import { httpErrors } from '@chat4all/shared/middleware/http-errors.js';

/** GET /health: checks Kafka, Cassandra and S3 for real; 503 names what is down. */
export const handler = middy()
  .use(httpErrors())
  .handler(async () => {
    const report = await healthReport();
    return json(report.status === 'up' ? 200 : 503, report, report.status === 'up' ? {} : { 'Retry-After': '5' });
  });
