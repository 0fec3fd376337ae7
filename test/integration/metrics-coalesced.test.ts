/**
 * Under serverless-offline one process lives on, so metrics leave it coalesced: at most one push per interval, from a
 * timer. An invocation that ends while a push is on its way must still reach the Pushgateway (a later push), or its
 * counts wait for the next invocation, which may never come, and the cost budget reads them in the wrong window.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { describe, it } from 'node:test';
import type { Context } from 'aws-lambda';

process.env.METRICS_PUSH = 'coalesced';
process.env.METRICS_PUSH_INTERVAL_MS = '200';
const PUSHGATEWAY = process.env.PUSHGATEWAY_URL ?? 'http://127.0.0.1:9091';

// Every push takes 300 ms to be answered, so the second invocation below ends while the first push is on its way.
const realFetch = globalThis.fetch;
let pushes = 0;
globalThis.fetch = async (input, init) => {
  if (init?.method === 'PUT' && String(input).startsWith(PUSHGATEWAY)) {
    pushes++;
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  return realFetch(input, init);
};

async function invocationsIn(fn: string): Promise<number> {
  const { data } = (await (await realFetch(`${PUSHGATEWAY}/api/v1/metrics`)).json()) as {
    data: { labels: Record<string, string>; function_invocations_total?: { metrics: { value: string }[] } }[];
  };
  return data
    .filter((g) => g.labels.job === 'chat4all-functions' && g.labels.function === fn)
    .flatMap((g) => g.function_invocations_total?.metrics ?? [])
    .reduce((sum, metric) => sum + Number(metric.value), 0);
}

describe('metrics coalesced in a process that lives on (serverless-offline)', () => {
  it('pushes what was counted while a push was on its way, without waiting for another invocation', async () => {
    const middy = (await import('@middy/core')).default;
    const { metrics } = await import('../../layers/shared/src/metrics/middleware.js');
    const { PUSH_MODE } = await import('../../layers/shared/src/metrics/pusher.js');
    assert.equal(PUSH_MODE, 'coalesced');
    const fn = `coalesced-${crypto.randomBytes(3).toString('hex')}`;
    const handler = middy(async () => ({ ok: true })).use(metrics());
    const context = { functionName: `chat4all-local-${fn}` } as Context;

    await handler({}, context);
    // The first push leaves after the interval and is answered 300 ms later; this invocation ends in between.
    const deadline = Date.now() + 5000;
    while (pushes === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(pushes, 1, 'the first push left');
    await handler({}, context);

    let seen = 0;
    while (Date.now() < deadline && (seen = await invocationsIn(fn)) < 2)
      await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(seen, 2, 'both invocations reached the Pushgateway');
  });
});
