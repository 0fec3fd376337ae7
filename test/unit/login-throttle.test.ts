import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { addressKey, canonicalIp, sourceIp } from '@chat4all/shared/auth/throttle/address.js';
import {
  attemptsToMaxDelay,
  delayAfter,
  retryAfterSeconds,
  throttlePolicy,
  waitMs,
} from '@chat4all/shared/auth/throttle/policy.js';
import { loginScopes, registrationScopes, type ThrottleSettings } from '@chat4all/shared/auth/throttle/throttle.js';

/** The pure parts of login and registration throttling; the store and the handlers are in login-throttle (integration). */

const account = throttlePolicy({ free: 5, baseDelaySeconds: 1, maxDelaySeconds: 900, windowSeconds: 86_400 });
const S = 1000;

describe('throttle policy', () => {
  it('gives `free` attempts without delay, then doubles from the base delay', () => {
    const delays = Array.from({ length: 10 }, (_, n) => delayAfter(n, account) / S);
    assert.deepEqual(delays, [0, 0, 0, 0, 0, 1, 2, 4, 8, 16]);
  });

  it('never waits more than the maximum delay, however many attempts (a lockout is bounded)', () => {
    assert.equal(delayAfter(15, account), 900 * S);
    assert.equal(delayAfter(10_000, account), 900 * S, 'no overflow to Infinity or NaN');
    assert.equal(attemptsToMaxDelay(account), 15, '1 s × 2^10 ≥ 900 s: the 15th attempt reaches the cap');
    assert.equal(delayAfter(attemptsToMaxDelay(account) - 1, account), 512 * S);
  });

  it('counts the wait from the latest attempt, whatever order the times come in', () => {
    const now = 1_000_000;
    const times = [now - 40 * S, now - 500, now - 30 * S, now - 20 * S, now - 10 * S]; // 5: the next one waits 1 s
    assert.equal(waitMs(times, now, account), 500);
    assert.equal(waitMs(times, now + 500, account), 0, 'exactly when the delay ends');
    assert.equal(waitMs(times.slice(1), now, account), 0, 'four attempts are free');
    assert.equal(waitMs([], now, account), 0);
  });

  it('waits the maximum after as many attempts as the store reads (more rows would change nothing)', () => {
    const now = 5_000_000;
    const times = Array.from({ length: attemptsToMaxDelay(account) }, (_, i) => now - i * S);
    assert.equal(waitMs(times, now, account), 900 * S);
  });

  it('with one free attempt, the second waits the base delay', () => {
    const strict = throttlePolicy({ free: 1, baseDelaySeconds: 10, maxDelaySeconds: 60, windowSeconds: 60 });
    assert.equal(waitMs([], 0, strict), 0);
    assert.equal(waitMs([0], 0, strict), 10 * S);
    assert.equal(waitMs([0, 0], 0, strict), 20 * S);
    assert.equal(waitMs([0, 0, 0, 0, 0], 0, strict), 60 * S);
  });

  it('Retry-After is whole seconds, rounded up, at least 1', () => {
    assert.deepEqual([1, 999, 1000, 1001, 899_001].map(retryAfterSeconds), [1, 1, 1, 2, 900]);
  });

  it('refuses settings the store could not honour', () => {
    const valid = { free: 5, baseDelaySeconds: 1, maxDelaySeconds: 900, windowSeconds: 3600 };
    assert.throws(() => throttlePolicy({ ...valid, free: 0 }), 'a first attempt is always free');
    assert.throws(() => throttlePolicy({ ...valid, free: 2.5 }));
    assert.throws(() => throttlePolicy({ ...valid, free: 1001 }));
    assert.throws(() => throttlePolicy({ ...valid, baseDelaySeconds: 0 }));
    assert.throws(() => throttlePolicy({ ...valid, maxDelaySeconds: 0.5 }), 'the maximum is below the base');
    assert.throws(() => throttlePolicy({ ...valid, windowSeconds: 600 }), 'the window would forget a 900 s delay');
    assert.deepEqual(throttlePolicy(valid), { free: 5, baseDelayMs: 1000, maxDelayMs: 900_000, windowMs: 3_600_000 });
  });
});

