import { getCassandra } from '@chat4all/shared/clients/cassandra.js';
import { listConversationsOfUser } from '@chat4all/shared/conversations/repository.js';
import { apiHandler } from '@chat4all/shared/middleware/api-handler.js';
import { decodeCursor, encodeCursor } from '@chat4all/shared/http/cursor.js';
import { json } from '@chat4all/shared/http/response.js';
import { intParam } from '@chat4all/shared/http/validation.js';
import { authenticate, type AuthenticatedEvent } from '@chat4all/shared/middleware/authenticate.js';

/** GET /v1/conversations?limit=&cursor= — the caller's conversations, cursor paged. */
export const handler = apiHandler<AuthenticatedEvent>(
  async (event) => {
    const query = event.queryStringParameters ?? {};
    const limit = intParam(query.limit, 'limit', { min: 1, max: 100, fallback: 50 });
    const afterId = decodeCursor(query.cursor, 'after');
    const rows = await listConversationsOfUser(getCassandra(), event.auth.userId, { afterId, limit: limit + 1 });
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return json(200, {
      conversations: page,
      next_cursor: rows.length > limit && last ? encodeCursor({ after: last.conversation_id }) : null,
    });
  },
  { use: [authenticate()] },
);
