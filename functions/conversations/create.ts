import { getCassandra } from '@chat4all/shared/clients/cassandra.js';
import { CONVERSATION_ID, createConversation, MAX_MEMBERS } from '@chat4all/shared/conversations/service.js';
import { badRequest } from '@chat4all/shared/http/errors.js';
import { apiHandler } from '@chat4all/shared/middleware/api-handler.js';
import { json } from '@chat4all/shared/http/response.js';
import {
  optionalString,
  rejectUnknownFields,
  requireMatch,
  requireObject,
  requireString,
  requireStringList,
} from '@chat4all/shared/http/validation.js';
import { authenticate, type AuthenticatedEvent } from '@chat4all/shared/middleware/authenticate.js';

/** POST /v1/conversations {type: private|group, member_ids, name?, conversation_id?} → 201; the caller is an admin. */
export const handler = apiHandler<AuthenticatedEvent>(
  async (event) => {
    const body = requireObject(event.body as unknown);
    rejectUnknownFields(body, ['type', 'name', 'member_ids', 'conversation_id']);
    const type = requireString(body, 'type');
    if (type !== 'private' && type !== 'group') throw badRequest('type is "private" or "group"', 'invalid_field');
    const name = optionalString(body, 'name');
    if (name !== undefined && (name.length === 0 || name.length > 100))
      throw badRequest('name is 1-100 characters', 'invalid_field');
    const conversationId = optionalString(body, 'conversation_id');
    if (conversationId !== undefined)
      requireMatch(conversationId, CONVERSATION_ID, 'conversation_id', 'is 1-128 of A-Z a-z 0-9 _ : . + @ -');
    const conversation = await createConversation(getCassandra(), event.auth.userId, {
      conversationId,
      type,
      name,
      memberRefs: requireStringList(body, 'member_ids', MAX_MEMBERS - 1),
    });
    return json(201, conversation);
  },
  { jsonBody: true, use: [authenticate()] },
);
