import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Context } from 'aws-lambda';
import { apiHandler, type HttpEvent } from '@chat4all/shared/middleware/api-handler.js';

const event = { headers: {}, body: null, httpMethod: 'GET', path: '/x' } as unknown as HttpEvent;
/** A Lambda context with `ms` left before the function's timeout. */
const contextWith = (ms: number): Context => {
  const end = Date.now() + ms;
  return { functionName: 'test', getRemainingTimeInMillis: () => end - Date.now() } as unknown as Context;
};

describe('apiHandler deadline', () => {
  it('answers 503 with Retry-After before the function times out when a dependency stalls', async () => {
    const stalled = apiHandler(() => new Promise(() => undefined)); // a query to a frozen node: no answer, no error
    const started = Date.now();
    const response = await stalled(event, contextWith(3_300));
    const took = Date.now() - started;
    assert.equal(response.statusCode, 503);
    assert.equal(response.headers?.['Retry-After'], '5');
    assert.equal(JSON.parse(response.body).code, 'timeout');
    assert.ok(took >= 250 && took < 1_500, `answered after ${took} ms, about 3 s before the timeout`);
  });

  it('leaves a handler that answers in time alone', async () => {
    const quick = apiHandler(async () => ({ statusCode: 200, body: '{}' }));
    assert.equal((await quick(event, contextWith(10_000))).statusCode, 200);
  });
});
