import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { describe, it } from 'node:test';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { signingKeyFromPem } from '@chat4all/shared/auth/keys.js';
import { createAccessTokenVerifier, signAccessToken } from '@chat4all/shared/auth/tokens.js';
import { apiHandler } from '@chat4all/shared/middleware/api-handler.js';
import { json } from '@chat4all/shared/http/response.js';
import { authenticate, type AuthenticatedEvent } from '@chat4all/shared/middleware/authenticate.js';
import { rateLimit } from '@chat4all/shared/middleware/rate-limit.js';
import { KeyedTokenBuckets } from '@chat4all/shared/resilience/token-bucket.js';

const key = signingKeyFromPem(
  crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }),
);
const context = { functionName: 'chat4all-local-messagesSend', getRemainingTimeInMillis: () => 10_000 } as Context;

/** The send function's stack (apiHandler, JSON body, authenticate, rateLimit) around a handler that counts calls. */
function sendLike(ratePerSecond: number, burst: number, clock: { now: number }) {
  let handled = 0;
  const handler = apiHandler<AuthenticatedEvent>(
    async () => {
      handled += 1;
      return json(202, { status: 'ACCEPTED' });
    },
    {
      jsonBody: true,
      use: [
        authenticate({ verifier: createAccessTokenVerifier({ keys: [key] }) }),
        rateLimit({
          ratePerSecond,
          burst,
          key: (event) => (event as AuthenticatedEvent).auth?.userId,
          now: () => clock.now,
        }),
      ],
    },
  );
  return { handler, handled: () => handled };
}

function post(userId: string) {
  const token = signAccessToken({ userId, username: `u_${userId.slice(0, 8)}` }, { key });
  return {
    httpMethod: 'POST',
    path: '/v1/messages',
    resource: '/v1/messages',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: '{}',
  } as unknown as APIGatewayProxyEvent;
}

describe('KeyedTokenBuckets', () => {
  it('allows a burst, then the rate, and says how long to wait', () => {
    const clock = { now: 0 };
    const buckets = new KeyedTokenBuckets(2, 3, () => clock.now);
    assert.deepEqual(
      [0, 0, 0].map(() => buckets.take('a')),
      [0, 0, 0],
    );
    assert.equal(buckets.take('a'), 500, 'one token every 500 ms at 2/s');
    assert.equal(buckets.take('b'), 0, 'keys are independent');
    clock.now = 499;
    assert.equal(buckets.take('a'), 1, 'a refused call takes nothing');
    clock.now = 500;
    assert.equal(buckets.take('a'), 0);
    assert.equal(buckets.take('a'), 500);
    clock.now = 60_000;
    assert.deepEqual(
      [0, 0, 0, 500].map(() => buckets.take('a')),
      [0, 0, 0, 500],
      'refills to the burst, no more',
    );
  });

  it('stays bounded: idle keys are forgotten first, then the oldest', () => {
    const clock = { now: 0 };
    const buckets = new KeyedTokenBuckets(1, 1, () => clock.now, 10);
    for (let i = 0; i < 10; i++) buckets.take(`k${i}`);
    clock.now = 5_000; // every bucket has refilled: all of them are forgettable
    buckets.take('new');
    assert.equal(buckets.size, 1);
    for (let i = 0; i < 25; i++) buckets.take(`busy${i}`); // none refills: the oldest half goes
    assert.ok(buckets.size <= 10, `${buckets.size} keys`);
  });

  it('refuses a meaningless configuration', () => {
    assert.throws(() => new KeyedTokenBuckets(0, 1));
    assert.throws(() => new KeyedTokenBuckets(1, 0));
  });
});

describe('rateLimit middleware in the send stack', () => {
  it('answers 429 rate_limited with Retry-After past the burst, per user, without running the handler', async () => {
    const clock = { now: 1_000_000 };
    const { handler, handled } = sendLike(2, 3, clock);
    const alice = crypto.randomUUID();
    const bob = crypto.randomUUID();
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await handler(post(alice), context)).statusCode);
    assert.deepEqual(statuses, [202, 202, 202, 429, 429]);
    assert.equal(handled(), 3, 'refused calls never reach the handler');

    const refused = await handler(post(alice), context);
    assert.equal(refused.statusCode, 429);
    assert.equal(refused.headers?.['Retry-After'], '1');
    assert.ok(refused.headers?.['X-Correlation-Id'], 'the common stack still answers');
    const body = JSON.parse(refused.body) as { error: string; code: string };
    assert.equal(body.code, 'rate_limited');
    assert.match(body.error, /at most 2 a second/);

    assert.equal((await handler(post(bob), context)).statusCode, 202, 'another user has their own bucket');
    clock.now += 500;
    assert.equal((await handler(post(alice), context)).statusCode, 202, 'a token came back after 500 ms');
    assert.equal((await handler(post(alice), context)).statusCode, 429);
  });

  it('rounds Retry-After up to whole seconds', async () => {
    const clock = { now: 0 };
    const { handler } = sendLike(0.25, 1, clock); // one call every 4 s
    const user = crypto.randomUUID();
    assert.equal((await handler(post(user), context)).statusCode, 202);
    assert.equal((await handler(post(user), context)).headers?.['Retry-After'], '4');
    clock.now = 2_500;
    assert.equal((await handler(post(user), context)).headers?.['Retry-After'], '2');
  });

  it('authenticates first (401, not 429) and is off at rate 0', async () => {
    const clock = { now: 0 };
    const { handler } = sendLike(1, 1, clock);
    const anonymous = () => ({ ...post(crypto.randomUUID()), headers: { 'Content-Type': 'application/json' } });
    for (let i = 0; i < 3; i++) assert.equal((await handler(anonymous(), context)).statusCode, 401);

    const off = sendLike(0, 1, clock);
    const user = crypto.randomUUID();
    for (let i = 0; i < 50; i++) assert.equal((await off.handler(post(user), context)).statusCode, 202);
  });
});
