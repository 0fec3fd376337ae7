import { getCassandra } from '@chat4all/shared/clients/cassandra.js';
import { CONVERSATION_ID, getConversation } from '@chat4all/shared/conversations/service.js';
import { apiHandler } from '@chat4all/shared/middleware/api-handler.js';
import { json } from '@chat4all/shared/http/response.js';
import { pathParam } from '@chat4all/shared/http/validation.js';
import { authenticate, type AuthenticatedEvent } from '@chat4all/shared/middleware/authenticate.js';

/** GET /v1/conversations/{id}: the conversation and its members, for members only. */
export const handler = apiHandler<AuthenticatedEvent>(
  async (event) => {
    const conversationId = pathParam(event.pathParameters, 'id', CONVERSATION_ID);
    return json(200, await getConversation(getCassandra(), conversationId, event.auth.userId));
  },
  { use: [authenticate()] },
);
