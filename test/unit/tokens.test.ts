import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { rsaJwkThumbprint, signingKeyFromPem, type SigningKey } from '@chat4all/shared/auth/keys.js';
import { ACCESS_TOKEN_TTL_SECONDS, createAccessTokenVerifier, signAccessToken } from '@chat4all/shared/auth/tokens.js';
import { apiHandler } from '@chat4all/shared/middleware/api-handler.js';
import { json } from '@chat4all/shared/http/response.js';
import { authenticate, type AuthenticatedEvent } from '@chat4all/shared/middleware/authenticate.js';
import { ensureJwtKeys } from '../../infra/provision/jwt-keys.js';

const newKey = (): SigningKey =>
  signingKeyFromPem(
    crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }),
  );

const key = newKey();
const otherKey = newKey();
const subject = { userId: crypto.randomUUID(), username: 'user_a' };

// The real middleware in the real Middy stack, verifying against the generated key only.
const protectedHandler = apiHandler<AuthenticatedEvent>(async (event) => json(200, event.auth), {
  use: [authenticate({ verifier: createAccessTokenVerifier({ keys: [key] }) })],
});

async function call(authorization?: string) {
  const event = {
    httpMethod: 'GET',
    path: '/v1/conversations',
    headers: authorization === undefined ? {} : { Authorization: authorization },
    body: null,
    isBase64Encoded: false,
  } as unknown as APIGatewayProxyEvent;
  const result = await protectedHandler(event, { functionName: 'test' } as Context);
  return { status: result.statusCode, headers: result.headers ?? {}, body: JSON.parse(result.body) };
}

async function assertRefused(authorization: string | undefined, message?: string) {
  const response = await call(authorization);
  assert.equal(response.status, 401, JSON.stringify(response.body));
  assert.equal(response.body.code, 'unauthorized');
  assert.equal(typeof response.body.error, 'string');
  if (message) assert.equal(response.body.error, message);
  assert.equal(response.headers['WWW-Authenticate'], 'Bearer');
}

const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const decode = (segment: string) => JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));

/** A token with arbitrary header and claims, signed RS256 by `signer`. */
function forge(header: Record<string, unknown>, claims: Record<string, unknown>, signer = key): string {
  const input = `${part(header)}.${part(claims)}`;
  return `${input}.${crypto.sign('sha256', Buffer.from(input), signer.privateKey).toString('base64url')}`;
}

function validClaims(): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return {
    sub: subject.userId,
    username: subject.username,
    iss: 'chat4all',
    aud: 'chat4all-api',
    iat: now,
    exp: now + 60,
  };
}

