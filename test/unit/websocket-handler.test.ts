import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';

// Nothing leaves the process: the metrics middleware would push every invocation to a Pushgateway. Set before the
// shared layer reads it.
process.env.METRICS_PUSH = 'off';

const { websocketHandler } = await import('@chat4all/shared/middleware/websocket-handler.js');
const { KafkaUnavailableError } = await import('@chat4all/shared/errors/kafka-unavailable.js');
const { logger } = await import('@chat4all/shared/logger.js');
const { registry } = await import('@chat4all/shared/metrics/registry.js');

const context = { functionName: 'chat4all-local-wsTest' } as Context;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A $connect handshake, with the headers the client sent. */
const handshake = (headers: Record<string, string> = {}) =>
  ({ headers, requestContext: { routeKey: '$connect', connectionId: 'conn-1' } }) as unknown as APIGatewayProxyEvent;
/** A frame on $default: no headers at all. */
const frame = (body: unknown) =>
  ({
    body: JSON.stringify(body),
    isBase64Encoded: false,
    requestContext: { routeKey: '$default', connectionId: 'conn-1' },
  }) as unknown as APIGatewayProxyEvent;

const throwing = (error: unknown) =>
  websocketHandler(async () => {
    throw error;
  });

async function invocations(outcome: string): Promise<number> {
  const metric = registry.getSingleMetric('function_invocations_total');
  if (!metric) return 0;
  const { values } = await metric.get();
  return values.find((v) => v.labels.function === 'wsTest' && v.labels.outcome === outcome)?.value ?? 0;
}

describe('websocketHandler', () => {
  it("passes the route's own answers through as they are", async () => {
    const refused: APIGatewayProxyResult = {
      statusCode: 401,
      body: JSON.stringify({ error: 'missing or invalid token', code: 'unauthorized' }),
    };
    assert.deepEqual(await websocketHandler(async () => refused)(handshake(), context), refused);
    const pong = await websocketHandler(async () => ({ statusCode: 200, body: '{"type":"pong"}' }))(
      frame({ type: 'ping' }),
      context,
    );
    assert.deepEqual(pong, { statusCode: 200, body: '{"type":"pong"}' });
  });

  it("gives the handler the handshake's X-Correlation-Id, and a new id where there is none or it is unusable", async () => {
    const seen: string[] = [];
    const handler = websocketHandler(async (event) => {
      seen.push(event.correlationId);
      return { statusCode: 200, body: '' };
    });
    await handler(handshake({ 'x-correlation-id': 'trace-1' }), context);
    await handler(frame({ type: 'ping' }), context);
    await handler(handshake({ 'X-Correlation-Id': 'not usable!' }), context);
    assert.equal(seen[0], 'trace-1');
    assert.match(seen[1]!, UUID);
    assert.match(seen[2]!, UUID);
  });

  it('answers an unexpected error with a 500 error frame naming no internals, and logs it with the correlation id', async (t) => {
    const logged = t.mock.method(logger, 'error', () => undefined);
    const failure = new Error('secret connection string at /srv/x.js:12');
    const response = await throwing(failure)(handshake({ 'X-Correlation-Id': 'trace-2' }), context);
    assert.equal(response.statusCode, 500);
    assert.deepEqual(JSON.parse(response.body), { type: 'error', code: 'internal', error: 'internal error' });
    assert.ok(!response.body.includes('secret'));
    assert.equal(logged.mock.callCount(), 1);
    const [fields] = logged.mock.calls[0]!.arguments as unknown as [Record<string, unknown>];
    assert.equal(fields.err, failure);
    assert.equal(fields.correlation_id, 'trace-2');
    assert.equal(fields.route, '$connect');
    assert.equal(fields.connection_id, 'conn-1');
  });

  it('answers a dependency outage with 503 unavailable, logged as a warning rather than an error', async (t) => {
    const warned = t.mock.method(logger, 'warn', () => undefined);
    const errored = t.mock.method(logger, 'error', () => undefined);
    const response = await throwing(new KafkaUnavailableError(new Error('broker away')))(frame({}), context);
    assert.equal(response.statusCode, 503);
    assert.deepEqual(JSON.parse(response.body), {
      type: 'error',
      code: 'unavailable',
      error: 'a service is unavailable; retry shortly',
    });
    assert.ok(!response.body.includes('broker'));
    assert.equal(warned.mock.callCount(), 1);
    assert.equal(errored.mock.callCount(), 0);
  });

  it('counts every invocation, an answered one as a success and a failed one as an error', async (t) => {
    t.mock.method(logger, 'error', () => undefined);
    const [success, error] = [await invocations('success'), await invocations('error')];
    await websocketHandler(async () => ({ statusCode: 200, body: '' }))(frame({ type: 'ping' }), context);
    await throwing(new Error('boom'))(frame({ type: 'ping' }), context);
    assert.equal((await invocations('success')) - success, 1);
    assert.equal((await invocations('error')) - error, 1);
  });
});
