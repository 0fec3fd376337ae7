import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import http from 'node:http';
import { after, describe, it } from 'node:test';
import { logIn } from '@chat4all/shared/auth/login.js';
import { throttlePolicy } from '@chat4all/shared/auth/throttle/policy.js';
import type { ThrottleSettings } from '@chat4all/shared/auth/throttle/throttle.js';
import { createCassandraClient } from '@chat4all/shared/clients/cassandra.js';
import { config } from '@chat4all/shared/config.js';
import { API_URL } from '../helpers/api.js';

/**
 * Throttling of failed logins (per account and per client address) and of registrations (per client address), against
 * the running API at its configured settings (AUTH_THROTTLE_*; the defaults below are config.ts's).
 *
 * Every test calls from an address of its own in 127.0.0.0/8 (a client socket bound to it: serverless-offline, like API
 * Gateway, takes the address from the connection, not from a header), so no test uses another's allowance, and none
 * touches 127.0.0.1, the exempt address the rest of the suite registers and logs in from. Accounts are fresh ones:
 * the development users are never throttled here. The arithmetic of the delays is in test/unit/login-throttle.test.ts.
 */

const setting = (name: string, fallback: number) => Number(process.env[name] || fallback);
const ACCOUNT_FREE = setting('AUTH_THROTTLE_ACCOUNT_FREE', 5);
const ACCOUNT_BASE_DELAY = setting('AUTH_THROTTLE_ACCOUNT_BASE_DELAY_SECONDS', 1);
const ADDRESS_FREE = setting('AUTH_THROTTLE_ADDRESS_FREE', 20);
const REGISTER_FREE = setting('AUTH_THROTTLE_REGISTER_FREE', 20);
// Binding a client socket to another loopback address needs the API on this machine's loopback.
const apiOnLoopback = ['127.0.0.1', 'localhost'].includes(new URL(API_URL).hostname);
const skip = apiOnLoopback ? false : `the API (${API_URL}) is not on this machine's loopback`;

interface Answer {
  status: number;
  retryAfter: string | undefined;
  body: { error?: unknown; code?: unknown; access_token?: unknown };
}

/** A loopback address no other test uses (never 127.0.0.1). */
function freshAddress(): string {
  const [a, b, c] = crypto.randomBytes(3);
  return `127.${a}.${b}.${(c! % 253) + 2}`;
}

/** POST a JSON body to the API from the given local address. */
function post(from: string, path: string, body: unknown): Promise<Answer> {
  const url = new URL(path, API_URL);
  return new Promise((resolve, reject) => {
    const outgoing = http.request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        localAddress: from,
        family: 4,
        headers: { 'Content-Type': 'application/json' },
        timeout: 15_000,
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            retryAfter: response.headers['retry-after'],
            body: text ? (JSON.parse(text) as Answer['body']) : {},
          }),
        );
      },
    );
    outgoing.on('timeout', () => outgoing.destroy(new Error(`POST ${path}: no answer in 15 s`)));
    outgoing.on('error', reject);
    outgoing.end(JSON.stringify(body));
  });
}

const login = (from: string, username: string, password: string) => post(from, '/auth/token', { username, password });

async function register(from: string): Promise<{ username: string; password: string }> {
  const username = `throttle_${crypto.randomBytes(5).toString('hex')}`;
  const password = `pw-${crypto.randomBytes(9).toString('base64url')}`;
  const answer = await post(from, '/auth/register', { username, password, email: `${username}@example.com` });
  assert.equal(answer.status, 201, JSON.stringify(answer.body));
  return { username, password };
}

function assertThrottled(answer: Answer, code: string): number {
  assert.equal(answer.status, 429, JSON.stringify(answer.body));
  assert.equal(answer.body.code, code);
  assert.equal(typeof answer.body.error, 'string');
  assert.match(answer.retryAfter ?? '', /^[1-9]\d*$/, 'Retry-After in whole seconds');
  return Number(answer.retryAfter);
}

const assertRefused = (answer: Answer) => assert.equal(answer.status, 401, JSON.stringify(answer.body));
const waitSeconds = (seconds: number) => new Promise((resolve) => setTimeout(resolve, seconds * 1000));

