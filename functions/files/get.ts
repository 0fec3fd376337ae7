import { getCassandra } from '@chat4all/shared/clients/cassandra.js';
import { getFile } from '@chat4all/shared/files/service.js';
import { apiHandler } from '@chat4all/shared/middleware/api-handler.js';
import { json } from '@chat4all/shared/http/response.js';
import { pathParam } from '@chat4all/shared/http/validation.js';
import { UUID_PATTERN } from '@chat4all/shared/ids.js';
import { authenticate, type AuthenticatedEvent } from '@chat4all/shared/middleware/authenticate.js';

/** GET /v1/files/{id}: the file's metadata and status (PENDING, AVAILABLE, REJECTED), for members. */
export const handler = apiHandler<AuthenticatedEvent>(
  async (event) => {
    const fileId = pathParam(event.pathParameters, 'id', UUID_PATTERN).toLowerCase();
    return json(200, await getFile(getCassandra(), fileId, event.auth.userId));
  },
  { use: [authenticate()] },
);
