import { getCassandra } from '@chat4all/shared/clients/cassandra.js';
import { addMembers, CONVERSATION_ID, MAX_MEMBERS } from '@chat4all/shared/conversations/service.js';
import { apiHandler } from '@chat4all/shared/middleware/api-handler.js';
import { json } from '@chat4all/shared/http/response.js';
import { pathParam, rejectUnknownFields, requireObject, requireStringList } from '@chat4all/shared/http/validation.js';
import { authenticate, type AuthenticatedEvent } from '@chat4all/shared/middleware/authenticate.js';

/** POST /v1/conversations/{id}/members {member_ids} — admins of a group only; 256 members at most. */
export const handler = apiHandler<AuthenticatedEvent>(
  async (event) => {
    const conversationId = pathParam(event.pathParameters, 'id', CONVERSATION_ID);
    const body = requireObject(event.body as unknown);
    rejectUnknownFields(body, ['member_ids']);
    const refs = requireStringList(body, 'member_ids', MAX_MEMBERS);
    return json(200, await addMembers(getCassandra(), conversationId, event.auth.userId, refs));
  },
  { jsonBody: true, use: [authenticate()] },
);
