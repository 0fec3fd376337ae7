import type { APIGatewayProxyEvent } from 'aws-lambda';
import { createAccessTokenVerifier, type AccessTokenVerifier, type TokenSubject } from '../auth/tokens.js';
import { headerValue } from '../middleware/correlation-id.js';

let verifier: AccessTokenVerifier | undefined;

/** The user a WebSocket handshake authenticates as: `?token=` or `Authorization: Bearer`; undefined if none is valid. */
export function handshakeUser(
  event: Pick<APIGatewayProxyEvent, 'headers' | 'queryStringParameters'>,
): TokenSubject | undefined {
  const fromHeader = /^Bearer +(\S+)$/i.exec(headerValue(event.headers, 'authorization') ?? '')?.[1];
  const token = event.queryStringParameters?.token ?? fromHeader;
  if (!token) return undefined;
  try {
    verifier ??= createAccessTokenVerifier();
    return verifier(token);
  } catch {
    return undefined;
  }
}