describe('login throttling', { timeout: 180_000, skip }, () => {
  it('can be called from other loopback addresses', async () => {
    const answer = await post(freshAddress(), '/auth/token', {});
    assert.equal(answer.status, 400, 'an empty body is a 400, and costs nothing');
  });

  it('an account: the free failures are 401s, then 429 login_throttled with Retry-After, from any address, the right password included', async () => {
    const user = await register(freshAddress());
    const attacker = freshAddress();
    for (let i = 0; i < ACCOUNT_FREE; i++) assertRefused(await login(attacker, user.username, 'wrong password'));
    const retryAfter = assertThrottled(await login(attacker, user.username, 'wrong password'), 'login_throttled');
    assert.ok(retryAfter <= ACCOUNT_BASE_DELAY, `the first delay is the base delay (${retryAfter} s)`);
    // The account is throttled wherever the next attempt comes from, whether its password is right or not.
    assertThrottled(await login(freshAddress(), user.username, user.password), 'login_throttled');
    assertThrottled(await login(attacker, user.username.toUpperCase(), user.password), 'login_throttled');
    if (ACCOUNT_FREE + 1 < ADDRESS_FREE) {
      // The attacker's address has not used its own allowance: another account answers as usual.
      assertRefused(await login(attacker, `nobody_${crypto.randomBytes(4).toString('hex')}`, 'wrong password'));
    }
  });

  it('the delay grows with each failure, and a successful login clears the account’s failures', async (t) => {
    if (ACCOUNT_BASE_DELAY > 5) return t.skip(`the base delay (${ACCOUNT_BASE_DELAY} s) is too long to wait out here`);
    const from = freshAddress();
    const user = await register(from);
    for (let i = 0; i < ACCOUNT_FREE; i++) assertRefused(await login(from, user.username, 'wrong password'));
    const first = assertThrottled(await login(from, user.username, 'wrong password'), 'login_throttled');

    await waitSeconds(first); // waiting out Retry-After is what a client is told to do
    assertRefused(await login(from, user.username, 'wrong password'));
    const second = assertThrottled(await login(from, user.username, 'wrong password'), 'login_throttled');
    assert.ok(second > first, `the second delay (${second} s) is longer than the first (${first} s)`);

    await waitSeconds(second);
    const success = await login(from, user.username, user.password);
    assert.equal(success.status, 200, JSON.stringify(success.body));
    assert.equal(typeof success.body.access_token, 'string');
    // The count starts over: as many free failures as a fresh account has, then the base delay again.
    for (let i = 0; i < ACCOUNT_FREE; i++) assertRefused(await login(from, user.username, 'wrong password'));
    const again = assertThrottled(await login(from, user.username, 'wrong password'), 'login_throttled');
    assert.ok(again <= first, `back to the first delay (${again} s)`);
  });

  it('a name nobody has is throttled like an existing one (the answers do not tell which names exist)', async () => {
    const from = freshAddress();
    const nobody = `nobody_${crypto.randomBytes(5).toString('hex')}`;
    for (let i = 0; i < ACCOUNT_FREE; i++) assertRefused(await login(from, nobody, 'wrong password'));
    assertThrottled(await login(from, nobody, 'wrong password'), 'login_throttled');
  });

  it('a client address: its free failures over many accounts, then 429 for any login from it; the account still logs in from elsewhere', async () => {
    const user = await register(freshAddress());
    const sprayer = freshAddress();
    for (let i = 0; i < ADDRESS_FREE; i++) {
      assertRefused(await login(sprayer, `spray_${i}_${crypto.randomBytes(4).toString('hex')}`, 'Summer2026!'));
    }
    assertThrottled(await login(sprayer, user.username, user.password), 'login_throttled');
    const elsewhere = await login(freshAddress(), user.username, user.password);
    assert.equal(elsewhere.status, 200, JSON.stringify(elsewhere.body));
  });

  it('a burst of simultaneous wrong passwords gets no more 401s than the free failures', async () => {
    const from = freshAddress();
    const user = await register(from);
    const answers = await Promise.all(
      Array.from({ length: 3 * ACCOUNT_FREE }, () => login(from, user.username, 'wrong password')),
    );
    const refused = answers.filter((answer) => answer.status === 401).length;
    for (const answer of answers.filter((a) => a.status !== 401)) assertThrottled(answer, 'login_throttled');
    assert.ok(refused <= ACCOUNT_FREE, `${refused} of ${answers.length} were checked (at most ${ACCOUNT_FREE})`);
  });
});

