import { getCassandra } from '@chat4all/shared/clients/cassandra.js';
import { CONVERSATION_ID, requireMembership } from '@chat4all/shared/conversations/service.js';
import { withFiles } from '@chat4all/shared/files/service.js';
import { apiHandler } from '@chat4all/shared/middleware/api-handler.js';
import { decodeCursor, encodeCursor } from '@chat4all/shared/http/cursor.js';
import { badRequest } from '@chat4all/shared/http/errors.js';
import { json } from '@chat4all/shared/http/response.js';
import { intParam, pathParam } from '@chat4all/shared/http/validation.js';
import { listHistory } from '@chat4all/shared/messages/repository.js';
import { authenticate, type AuthenticatedEvent } from '@chat4all/shared/middleware/authenticate.js';

const MAX_OFFSET = 10_000;

/**
 * GET /v1/conversations/{id}/messages?limit=&cursor= — oldest first, opaque cursor paging;
 * the Java system's ?offset= still works (bounded).
 */
export const handler = apiHandler<AuthenticatedEvent>(
  async (event) => {
    const conversationId = pathParam(event.pathParameters, 'id', CONVERSATION_ID);
    const query = event.queryStringParameters ?? {};
    const limit = intParam(query.limit, 'limit', { min: 1, max: 100, fallback: 50 });
    const offset = intParam(query.offset, 'offset', { min: 0, max: MAX_OFFSET, fallback: 0 });
    const afterId = decodeCursor(query.cursor, 'after');
    if (afterId && offset > 0) throw badRequest('use either cursor or offset', 'invalid_parameter');
    const db = getCassandra();
    await requireMembership(db, conversationId, event.auth.userId);

    // One row more than asked tells whether there is a next page.
    const rows = await listHistory(db, conversationId, { afterId, limit: offset + limit + 1 });
    const page = rows.slice(offset, offset + limit);
    const hasMore = rows.length > offset + limit;
    const last = page[page.length - 1];
    return json(200, {
      conversation_id: conversationId,
      messages: await withFiles(db, page),
      next_cursor: hasMore && last ? encodeCursor({ after: last.message_id }) : null,
    });
  },
  { use: [authenticate()] },
);
