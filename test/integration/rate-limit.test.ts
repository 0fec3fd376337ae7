import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { API_URL, request } from '../helpers/api.js';
import { newPerson, type Person } from '../helpers/people.js';

/**
 * The per-user send limit of the running API, at its configured rate (SEND_RATE_LIMIT_PER_SECOND, default 200/s,
 * bursts of SEND_RATE_LIMIT_BURST, default 400): a fresh user sends faster than that and gets 429 rate_limited with
 * Retry-After, without changing any setting. The attempts carry an empty body, so each costs the API no database or
 * Kafka work (the limit counts attempts, valid or not) and the client can outrun the rate. The middleware's exact
 * arithmetic is tested in test/unit/rate-limit.test.ts.
 */

const RATE = Number(process.env.SEND_RATE_LIMIT_PER_SECOND || 200);
const BURST = Number(process.env.SEND_RATE_LIMIT_BURST || 400);
const CONCURRENCY = 32;

interface Outcome {
  status: number;
  retryAfter: string | null;
  body: { error?: unknown; code?: unknown };
}

async function attempt(person: Person): Promise<Outcome> {
  const response = await fetch(`${API_URL}/v1/messages`, {
    method: 'POST',
    headers: { ...person.headers, 'Content-Type': 'application/json' },
    body: '{}',
  });
  return {
    status: response.status,
    retryAfter: response.headers.get('retry-after'),
    body: (await response.json()) as Outcome['body'],
  };
}

describe('per-user send rate limit', { timeout: 60_000 }, () => {
  it('answers 429 rate_limited with Retry-After past the burst, to that user only', async (t) => {
    if (RATE <= 0) return t.skip('SEND_RATE_LIMIT_PER_SECOND is 0: the limit is off');
    const [sender, bystander] = await Promise.all([newPerson('ratelimit'), newPerson('ratelimit_other')]);
    const outcomes: Outcome[] = [];
    const started = Date.now();
    const maxAttempts = BURST * 4;
    let limited = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (limited < 20 && outcomes.length < maxAttempts && Date.now() - started < 20_000) {
          const outcome = await attempt(sender);
          outcomes.push(outcome);
          if (outcome.status === 429) limited += 1;
        }
      }),
    );
    const seconds = (Date.now() - started) / 1000;
    const rate = Math.round(outcomes.length / seconds);
    t.diagnostic(`${outcomes.length} attempts in ${seconds.toFixed(1)} s (${rate}/s): ${limited} limited`);
    // A machine too slow to outrun the limit cannot show it works: that is a failure to look at, not a pass.
    if (limited === 0 && rate < RATE * 1.2)
      assert.fail(`the API answered ${rate} attempts/s, too few to outrun ${RATE}/s from one client`);

    assert.ok(limited > 0, 'past the burst and the rate, some attempts are refused');
    const allowed = outcomes.filter((o) => o.status !== 429);
    assert.ok(
      allowed.every((o) => o.status === 400),
      'the others reached the handler (an empty body is a 400)',
    );
    assert.ok(allowed.length >= BURST, `the whole burst of ${BURST} was allowed (${allowed.length})`);
    assert.ok(
      allowed.length <= BURST + RATE * seconds + CONCURRENCY,
      `no more than burst + rate × time (${allowed.length})`,
    );
    for (const o of outcomes.filter((x) => x.status === 429)) {
      assert.equal(o.body.code, 'rate_limited');
      assert.equal(typeof o.body.error, 'string');
      assert.match(o.retryAfter ?? '', /^[1-9]\d*$/, 'Retry-After in whole seconds');
    }

    const other = await request('POST', '/v1/messages', { headers: bystander.headers, body: {} });
    assert.equal(other.status, 400, 'another user has a bucket of their own');

    const wait = Math.max(...outcomes.filter((o) => o.status === 429).map((o) => Number(o.retryAfter)));
    await new Promise((resolve) => setTimeout(resolve, wait * 1000));
    assert.equal((await attempt(sender)).status, 400, `after Retry-After (${wait} s) the user may send again`);
  });
});
