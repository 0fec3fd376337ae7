import type middy from '@middy/core';
import { isDependencyUnavailable } from '../errors/dependency.js';
import { RetryLaterError } from './retry-later.js';

/** How long the event-source bridge waits before invoking the batch again while Cassandra or Kafka is away. */
export const OUTAGE_RETRY_MS = 2000;

/**
 * For Kafka-triggered functions: a Cassandra or Kafka outage is nobody's fault in the batch, so instead of a failure
 * (which counts toward dead-lettering) the function asks to be invoked again later, as often as it takes. Ordinary
 * errors pass through unchanged.
 */
export const retryLaterOnOutage = <TEvent, TResult>(): middy.MiddlewareObj<TEvent, TResult> => ({
  onError: async (request) => {
    if (request.error instanceof RetryLaterError || !isDependencyUnavailable(request.error)) return;
    request.error = new RetryLaterError(OUTAGE_RETRY_MS, `dependency unavailable: ${request.error!.message}`);
  },
});
