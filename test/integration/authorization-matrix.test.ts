import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { config } from '@chat4all/shared/config.js';
import { signBody } from '@chat4all/shared/webhooks/signature.js';
import { request, type JsonResponse } from '../helpers/api.js';
import { bearer } from '../helpers/auth.js';
import { apiOperations, fillRoute, type ApiOperation } from '../helpers/operations.js';
import {
  AUTHORIZATION,
  forgeTokens,
  securityFixture,
  type Attempt,
  type ForgedTokens,
  type SecurityFixture,
  type ValidRequest,
} from '../helpers/security.js';

/**
 * Every protected operation of docs/openapi.yaml (and any HTTP route serverless.yml adds before the spec does) ×
 * {no token, malformed, expired, tampered, alg:none, HS256 with the public key, another key} → 401, and × {another
 * user on the owner's resource, a non-member} → the answer AUTHORIZATION in test/helpers/security.ts names. The
 * resources are real: a group of owner and member, a stored message, an uploaded file, a linked identity.
 * Webhooks: unsigned or badly signed POSTs → 401.
 */

const operations = apiOperations();
const protectedOps = operations.filter((op) => op.protected);
const webhooks = operations.filter((op) => op.webhook);

let f: SecurityFixture;
let tokens: ForgedTokens;

before(async () => {
  f = await securityFixture('authz');
  tokens = forgeTokens(f);
});

/** Placeholders for an operation the matrix has no entry for: authentication comes before any path check. */
const PLACEHOLDER = '01a21e00-0000-7000-8000-000000000000';

function call(op: ApiOperation, valid: ValidRequest, headers: Record<string, string>, change: ValidRequest = {}) {
  const params = {
    ...Object.fromEntries(op.pathParams.map((name) => [name, PLACEHOLDER])),
    ...valid.params,
    ...change.params,
  };
  const query = new URLSearchParams(change.query ?? valid.query ?? {}).toString();
  const body = 'body' in change ? change.body : valid.body;
  return request(op.method, `${fillRoute(op.route, params)}${query ? `?${query}` : ''}`, { headers, body });
}

const validRequest = (op: ApiOperation): ValidRequest => AUTHORIZATION[op.key]?.valid(f) ?? {};

function assertUnauthorized(response: JsonResponse, label: string) {
  assert.equal(response.status, 401, `${label}: ${JSON.stringify(response.body)}`);
  assert.equal(response.body.code, 'unauthorized');
  assert.equal(typeof response.body.error, 'string');
  assert.match(response.headers.get('www-authenticate') ?? '', /^Bearer/);
}

const TOKEN_CASES: [string, () => Record<string, string>, RegExp?][] = [
  ['no token', () => ({})],
  [
    'a malformed Authorization header',
    () => ({ Authorization: `Basic ${Buffer.from('user_a:pass_a').toString('base64')}` }),
  ],
  ['an expired token', () => bearer(tokens.expired), /expired/],
  ['a tampered token (payload changed, signature kept)', () => bearer(tokens.tampered)],
  ['an alg:none token', () => bearer(tokens.algNone)],
  ['an HS256 token keyed with the public key', () => bearer(tokens.hs256)],
  ['a token signed by another key with the same kid', () => bearer(tokens.foreignKey)],
];

