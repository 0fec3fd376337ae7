import { sourceIp } from '@chat4all/shared/auth/throttle/address.js';
import { admit, registrationScopes, throttledError } from '@chat4all/shared/auth/throttle/throttle.js';
import { getCassandra } from '@chat4all/shared/clients/cassandra.js';
import { apiHandler } from '@chat4all/shared/middleware/api-handler.js';
import { badRequest, conflict } from '@chat4all/shared/http/errors.js';
import { json } from '@chat4all/shared/http/response.js';
import { rejectUnknownFields, requireMatch, requireObject, requireString } from '@chat4all/shared/http/validation.js';
import { logger } from '@chat4all/shared/logger.js';
import type { CorrelatedEvent } from '@chat4all/shared/middleware/correlation-id.js';
import { registerUser } from '@chat4all/shared/auth/register.js';

const FIELDS = ['username', 'password', 'email'] as const;
const USERNAME = /^[a-zA-Z0-9_]{3,50}$/;
// A deliberately plain address check (the WHATWG form rule, plus a dotted domain); delivery is the real test.
const EMAIL =
  /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;
const MAX_EMAIL = 254;
const MIN_PASSWORD = 8;
const MAX_PASSWORD = 128;

/**
 * POST /auth/register {username, password, email} → 201 {user_id, username, email, created_at}; a retry of the same
 * registration (same name, email and password) answers 201 with the same user, so a 503 is safe to retry; 429 with Retry-After
 * once the client address made too many registrations (every valid one counts, taken names included: 409s would
 * otherwise list who exists).
 */
export const handler = apiHandler<CorrelatedEvent>(
  async (event) => {
    const body = requireObject(event.body as unknown);
    rejectUnknownFields(body, FIELDS);
    const username = requireMatch(
      requireString(body, 'username'),
      USERNAME,
      'username',
      'is 3-50 letters, digits or underscores',
    );
    const password = requireString(body, 'password');
    if (password.length < MIN_PASSWORD || password.length > MAX_PASSWORD) {
      throw badRequest(`password is ${MIN_PASSWORD}-${MAX_PASSWORD} characters`, 'invalid_field');
    }
    const email = requireString(body, 'email');
    if (email.length > MAX_EMAIL || !EMAIL.test(email))
      throw badRequest('email is not a valid address', 'invalid_field');

    const db = getCassandra();
    const admitted = await admit(db, registrationScopes(sourceIp(event)));
    if (!admitted.allowed) {
      logger.info(
        { function: 'auth-register', correlation_id: event.correlationId, retry_after_ms: admitted.retryAfterMs },
        'registration throttled',
      );
      throw throttledError('registration_throttled', 'registrations', admitted.retryAfterMs);
    }

    const result = await registerUser(db, { username, email, password });
    if (!result.registered) {
      throw result.conflict === 'username'
        ? conflict('username is already taken', 'username_taken')
        : conflict('email is already registered', 'email_taken');
    }
    const { user, resumed } = result;
    logger.info(
      {
        function: 'auth-register',
        correlation_id: event.correlationId,
        user_id: user.userId,
        username: user.username,
        resumed,
      },
      'user registered',
    );
    return json(201, {
      user_id: user.userId,
      username: user.username,
      email: user.email,
      created_at: user.createdAt.toISOString(),
    });
  },
  { jsonBody: true },
);
