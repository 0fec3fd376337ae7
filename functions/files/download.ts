import { getCassandra } from '@chat4all/shared/clients/cassandra.js';
import { downloadFile } from '@chat4all/shared/files/service.js';
import { apiHandler } from '@chat4all/shared/middleware/api-handler.js';
import { json } from '@chat4all/shared/http/response.js';
import { pathParam } from '@chat4all/shared/http/validation.js';
import { UUID_PATTERN } from '@chat4all/shared/ids.js';
import { authenticate, type AuthenticatedEvent } from '@chat4all/shared/middleware/authenticate.js';

/**
 * GET /v1/files/{id}/download → {download_url, expires_at, filename, size_bytes, content_type, checksum_sha256}:
 * a short-lived presigned GET that saves under the original filename; members only, AVAILABLE files only.
 */
export const handler = apiHandler<AuthenticatedEvent>(
  async (event) => {
    const fileId = pathParam(event.pathParameters, 'id', UUID_PATTERN).toLowerCase();
    return json(200, await downloadFile(getCassandra(), fileId, event.auth.userId));
  },
  { use: [authenticate()] },
);
