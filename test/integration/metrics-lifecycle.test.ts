/**
 * Lambda freezes a sandbox the moment the handler's promise settles: metrics must reach the Pushgateway within the
 * invocation (METRICS_PUSH=invocation, the default outside serverless-offline), never from a timer or `beforeExit`.
 * Here one Middy handler with the metrics middleware runs in this process; every request to the Pushgateway is
 * watched, and the PUT of the invocation's metrics must have been answered before the handler's promise settled.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { before, describe, it } from 'node:test';
import type { Context } from 'aws-lambda';

process.env.METRICS_PUSH = 'invocation';
const PUSHGATEWAY = process.env.PUSHGATEWAY_URL ?? 'http://127.0.0.1:9091';

const events: string[] = [];
const realFetch = globalThis.fetch;
globalThis.fetch = async (input, init) => {
  const response = await realFetch(input, init);
  if (init?.method === 'PUT' && String(input).startsWith(PUSHGATEWAY)) events.push(`pushed ${String(input)}`);
  return response;
};

let middy: typeof import('@middy/core').default;
let metrics: typeof import('../../layers/shared/src/metrics/middleware.js').metrics;
let pushMode: string;
let registry: typeof import('../../layers/shared/src/metrics/registry.js').registry;

before(async () => {
  middy = (await import('@middy/core')).default;
  ({ metrics } = await import('../../layers/shared/src/metrics/middleware.js'));
  pushMode = (await import('../../layers/shared/src/metrics/pusher.js')).PUSH_MODE;
  ({ registry } = await import('../../layers/shared/src/metrics/registry.js'));
});

interface Group {
  labels: Record<string, string>;
  [family: string]: unknown;
}

async function invocationsIn(fn: string): Promise<Record<string, number>> {
  const { data } = (await (await realFetch(`${PUSHGATEWAY}/api/v1/metrics`)).json()) as { data: Group[] };
  const counts: Record<string, number> = {};
  for (const group of data.filter((g) => g.labels.job === 'chat4all-functions' && g.labels.function === fn)) {
    const family = group.function_invocations_total as
      { metrics: { labels: Record<string, string>; value: string }[] } | undefined;
    for (const metric of family?.metrics ?? [])
      counts[metric.labels.outcome!] = (counts[metric.labels.outcome!] ?? 0) + Number(metric.value);
  }
  return counts;
}

const contextFor = (fn: string) => ({ functionName: `chat4all-local-${fn}` }) as Context;

/** A sandbox runs one function: each test starts from an empty registry, as a fresh sandbox would. */
function freshSandbox(): void {
  registry.resetMetrics();
  events.length = 0;
}

describe('metrics under the Lambda lifecycle', () => {
  it('defaults to pushing within the invocation outside serverless-offline', () => {
    assert.equal(pushMode, 'invocation');
  });

  it('pushes the metrics of a single successful invocation before its promise settles', async () => {
    const fn = `lifecycle-ok-${crypto.randomUUID().slice(0, 8)}`;
    const handler = middy(async () => ({ ok: true })).use(metrics());
    freshSandbox();
    await handler({}, contextFor(fn)).then(() => events.push('settled'));
    const pushed = events.findIndex((event) => event.includes(`/function/${fn}/`));
    assert.ok(pushed >= 0 && pushed < events.indexOf('settled'), events.join('\n'));
    assert.deepEqual(await invocationsIn(fn), { success: 1 });
  });

  it('pushes them before the promise rejects when the handler throws', async () => {
    const fn = `lifecycle-error-${crypto.randomUUID().slice(0, 8)}`;
    const handler = middy(async () => {
      throw new Error('boom');
    }).use(metrics());
    freshSandbox();
    await assert.rejects(
      handler({}, contextFor(fn)).finally(() => events.push('settled')),
      /boom/,
    );
    const pushed = events.findIndex((event) => event.includes(`/function/${fn}/`));
    assert.ok(pushed >= 0 && pushed < events.indexOf('settled'), events.join('\n'));
    assert.deepEqual(await invocationsIn(fn), { error: 1 });
  });
});