describe('authorization matrix', { timeout: 120_000 }, () => {
  it('covers every protected operation, and each says who may use it', () => {
    assert.ok(protectedOps.length >= 10, `${protectedOps.length} protected operations found in the spec`);
    const missing = protectedOps.filter((op) => !AUTHORIZATION[op.key]).map((op) => op.key);
    assert.deepEqual(missing, [], 'add these to AUTHORIZATION in test/helpers/security.ts');
  });

  it('forges with the API key: the same key, correctly used, is accepted', async () => {
    const response = await request('GET', '/v1/conversations', { headers: bearer(tokens.valid) });
    assert.equal(response.status, 200, JSON.stringify(response.body));
  });

  for (const op of protectedOps) {
    describe(op.key, () => {
      for (const [label, headers, message] of TOKEN_CASES) {
        it(`${label} → 401`, async () => {
          const response = await call(op, validRequest(op), headers());
          assertUnauthorized(response, label);
          if (message) assert.match(String(response.body.error), message);
        });
      }

      const check = async (attempt: Attempt) => {
        const caller = f[attempt.as];
        const response = await call(op, validRequest(op), caller.headers, attempt.request);
        assert.equal(response.status, attempt.status, `${attempt.as}: ${JSON.stringify(response.body)}`);
        if (attempt.code) assert.equal(response.body.code, attempt.code);
        attempt.check?.(response.body, f);
      };
      const entry = AUTHORIZATION[op.key];
      it('another user, on the owner’s resource', async (t) => {
        if (!entry) assert.fail(`${op.key} has no AUTHORIZATION entry`);
        if (!entry.other) return t.skip('any member may: nothing to refuse');
        await check(entry.other(f));
      });
      it('a user outside the conversation', async () => {
        if (!entry) assert.fail(`${op.key} has no AUTHORIZATION entry`);
        await check(entry.nonMember(f));
      });
    });
  }

  it('the refused attempts changed nothing', async () => {
    const conversation = await request<{ members: { user_id: string; role: string }[] }>(
      'GET',
      `/v1/conversations/${f.conversationId}`,
      { headers: f.owner.headers },
    );
    assert.equal(conversation.status, 200);
    const roles = Object.fromEntries(conversation.body.members.map((m) => [m.user_id, m.role]));
    assert.deepEqual(roles, { [f.owner.id]: 'admin', [f.member.id]: 'member' });
    const message = await request('GET', `/v1/messages/${f.messageId}`, { headers: f.owner.headers });
    assert.notEqual(message.body.status, 'READ', 'nobody but a recipient marked it read');
  });
});

/** The channel's app secret as the API has it (the same environment, else the local development default). */
const appSecretOf = (route: string): string | undefined =>
  (config.channels as Record<string, { appSecret?: string } | undefined>)[route.split('/').pop() ?? '']?.appSecret;

describe('webhooks: a POST needs a valid X-Hub-Signature-256', { timeout: 60_000 }, () => {
  it('are served', (t) => {
    if (webhooks.length === 0) t.skip('no /webhooks/* route in serverless.yml or the spec yet');
  });
  for (const op of webhooks.filter((w) => w.method === 'POST')) {
    const body = JSON.stringify({ object: 'whatsapp_business_account', entry: [] });
    const post = (headers: Record<string, string>, payload = body) =>
      request(op.method, op.route, { body: payload, headers: { 'Content-Type': 'application/json', ...headers } });
    const cases: [string, () => Record<string, string>][] = [
      ['no signature', () => ({})],
      ['signed with another secret', () => ({ 'X-Hub-Signature-256': signBody(body, 'not-the-app-secret') })],
      [
        'the signature of another body',
        () => ({ 'X-Hub-Signature-256': signBody(`${body} `, appSecretOf(op.route) ?? 'x') }),
      ],
      ['a malformed signature', () => ({ 'X-Hub-Signature-256': 'sha256=zz' })],
      ['a SHA-1 signature', () => ({ 'X-Hub-Signature': 'sha1=0123456789abcdef0123456789abcdef01234567' })],
      ['a bearer token instead', () => f.owner.headers],
    ];
    for (const [label, headers] of cases) {
      it(`${op.key}: ${label} → 401`, async () => {
        const response = await post(headers());
        assert.equal(response.status, 401, JSON.stringify(response.body));
        assert.equal(response.body.code, 'invalid_signature');
      });
    }
    it(`${op.key}: the right signature gets past the check (so the 401s are about the signature)`, async (t) => {
      const secret = appSecretOf(op.route);
      if (!secret) return t.skip(`no app secret known for ${op.route}`);
      const response = await post({ 'X-Hub-Signature-256': signBody(body, secret) });
      assert.notEqual(response.status, 401, JSON.stringify(response.body));
      assert.ok(response.status < 500, JSON.stringify(response.body));
    });
  }
  for (const op of webhooks.filter((w) => w.method === 'GET')) {
    it(`${op.key}: a subscription handshake with the wrong verify token → 403`, async () => {
      const query = new URLSearchParams({
        'hub.mode': 'subscribe',
        'hub.verify_token': 'guess',
        'hub.challenge': '42',
      });
      const response = await request('GET', `${op.route}?${query}`);
      assert.equal(response.status, 403, JSON.stringify(response.body));
    });
  }
});
