import { getCassandra } from '@chat4all/shared/clients/cassandra.js';
import { CONVERSATION_ID, promoteAdmin } from '@chat4all/shared/conversations/service.js';
import { apiHandler } from '@chat4all/shared/middleware/api-handler.js';
import { json } from '@chat4all/shared/http/response.js';
import { pathParam, rejectUnknownFields, requireObject, requireString } from '@chat4all/shared/http/validation.js';
import { authenticate, type AuthenticatedEvent } from '@chat4all/shared/middleware/authenticate.js';

/** POST /v1/conversations/{id}/admins {user_id} — an admin makes a member an admin. */
export const handler = apiHandler<AuthenticatedEvent>(
  async (event) => {
    const conversationId = pathParam(event.pathParameters, 'id', CONVERSATION_ID);
    const body = requireObject(event.body as unknown);
    rejectUnknownFields(body, ['user_id']);
    return json(
      200,
      await promoteAdmin(getCassandra(), conversationId, event.auth.userId, requireString(body, 'user_id')),
    );
  },
  { jsonBody: true, use: [authenticate()] },
);
