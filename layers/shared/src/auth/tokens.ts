import crypto from 'node:crypto';
import { JwtRsaVerifier } from 'aws-jwt-verify';
import { config } from '../config.js';
import { loadSigningKey, publicJwks, type SigningKey } from './keys.js';

/** The Java system's contract: `expires_in: 3600`. */
export const ACCESS_TOKEN_TTL_SECONDS = 3600;

/** Who a verified access token speaks for. */
export interface TokenSubject {
  userId: string;
  username: string;
}

export interface AccessTokenClaims {
  sub: string;
  username: string;
  iss: string;
  aud: string;
  iat: number;
  exp: number;
  jti: string;
}

export interface SignOptions {
  key?: SigningKey;
  /** Milliseconds since the epoch (tests sign tokens in the past). */
  now?: number;
  ttlSeconds?: number;
  issuer?: string;
  audience?: string;
}

const encode = (value: unknown): string => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');

/** An RS256 JWT (RSASSA-PKCS1-v1_5 with SHA-256) whose header names the key's kid. */
export function signAccessToken(subject: TokenSubject, options: SignOptions = {}): string {
  const key = options.key ?? loadSigningKey();
  const iat = Math.floor((options.now ?? Date.now()) / 1000);
  const claims: AccessTokenClaims = {
    sub: subject.userId,
    username: subject.username,
    iss: options.issuer ?? config.auth.issuer,
    aud: options.audience ?? config.auth.audience,
    iat,
    exp: iat + (options.ttlSeconds ?? ACCESS_TOKEN_TTL_SECONDS),
    jti: crypto.randomUUID(),
  };
  const signingInput = `${encode({ alg: 'RS256', typ: 'JWT', kid: key.kid })}.${encode(claims)}`;
  const signature = crypto.sign('sha256', Buffer.from(signingInput, 'utf8'), key.privateKey);
  return `${signingInput}.${signature.toString('base64url')}`;
}

export type AccessTokenVerifier = (token: string) => TokenSubject;

export interface VerifierOptions {
  /** The keys whose tokens are accepted (by default the process's signing key). */
  keys?: readonly SigningKey[];
  issuer?: string;
  audience?: string;
}

/**
 * Only the cache key of the JWKS: the verifier gets the keys through cacheJwks() and verifies with verifySync(),
 * which never fetches, so an unknown kid is refused without any HTTP request.
 */
const JWKS_CACHE_KEY = 'https://chat4all.invalid/.well-known/jwks.json';

/**
 * Verifies access tokens with aws-jwt-verify against the local public keys: signature (RS256 only, so `alg: none`
 * and HMAC tricks fail), kid, issuer, audience, expiry, and the claims this API needs. Throws on any failure.
 */
export function createAccessTokenVerifier(options: VerifierOptions = {}): AccessTokenVerifier {
  const verifier = JwtRsaVerifier.create({
    issuer: options.issuer ?? config.auth.issuer,
    audience: options.audience ?? config.auth.audience,
    jwksUri: JWKS_CACHE_KEY,
    customJwtCheck: ({ header, payload }) => {
      if (header.alg !== 'RS256') throw new Error('only RS256 tokens are accepted');
      if (typeof payload.exp !== 'number') throw new Error('the token has no exp');
      if (typeof payload.sub !== 'string' || payload.sub === '') throw new Error('the token has no sub');
      if (typeof payload.username !== 'string' || payload.username === '') throw new Error('the token has no username');
    },
  });
  verifier.cacheJwks(publicJwks(options.keys ?? [loadSigningKey()]));
  return (token) => {
    const payload = verifier.verifySync(token);
    return { userId: payload.sub!, username: payload.username as string };
  };
}