describe('the throttle store is shared by every API instance', { timeout: 60_000 }, () => {
  // Two clients, two connection pools: what two API instances (two Lambda sandboxes) have.
  const instances = [0, 1].map(() => createCassandraClient({ keyspace: config.cassandra.keyspace }));
  after(() => Promise.all(instances.map((db) => db.shutdown())));
  // A long delay: no attempt in these tests gets through because time passed.
  const policy = throttlePolicy({ free: 3, baseDelaySeconds: 600, maxDelaySeconds: 600, windowSeconds: 600 });
  const settings: ThrottleSettings = { account: policy, address: policy, register: policy, exemptAddresses: new Set() };
  const attempt = (instance: number, username: string, ip: string) =>
    logIn(instances[instance]!, { username, password: 'wrong password', ip }, settings);

  it('failures counted on one instance throttle the account on the other', async () => {
    const username = `shared_${crypto.randomBytes(5).toString('hex')}`;
    const outcomes = [];
    for (const instance of [0, 1, 0]) outcomes.push((await attempt(instance, username, freshAddress())).outcome);
    assert.deepEqual(outcomes, ['invalid', 'invalid', 'invalid']);
    for (const instance of [1, 0]) {
      const next = await attempt(instance, username, freshAddress());
      assert.equal(next.outcome, 'throttled', `instance ${instance}`);
    }
  });

  it('simultaneous attempts on two instances share one allowance, not one each', async () => {
    const username = `shared_${crypto.randomBytes(5).toString('hex')}`;
    const outcomes = await Promise.all(
      Array.from({ length: 12 }, (_, i) => attempt(i % 2, username, freshAddress()).then((r) => r.outcome)),
    );
    const checked = outcomes.filter((outcome) => outcome === 'invalid').length;
    assert.ok(checked <= policy.free, `${checked} of 12 were checked (at most ${policy.free})`);
    assert.equal(outcomes.filter((outcome) => outcome === 'throttled').length, 12 - checked);
  });
});

describe('registration throttling', { timeout: 180_000, skip }, () => {
  it('a client address: the free registrations are 201s, then 429 registration_throttled; invalid bodies do not count', async () => {
    const from = freshAddress();
    for (let i = 0; i < 3; i++) {
      const invalid = await post(from, '/auth/register', { username: 'x', password: 'short', email: 'nope' });
      assert.equal(invalid.status, 400);
    }
    for (let i = 0; i < REGISTER_FREE; i++) await register(from);
    const refused = await post(from, '/auth/register', {
      username: `throttle_${crypto.randomBytes(5).toString('hex')}`,
      password: 'a long enough password',
      email: `late_${crypto.randomBytes(4).toString('hex')}@example.com`,
    });
    assertThrottled(refused, 'registration_throttled');
    await register(freshAddress()); // another address has its own allowance
  });

  it('a burst of simultaneous registrations from one address gets no more through than the allowance', async () => {
    const from = freshAddress();
    const answers = await Promise.all(
      Array.from({ length: REGISTER_FREE + 10 }, async () => {
        const username = `throttle_${crypto.randomBytes(5).toString('hex')}`;
        return post(from, '/auth/register', {
          username,
          password: 'a long enough password',
          email: `${username}@example.com`,
        });
      }),
    );
    const created = answers.filter((answer) => answer.status === 201).length;
    for (const answer of answers.filter((a) => a.status !== 201)) assertThrottled(answer, 'registration_throttled');
    assert.ok(created <= REGISTER_FREE, `${created} of ${answers.length} were created (at most ${REGISTER_FREE})`);
  });
});
