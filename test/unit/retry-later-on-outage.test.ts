import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import middy from '@middy/core';
import cassandra from 'cassandra-driver';
import { KafkaUnavailableError } from '@chat4all/shared/errors/kafka-unavailable.js';
import { parseRetryLater, RetryLaterError } from '@chat4all/shared/kafka/retry-later.js';
import { OUTAGE_RETRY_MS, retryLaterOnOutage } from '@chat4all/shared/kafka/retry-later-on-outage.js';

const { errors, types } = cassandra;

/** What a Kafka-triggered function throws across the invoke when its body throws `error`. */
async function thrownBy(error: Error): Promise<Error> {
  const handler = middy<unknown, void>()
    .use(retryLaterOnOutage<unknown, void>())
    .handler(async () => {
      throw error;
    });
  return handler({}, {} as never).then(
    () => assert.fail('the handler must fail'),
    (thrown: Error) => thrown,
  );
}

describe('retryLaterOnOutage', () => {
  for (const error of [
    new errors.NoHostAvailableError({}, 'All host(s) tried for query failed.'),
    new errors.OperationTimedOutError('The host 127.0.0.1:9042 did not reply before timeout 5000 ms'),
    new errors.ResponseError(types.responseErrorCodes.unavailableException, 'Cannot achieve consistency level'),
    new errors.ResponseError(types.responseErrorCodes.overloaded, 'Server is shutting down'),
    new (errors.DriverError as unknown as new (message: string) => Error)('Socket was closed'),
    new KafkaUnavailableError(new Error('Connection error: ECONNREFUSED')),
  ]) {
    it(`asks for the batch again later on ${error.name} "${error.message}", parsed by the bridge`, async () => {
      const thrown = await thrownBy(error);
      assert.ok(thrown instanceof RetryLaterError);
      const parsed = parseRetryLater(thrown.message);
      assert.equal(parsed?.delayMs, OUTAGE_RETRY_MS);
      assert.match(parsed!.message, /dependency unavailable/);
    });
  }

  for (const error of [
    new TypeError('Cannot read properties of undefined'),
    new errors.ResponseError(types.responseErrorCodes.invalid, 'Undefined column name'),
    new errors.ArgumentError('Invalid uuid'),
  ]) {
    it(`lets "${error.message}" through: it counts toward dead-lettering`, async () => {
      assert.equal(await thrownBy(error), error);
    });
  }

  it('recognises the driver errors in a bundle, where the minifier renamed their classes', async () => {
    const renamed = new errors.NoHostAvailableError({}, 'All host(s) tried for query failed.');
    renamed.name = 'eb'; // what DriverError's `this.name = this.constructor.name` gives after esbuild --minify
    assert.ok((await thrownBy(renamed)) instanceof RetryLaterError);
  });

  it('keeps a RetryLaterError the function threw itself, with its own delay', async () => {
    const own = new RetryLaterError(7000, 'whatsapp circuit open');
    assert.equal(await thrownBy(own), own);
  });
});
