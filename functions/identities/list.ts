import { getCassandra } from '@chat4all/shared/clients/cassandra.js';
import { apiHandler } from '@chat4all/shared/middleware/api-handler.js';
import { json } from '@chat4all/shared/http/response.js';
import { listIdentities } from '@chat4all/shared/identities/service.js';
import { authenticate, type AuthenticatedEvent } from '@chat4all/shared/middleware/authenticate.js';

/** GET /v1/users/identities → the caller's linked channel identities. */
export const handler = apiHandler<AuthenticatedEvent>(
  async (event) => json(200, { identities: await listIdentities(getCassandra(), event.auth.userId) }),
  { use: [authenticate()] },
);
