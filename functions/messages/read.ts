import { getCassandra } from '@chat4all/shared/clients/cassandra.js';
import { apiHandler } from '@chat4all/shared/middleware/api-handler.js';
import { json } from '@chat4all/shared/http/response.js';
import { pathParam } from '@chat4all/shared/http/validation.js';
import { UUID_PATTERN } from '@chat4all/shared/ids.js';
import { markRead } from '@chat4all/shared/messages/read.js';
import { authenticate, type AuthenticatedEvent } from '@chat4all/shared/middleware/authenticate.js';

/** POST /v1/messages/{id}/read: DELIVERED → READ for a recipient; repeat calls return the same read_at. */
export const handler = apiHandler<AuthenticatedEvent>(
  async (event) => {
    const messageId = pathParam(event.pathParameters, 'id', UUID_PATTERN).toLowerCase();
    return json(200, await markRead(getCassandra(), messageId, event.auth.userId));
  },
  { use: [authenticate()] },
);
