import crypto from 'node:crypto';
import { hashPassword, verifyPassword } from '@chat4all/shared/auth/password.js';
import { ACCESS_TOKEN_TTL_SECONDS, signAccessToken } from '@chat4all/shared/auth/tokens.js';
import { getCassandra } from '@chat4all/shared/clients/cassandra.js';
import { apiHandler } from '@chat4all/shared/http/api-handler.js';
import { unauthorized } from '@chat4all/shared/http/errors.js';
import { json } from '@chat4all/shared/http/response.js';
import { rejectUnknownFields, requireObject, requireString } from '@chat4all/shared/http/validation.js';
import { logger } from '@chat4all/shared/logger.js';
import type { CorrelatedEvent } from '@chat4all/shared/middleware/correlation-id.js';
import { findUserByUsername } from '@chat4all/shared/users/repository.js';

const FIELDS = ['username', 'password'] as const;
const MAX_USERNAME = 50;

// Unknown users still cost one scrypt verification, so the answer's timing does not tell who exists.
// Hashed at cold start with the current cost parameters.
const dummyHash = hashPassword(crypto.randomBytes(16).toString('base64url'));

const invalidCredentials = () => unauthorized('invalid username or password', 'invalid_credentials');

/** POST /auth/token {username, password} → 200 {access_token, token_type: "Bearer", expires_in: 3600}. */
export const handler = apiHandler<CorrelatedEvent>(
  async (event) => {
    const body = requireObject(event.body as unknown);
    rejectUnknownFields(body, FIELDS);
    const username = requireString(body, 'username');
    const password = requireString(body, 'password');

    const user = username.length <= MAX_USERNAME ? await findUserByUsername(getCassandra(), username) : undefined;
    const valid = await verifyPassword(password, user?.passwordHash ?? (await dummyHash));
    if (!user || !valid) {
      logger.info({ function: 'auth-token', correlation_id: event.correlationId }, 'token refused');
      throw invalidCredentials();
    }
    const accessToken = signAccessToken({ userId: user.userId, username: user.username });
    logger.info({ function: 'auth-token', correlation_id: event.correlationId, user_id: user.userId }, 'token issued');
    return json(200, { access_token: accessToken, token_type: 'Bearer', expires_in: ACCESS_TOKEN_TTL_SECONDS });
  },
  { jsonBody: true },
);