describe('access tokens', () => {
  it('signs an RS256 JWT with kid and the claims of the contract', () => {
    const before = Math.floor(Date.now() / 1000);
    const [header, payload, signature] = signAccessToken(subject, { key }).split('.');
    assert.deepEqual(decode(header!), { alg: 'RS256', typ: 'JWT', kid: key.kid });
    const claims = decode(payload!);
    assert.equal(claims.sub, subject.userId);
    assert.equal(claims.username, 'user_a');
    assert.equal(claims.iss, 'chat4all');
    assert.equal(claims.aud, 'chat4all-api');
    assert.ok(claims.iat >= before && claims.iat <= before + 1);
    assert.equal(claims.exp - claims.iat, ACCESS_TOKEN_TTL_SECONDS);
    assert.match(claims.jti, /^[0-9a-f-]{36}$/);
    assert.equal(Buffer.from(signature!, 'base64url').length, 256, 'a 2048-bit RSA signature');
    assert.notEqual(signAccessToken(subject, { key }), signAccessToken(subject, { key }), 'each token has its own jti');
  });

  it('round-trips through the middleware: event.auth is the subject', async () => {
    const response = await call(`Bearer ${signAccessToken(subject, { key })}`);
    assert.equal(response.status, 200);
    assert.deepEqual(response.body, subject);
    assert.equal(
      (await call(`bearer  ${signAccessToken(subject, { key })}`)).status,
      200,
      'scheme is case-insensitive',
    );
  });

  it('refuses a missing or malformed Authorization header', async () => {
    await assertRefused(undefined, 'missing bearer token');
    await assertRefused('');
    await assertRefused('Basic dXNlcl9hOnBhc3NfYQ==');
    await assertRefused('Bearer');
    await assertRefused('Bearer not-a-jwt');
    await assertRefused('Bearer a.b.c');
    await assertRefused(`Token ${signAccessToken(subject, { key })}`);
  });

  it('refuses an expired token', async () => {
    const expired = signAccessToken(subject, { key, now: Date.now() - 2 * 3600 * 1000 });
    await assertRefused(`Bearer ${expired}`, 'the token has expired');
  });

  it('refuses a token whose payload was changed', async () => {
    const [header, payload, signature] = signAccessToken(subject, { key }).split('.');
    const claims = decode(payload!);
    await assertRefused(`Bearer ${header}.${part({ ...claims, sub: crypto.randomUUID() })}.${signature}`);
    await assertRefused(`Bearer ${header}.${part({ ...claims, exp: claims.exp + 86400 })}.${signature}`);
  });

  it('refuses a token whose signature was changed or removed', async () => {
    const [header, payload, signature] = signAccessToken(subject, { key }).split('.');
    const bytes = Buffer.from(signature!, 'base64url');
    bytes[100] = bytes[100]! ^ 0x01;
    await assertRefused(`Bearer ${header}.${payload}.${bytes.toString('base64url')}`);
    await assertRefused(`Bearer ${header}.${payload}.`);
  });

  it('refuses alg "none" and HS256 signed with the public key', async () => {
    const claims = validClaims();
    await assertRefused(`Bearer ${part({ alg: 'none', typ: 'JWT', kid: key.kid })}.${part(claims)}.`);
    await assertRefused(`Bearer ${part({ alg: 'none', typ: 'JWT' })}.${part(claims)}.`);
    await assertRefused(`Bearer ${part({ alg: 'none', typ: 'JWT', kid: key.kid })}.${part(claims)}.AAAA`);
    const input = `${part({ alg: 'HS256', typ: 'JWT', kid: key.kid })}.${part(claims)}`;
    const publicPem = key.publicKey.export({ type: 'spki', format: 'pem' });
    const hmac = crypto.createHmac('sha256', publicPem).update(input).digest('base64url');
    await assertRefused(`Bearer ${input}.${hmac}`);
  });

  it('refuses a foreign key, an unknown kid, a missing kid', async () => {
    await assertRefused(`Bearer ${signAccessToken(subject, { key: otherKey })}`);
    await assertRefused(`Bearer ${forge({ alg: 'RS256', typ: 'JWT', kid: key.kid }, validClaims(), otherKey)}`);
    await assertRefused(`Bearer ${forge({ alg: 'RS256', typ: 'JWT' }, validClaims())}`);
    // The control: the same forge with the right key and kid passes.
    assert.equal(
      (await call(`Bearer ${forge({ alg: 'RS256', typ: 'JWT', kid: key.kid }, validClaims())}`)).status,
      200,
    );
  });

  it('refuses the wrong audience or issuer, and tokens without exp, sub or username', async () => {
    await assertRefused(`Bearer ${signAccessToken(subject, { key, audience: 'another-api' })}`);
    await assertRefused(`Bearer ${signAccessToken(subject, { key, issuer: 'someone-else' })}`);
    const header = { alg: 'RS256', typ: 'JWT', kid: key.kid };
    for (const claim of ['exp', 'sub', 'username', 'aud', 'iss']) {
      const claims = validClaims();
      delete claims[claim];
      await assertRefused(`Bearer ${forge(header, claims)}`);
    }
  });
});

describe('signing keys', () => {
  it('computes the RFC 7638 thumbprint (the RFC 7638 §3.1 example)', () => {
    const n =
      '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMs' +
      'tn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5' +
      'hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw';
    assert.equal(rsaJwkThumbprint({ e: 'AQAB', n }), 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs');
  });

  it('derives the public JWK and kid from the private key', () => {
    assert.deepEqual(Object.keys(key.jwk).sort(), ['alg', 'e', 'kid', 'kty', 'n', 'use']);
    assert.equal(key.jwk.alg, 'RS256');
    assert.equal(key.jwk.use, 'sig');
    assert.equal(key.kid, rsaJwkThumbprint(key.jwk));
    assert.notEqual(key.kid, otherKey.kid);
    const pkcs1 = key.privateKey.export({ type: 'pkcs1', format: 'pem' });
    assert.equal(signingKeyFromPem(pkcs1).kid, key.kid, 'PKCS#1 and PKCS#8 PEM of one key give one kid');
  });

  it('refuses keys that are not RSA or too small', () => {
    const ec = crypto
      .generateKeyPairSync('ec', { namedCurve: 'P-256' })
      .privateKey.export({ type: 'pkcs8', format: 'pem' });
    assert.throws(() => signingKeyFromPem(ec), /RSA/);
    const small = crypto
      .generateKeyPairSync('rsa', { modulusLength: 1024 })
      .privateKey.export({ type: 'pkcs8', format: 'pem' });
    assert.throws(() => signingKeyFromPem(small), /2048/);
  });

  it('provisioning generates the key once (mode 0600) and then keeps it', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chat4all-jwt-'));
    try {
      const file = path.join(dir, 'jwt', 'private.pem');
      const lines: string[] = [];
      const first = ensureJwtKeys((line) => lines.push(line), file);
      assert.equal(first.created, true);
      assert.equal(fs.statSync(file).mode & 0o777, 0o600);
      assert.equal(signingKeyFromPem(fs.readFileSync(file, 'utf8')).kid, first.kid);
      assert.ok(fs.existsSync(path.join(dir, 'jwt', 'public.pem')));
      const second = ensureJwtKeys(() => {}, file);
      assert.deepEqual(second, { ...first, created: false });
      assert.match(lines[0]!, new RegExp(`signing key ${first.kid} generated`));
      assert.deepEqual(
        fs.readdirSync(path.join(dir, 'jwt')).sort(),
        ['private.pem', 'public.pem'],
        'no temp file left',
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
