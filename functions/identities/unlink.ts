import { getCassandra } from '@chat4all/shared/clients/cassandra.js';
import { apiHandler } from '@chat4all/shared/middleware/api-handler.js';
import { badRequest } from '@chat4all/shared/http/errors.js';
import { unlinkIdentity } from '@chat4all/shared/identities/service.js';
import { authenticate, type AuthenticatedEvent } from '@chat4all/shared/middleware/authenticate.js';

/** DELETE /v1/users/identities?identity=whatsapp:+5511999999999 → 204; 404 identity_not_found unless yours. */
export const handler = apiHandler<AuthenticatedEvent>(
  async (event) => {
    const identity = event.queryStringParameters?.identity;
    if (!identity) throw badRequest('the identity query parameter is required', 'missing_parameter');
    // An unencoded `+` of a query string may arrive as a space (form decoding): whatsapp: 5511… means whatsapp:+5511….
    await unlinkIdentity(getCassandra(), event.auth.userId, identity.replace(/^whatsapp: /, 'whatsapp:+'));
    return { statusCode: 204, headers: {}, body: '' };
  },
  { use: [authenticate()] },
);
