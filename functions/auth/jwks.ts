import { publicJwks } from '@chat4all/shared/auth/keys.js';
import { apiHandler } from '@chat4all/shared/middleware/api-handler.js';
import { json } from '@chat4all/shared/http/response.js';

/** GET /.well-known/jwks.json: the public keys that verify access tokens (RS256, by kid). */
export const handler = apiHandler(async () => json(200, publicJwks(), { 'Cache-Control': 'public, max-age=300' }));
