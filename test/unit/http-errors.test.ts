import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import middy from '@middy/core';
import jsonBodyParser from '@middy/http-json-body-parser';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { DomainError } from '@chat4all/shared/errors/domain.js';
import { conflict, serviceUnavailable } from '@chat4all/shared/http/errors.js';
import { httpErrors } from '@chat4all/shared/middleware/http-errors.js';

const context = { functionName: 'test', getRemainingTimeInMillis: () => 10_000 } as unknown as Context;
const event = (overrides: Partial<APIGatewayProxyEvent> = {}): APIGatewayProxyEvent =>
  ({ headers: {}, body: null, httpMethod: 'POST', path: '/x', ...overrides }) as APIGatewayProxyEvent;

function handlerThrowing(error: unknown) {
  return middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
    .use(httpErrors())
    .handler(async () => {
      throw error;
    });
}

describe('httpErrors middleware', () => {
  it('answers an HttpError with its status, JSON body and headers', async () => {
    const response = await handlerThrowing(serviceUnavailable('kafka is down', 5))(event(), context);
    assert.equal(response.statusCode, 503);
    assert.equal(response.headers?.['Retry-After'], '5');
    assert.deepEqual(JSON.parse(response.body), { error: 'kafka is down', code: 'unavailable' });
    const taken = await handlerThrowing(conflict('username taken', 'username_taken'))(event(), context);
    assert.deepEqual(JSON.parse(taken.body), { error: 'username taken', code: 'username_taken' });
  });

  it('answers a DomainError with the status of its kind, its details and Retry-After', async () => {
    const stale = new DomainError('conflict', 'not delivered yet', 'invalid_status_transition', {
      details: { status: 'SENT' },
    });
    const response = await handlerThrowing(stale)(event(), context);
    assert.equal(response.statusCode, 409);
    assert.equal(response.headers?.['Retry-After'], undefined);
    assert.deepEqual(JSON.parse(response.body), {
      error: 'not delivered yet',
      code: 'invalid_status_transition',
      status: 'SENT',
    });
    const throttled = new DomainError('rate_limited', 'too many logins', 'login_throttled', { retryAfterSeconds: 7 });
    const refused = await handlerThrowing(throttled)(event(), context);
    assert.equal(refused.statusCode, 429);
    assert.equal(refused.headers?.['Retry-After'], '7');
  });

  it('hides the internals of an unexpected error', async () => {
    const response = await handlerThrowing(new Error('secret connection string at /srv/x.js:12'))(event(), context);
    assert.equal(response.statusCode, 500);
    assert.deepEqual(JSON.parse(response.body), { error: 'internal error', code: 'internal' });
    assert.ok(!response.body.includes('secret'));
  });

  it('answers malformed JSON with 400 and a missing JSON content type with 415', async () => {
    const handler = middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
      .use(httpErrors())
      .use(jsonBodyParser())
      .handler(async () => ({ statusCode: 200, body: '{}' }));
    const malformed = await handler(event({ headers: { 'Content-Type': 'application/json' }, body: '{"a":' }), context);
    assert.equal(malformed.statusCode, 400);
    assert.deepEqual(JSON.parse(malformed.body), { error: 'the body is not valid JSON', code: 'invalid_json' });
    const wrongType = await handler(event({ headers: { 'Content-Type': 'text/plain' }, body: 'hi' }), context);
    assert.equal(wrongType.statusCode, 415);
    assert.equal(JSON.parse(wrongType.body).code, 'unsupported_media_type');
  });
});