describe('client address', () => {
  const event = (requestContext: unknown, headers: Record<string, string> = {}) =>
    ({ requestContext, headers }) as unknown as APIGatewayProxyEvent;

  it('comes from API Gateway (REST or HTTP API), never from X-Forwarded-For', () => {
    assert.equal(sourceIp(event({ identity: { sourceIp: '203.0.113.7' } })), '203.0.113.7');
    assert.equal(sourceIp(event({ http: { sourceIp: '2001:db8::1' } })), '2001:db8::1');
    assert.equal(sourceIp(event({ identity: {} }, { 'X-Forwarded-For': '198.51.100.1' })), undefined);
    assert.equal(sourceIp(event(undefined)), undefined, 'a direct invocation has none');
    assert.equal(sourceIp(event({ identity: { sourceIp: 'test-invoke-source-ip' } })), undefined);
  });

  it('has one spelling: IPv4-mapped IPv6 is IPv4, IPv6 is expanded', () => {
    assert.equal(canonicalIp('127.0.0.1'), '127.0.0.1');
    assert.equal(canonicalIp('::ffff:127.0.0.1'), '127.0.0.1');
    assert.equal(canonicalIp('::FFFF:7f00:1'), '127.0.0.1');
    assert.equal(canonicalIp('::1'), '0:0:0:0:0:0:0:1');
    assert.equal(canonicalIp('2001:DB8::a:1'), '2001:db8:0:0:0:0:a:1');
    assert.equal(canonicalIp('fe80::1%eth0'), 'fe80:0:0:0:0:0:0:1');
    assert.equal(canonicalIp('not an address'), undefined);
  });

  it('throttles IPv4 by address and IPv6 by /64 (one subscriber picks any address inside its /64)', () => {
    assert.equal(addressKey('203.0.113.7'), '203.0.113.7');
    assert.equal(addressKey('::ffff:203.0.113.7'), '203.0.113.7');
    assert.equal(addressKey('2001:db8:1:2:aaaa::1'), '2001:db8:1:2::/64');
    assert.equal(addressKey('2001:db8:1:2:ffff:ffff:ffff:ffff'), '2001:db8:1:2::/64');
    assert.notEqual(addressKey('2001:db8:1:3::1'), addressKey('2001:db8:1:2::1'));
  });
});

describe('throttle scopes', () => {
  const policy = throttlePolicy({ free: 1, baseDelaySeconds: 1, maxDelaySeconds: 1, windowSeconds: 1 });
  const settings: ThrottleSettings = {
    account: policy,
    address: policy,
    register: policy,
    exemptAddresses: new Set(['127.0.0.1']),
  };
  const keys = (scopes: { key: string }[]) => scopes.map((scope) => scope.key);

  it('counts a login against its account (as the users table spells it) and its address', () => {
    assert.deepEqual(keys(loginScopes(' User_C ', '198.51.100.4', settings)), [
      'account:user_c',
      'address:198.51.100.4',
    ]);
    assert.deepEqual(keys(loginScopes('user_c', '2001:db8::9', settings)), [
      'account:user_c',
      'address:2001:db8:0:0::/64',
    ]);
  });

  it('has no account scope for a name too long to be anyone’s, and no address scope when unknown or exempt', () => {
    assert.deepEqual(keys(loginScopes('x'.repeat(51), '198.51.100.4', settings)), ['address:198.51.100.4']);
    assert.deepEqual(keys(loginScopes('user_c', undefined, settings)), ['account:user_c']);
    assert.deepEqual(keys(loginScopes('user_c', '::ffff:127.0.0.1', settings)), ['account:user_c']);
    assert.deepEqual(keys(loginScopes('   ', '127.0.0.1', settings)), []);
  });

  it('counts registrations per address, apart from failed logins', () => {
    assert.deepEqual(keys(registrationScopes('198.51.100.4', settings)), ['register:198.51.100.4']);
    assert.deepEqual(registrationScopes('127.0.0.1', settings), []);
    assert.deepEqual(registrationScopes(undefined, settings), []);
  });
});
