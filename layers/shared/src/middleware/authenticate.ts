import type middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { JwtExpiredError } from 'aws-jwt-verify/error';
import { createAccessTokenVerifier, type AccessTokenVerifier } from '../auth/tokens.js';
import { unauthorized } from '../http/errors.js';
import { logger } from '../logger.js';
import { headerValue } from './correlation-id.js';

/** The caller, as the access token names it. */
export interface AuthContext {
  userId: string;
  username: string;
}

export type AuthenticatedEvent = APIGatewayProxyEvent & { auth: AuthContext };

export interface AuthenticateOptions {
  /** Tests pass a verifier for their own key; functions use the process's key. */
  verifier?: AccessTokenVerifier;
}

const BEARER = /^Bearer +([\w-]+\.[\w-]+\.[\w-]*) *$/i;

let sharedVerifier: AccessTokenVerifier | undefined;

/**
 * Requires `Authorization: Bearer <access token>` and exposes its subject as `event.auth`; any missing, malformed,
 * expired, tampered, foreign or unsigned token is a 401 `unauthorized` with `WWW-Authenticate: Bearer`.
 * The verifier (and the key) is made once per process, on the first request, and never fetches anything.
 */
export const authenticate = (
  options: AuthenticateOptions = {},
): middy.MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult> => ({
  before: async (request) => {
    const header = headerValue(request.event.headers, 'authorization');
    if (!header) throw unauthorized('missing bearer token');
    const token = BEARER.exec(header)?.[1];
    if (!token) throw unauthorized('the Authorization header is not a bearer token');
    // Outside the try: a missing signing key is the server's fault (500), not the caller's.
    const verify = options.verifier ?? (sharedVerifier ??= createAccessTokenVerifier());
    let auth: AuthContext;
    try {
      auth = verify(token);
    } catch (error) {
      if (error instanceof JwtExpiredError) throw unauthorized('the token has expired');
      logger.debug({ reason: (error as Error).message, function: request.context.functionName }, 'token refused');
      throw unauthorized('invalid token');
    }
    (request.event as AuthenticatedEvent).auth = auth;
  },
});
