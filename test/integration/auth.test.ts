import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { describe, it } from 'node:test';
import { request } from '../helpers/api.js';

interface ErrorBody {
  error: string;
  code: string;
}

const decode = (segment: string) => JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));

/** A fresh user per run: the names are unique, so the suite can run again on the same database. */
function newUser() {
  const suffix = crypto.randomBytes(6).toString('hex');
  return { username: `it_${suffix}`, password: `pw-${suffix}-long`, email: `it_${suffix}@example.com` };
}

function assertError(response: { status: number; body: unknown }, status: number, code: string) {
  assert.equal(response.status, status, JSON.stringify(response.body));
  const body = response.body as ErrorBody;
  assert.equal(body.code, code);
  assert.equal(typeof body.error, 'string');
  assert.ok(body.error.length > 0);
}

describe('POST /auth/register', () => {
  it('creates a user: 201 with id, username, email, created_at and no password', async () => {
    const user = newUser();
    const before = Date.now();
    const response = await request('POST', '/auth/register', { body: user });
    assert.equal(response.status, 201, JSON.stringify(response.body));
    assert.deepEqual(Object.keys(response.body).sort(), ['created_at', 'email', 'user_id', 'username']);
    assert.match(response.body.user_id as string, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.equal(response.body.username, user.username);
    assert.equal(response.body.email, user.email);
    assert.ok(Date.parse(response.body.created_at as string) >= before - 5000);

    // The new user can log in, and the token's subject is the new id.
    const token = await request<{ access_token: string }>('POST', '/auth/token', {
      body: { username: user.username, password: user.password },
    });
    assert.equal(token.status, 200);
    assert.equal(decode(token.body.access_token.split('.')[1]!).sub, response.body.user_id);
  });

  it('answers 409 username_taken for a taken username (in any case) and 409 email_taken for a taken email', async () => {
    const user = newUser();
    assert.equal((await request('POST', '/auth/register', { body: user })).status, 201);
    const other = newUser();
    assertError(
      await request('POST', '/auth/register', { body: { ...other, username: user.username } }),
      409,
      'username_taken',
    );
    assertError(
      await request('POST', '/auth/register', { body: { ...other, username: user.username.toUpperCase() } }),
      409,
      'username_taken',
    );
    assertError(await request('POST', '/auth/register', { body: { ...other, email: user.email } }), 409, 'email_taken');
    // The failed email claim released the username it had claimed: it is still free.
    assert.equal((await request('POST', '/auth/register', { body: other })).status, 201);
  });

  it('answers 400 with {error, code} for invalid input', async () => {
    const valid = newUser();
    const cases: [Record<string, unknown>, string][] = [
      [{ ...valid, username: 'ab' }, 'invalid_field'],
      [{ ...valid, username: 'has space' }, 'invalid_field'],
      [{ ...valid, username: 'x'.repeat(51) }, 'invalid_field'],
      [{ ...valid, password: 'short' }, 'invalid_field'],
      [{ ...valid, password: 'p'.repeat(129) }, 'invalid_field'],
      [{ ...valid, email: 'not-an-email' }, 'invalid_field'],
      [{ ...valid, email: `${'a'.repeat(250)}@example.com` }, 'invalid_field'],
      [{ ...valid, role: 'admin' }, 'unknown_field'],
      [{ username: valid.username, password: valid.password }, 'missing_field'],
      [{ ...valid, password: 12345678 }, 'invalid_field'],
    ];
    for (const [body, code] of cases) assertError(await request('POST', '/auth/register', { body }), 400, code);
    assertError(await request('POST', '/auth/register', { body: '{"username":' }), 400, 'invalid_json');
    assertError(await request('POST', '/auth/register', { body: '[]' }), 400, 'invalid_body');
    // None of them created the user.
    assert.equal((await request('POST', '/auth/register', { body: valid })).status, 201);
  });
});

describe('POST /auth/token', () => {
  it('issues an RS256 bearer token for user_a/pass_a with the Java system’s shape', async () => {
    const response = await request<{ access_token: string; token_type: string; expires_in: number }>(
      'POST',
      '/auth/token',
      { body: { username: 'user_a', password: 'pass_a' } },
    );
    assert.equal(response.status, 200, JSON.stringify(response.body));
    assert.deepEqual(Object.keys(response.body).sort(), ['access_token', 'expires_in', 'token_type']);
    assert.equal(response.body.token_type, 'Bearer');
    assert.equal(response.body.expires_in, 3600);
    assert.equal(response.headers.get('cache-control'), 'no-store');
    const [header, payload, signature] = response.body.access_token.split('.');
    assert.ok(signature);
    const jwtHeader = decode(header!);
    assert.equal(jwtHeader.alg, 'RS256');
    assert.equal(typeof jwtHeader.kid, 'string');
    const claims = decode(payload!);
    assert.equal(claims.username, 'user_a');
    assert.equal(claims.iss, 'chat4all');
    assert.equal(claims.aud, 'chat4all-api');
    assert.equal(claims.exp - claims.iat, 3600);
    assert.match(claims.sub, /^[0-9a-f-]{36}$/);
    assert.equal(typeof claims.jti, 'string');
  });

  it('answers 401 invalid_credentials, with one message, for a wrong password and an unknown user', async () => {
    const wrong = await request<ErrorBody>('POST', '/auth/token', { body: { username: 'user_a', password: 'pass_b' } });
    assertError(wrong, 401, 'invalid_credentials');
    assert.equal(wrong.headers.get('www-authenticate'), 'Bearer');
    const unknown = await request<ErrorBody>('POST', '/auth/token', {
      body: { username: `nobody_${crypto.randomBytes(4).toString('hex')}`, password: 'pass_a' },
    });
    assertError(unknown, 401, 'invalid_credentials');
    assert.equal(unknown.body.error, wrong.body.error);
    assertError(await request('POST', '/auth/token', { body: { username: 'user_a' } }), 400, 'missing_field');
  });
});

describe('GET /.well-known/jwks.json', () => {
  it('serves the key that signed the token, cacheably, without private parts', async () => {
    const token = await request<{ access_token: string }>('POST', '/auth/token', {
      body: { username: 'user_b', password: 'pass_b' },
    });
    const kid = decode(token.body.access_token.split('.')[0]!).kid;
    const response = await request<{ keys: Record<string, string>[] }>('GET', '/.well-known/jwks.json');
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('cache-control'), 'public, max-age=300');
    const jwk = response.body.keys.find((key) => key.kid === kid);
    assert.ok(jwk, `kid ${kid} is in the JWKS`);
    assert.deepEqual(Object.keys(jwk).sort(), ['alg', 'e', 'kid', 'kty', 'n', 'use']);
    assert.deepEqual([jwk.kty, jwk.alg, jwk.use], ['RSA', 'RS256', 'sig']);

    // The JWKS really verifies the token (what any other service would do with it).
    const [header, payload, signature] = token.body.access_token.split('.');
    const publicKey = crypto.createPublicKey({ key: jwk, format: 'jwk' });
    assert.ok(
      crypto.verify('sha256', Buffer.from(`${header}.${payload}`), publicKey, Buffer.from(signature!, 'base64url')),
    );
  });
});

describe('authenticate() on a protected route', () => {
  it('refuses no token and a tampered token with 401 unauthorized, accepts a good one', async () => {
    const missing = await request('GET', '/v1/conversations');
    assertError(missing, 401, 'unauthorized');
    assert.equal(missing.headers.get('www-authenticate'), 'Bearer');
    const token = await request<{ access_token: string }>('POST', '/auth/token', {
      body: { username: 'user_c', password: 'pass_c' },
    });
    const [header, payload, signature] = token.body.access_token.split('.');
    const claims = decode(payload!);
    const forged = Buffer.from(JSON.stringify({ ...claims, username: 'user_a' })).toString('base64url');
    assertError(
      await request('GET', '/v1/conversations', {
        headers: { Authorization: `Bearer ${header}.${forged}.${signature}` },
      }),
      401,
      'unauthorized',
    );
    const ok = await request('GET', '/v1/conversations', {
      headers: { Authorization: `Bearer ${token.body.access_token}` },
    });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
  });
});
