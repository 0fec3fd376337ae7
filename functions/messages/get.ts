import { getCassandra } from '@chat4all/shared/clients/cassandra.js';
import { withFiles } from '@chat4all/shared/files/service.js';
import { apiHandler } from '@chat4all/shared/middleware/api-handler.js';
import { json } from '@chat4all/shared/http/response.js';
import { pathParam } from '@chat4all/shared/http/validation.js';
import { UUID_PATTERN } from '@chat4all/shared/ids.js';
import { requireVisibleMessage } from '@chat4all/shared/messages/read.js';
import { authenticate, type AuthenticatedEvent } from '@chat4all/shared/middleware/authenticate.js';

/** GET /v1/messages/{id}: status, timestamps, channel and failure reason, for members of its conversation. */
export const handler = apiHandler<AuthenticatedEvent>(
  async (event) => {
    const messageId = pathParam(event.pathParameters, 'id', UUID_PATTERN).toLowerCase();
    const db = getCassandra();
    const [message] = await withFiles(db, [await requireVisibleMessage(db, messageId, event.auth.userId)]);
    return json(200, message);
  },
  { use: [authenticate()] },
);
