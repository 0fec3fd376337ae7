import { logIn } from '@chat4all/shared/auth/login.js';
import { ACCESS_TOKEN_TTL_SECONDS, signAccessToken } from '@chat4all/shared/auth/tokens.js';
import { sourceIp } from '@chat4all/shared/auth/throttle/address.js';
import { throttledError } from '@chat4all/shared/auth/throttle/throttle.js';
import { getCassandra } from '@chat4all/shared/clients/cassandra.js';
import { apiHandler } from '@chat4all/shared/middleware/api-handler.js';
import { unauthorized } from '@chat4all/shared/http/errors.js';
import { json } from '@chat4all/shared/http/response.js';
import { rejectUnknownFields, requireObject, requireString } from '@chat4all/shared/http/validation.js';
import { logger } from '@chat4all/shared/logger.js';
import type { CorrelatedEvent } from '@chat4all/shared/middleware/correlation-id.js';

const FIELDS = ['username', 'password'] as const;

/**
 * POST /auth/token {username, password} → 200 {access_token, token_type: "Bearer", expires_in: 3600};
 * 401 for a wrong password or an unknown user, 429 with Retry-After while failed logins throttle the account or
 * the client address.
 */
export const handler = apiHandler<CorrelatedEvent>(
  async (event) => {
    const body = requireObject(event.body as unknown);
    rejectUnknownFields(body, FIELDS);
    const username = requireString(body, 'username');
    const password = requireString(body, 'password');

    const result = await logIn(getCassandra(), { username, password, ip: sourceIp(event) });
    const log = { function: 'auth-token', correlation_id: event.correlationId };
    if (result.outcome === 'throttled') {
      logger.info({ ...log, throttled: result.scope, retry_after_ms: result.retryAfterMs }, 'login throttled');
      throw throttledError('login_throttled', 'failed logins', result.retryAfterMs);
    }
    if (result.outcome === 'invalid') {
      logger.info(log, 'token refused');
      throw unauthorized('invalid username or password', 'invalid_credentials');
    }
    const { user } = result;
    const accessToken = signAccessToken({ userId: user.userId, username: user.username });
    logger.info({ ...log, user_id: user.userId }, 'token issued');
    return json(200, { access_token: accessToken, token_type: 'Bearer', expires_in: ACCESS_TOKEN_TTL_SECONDS });
  },
  { jsonBody: true },
);
