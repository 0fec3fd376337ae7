import { getCassandra } from '@chat4all/shared/clients/cassandra.js';
import { CONVERSATION_ID, removeMember } from '@chat4all/shared/conversations/service.js';
import { apiHandler } from '@chat4all/shared/middleware/api-handler.js';
import { pathParam } from '@chat4all/shared/http/validation.js';
import { UUID_PATTERN } from '@chat4all/shared/ids.js';
import { authenticate, type AuthenticatedEvent } from '@chat4all/shared/middleware/authenticate.js';

/** DELETE /v1/conversations/{id}/members/{userId} — an admin removes a member, or a member leaves. */
export const handler = apiHandler<AuthenticatedEvent>(
  async (event) => {
    const conversationId = pathParam(event.pathParameters, 'id', CONVERSATION_ID);
    const userId = pathParam(event.pathParameters, 'userId', UUID_PATTERN).toLowerCase();
    await removeMember(getCassandra(), conversationId, event.auth.userId, userId);
    return { statusCode: 204, headers: {}, body: '' };
  },
  { use: [authenticate()] },
);
