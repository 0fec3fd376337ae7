import { healthReport } from '@chat4all/shared/health/checks.js';
import { apiHandler } from '@chat4all/shared/middleware/api-handler.js';
import { json } from '@chat4all/shared/http/response.js';

/** GET /health: checks Kafka, Cassandra and S3 for real; 503 names what is down. */
export const handler = apiHandler(async () => {
  const report = await healthReport();
  return json(report.status === 'up' ? 200 : 503, report, report.status === 'up' ? {} : { 'Retry-After': '5' });
});
