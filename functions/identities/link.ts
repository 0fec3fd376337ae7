import { getCassandra } from '@chat4all/shared/clients/cassandra.js';
import { apiHandler } from '@chat4all/shared/middleware/api-handler.js';
import { json } from '@chat4all/shared/http/response.js';
import { rejectUnknownFields, requireObject, requireString } from '@chat4all/shared/http/validation.js';
import { linkIdentity } from '@chat4all/shared/identities/service.js';
import { authenticate, type AuthenticatedEvent } from '@chat4all/shared/middleware/authenticate.js';

/** POST /v1/users/identities {identity} → 201 (200 when already yours); 409 identity_taken when another user holds it. */
export const handler = apiHandler<AuthenticatedEvent>(
  async (event) => {
    const body = requireObject(event.body as unknown);
    rejectUnknownFields(body, ['identity']);
    const result = await linkIdentity(getCassandra(), event.auth.userId, requireString(body, 'identity'));
    return json(result.created ? 201 : 200, result.identity);
  },
  { jsonBody: true, use: [authenticate()] },
);
