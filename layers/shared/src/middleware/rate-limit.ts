import type middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { HttpError } from '../http/errors.js';
import { KeyedTokenBuckets } from '../resilience/token-bucket.js';

export interface RateLimitOptions {
  /** Calls a second per key; 0 turns the limit off. */
  ratePerSecond: number;
  /** Calls a key may make at once after being idle. */
  burst: number;
  /** Whom a request counts against (run it after authenticate()); undefined: not limited. */
  key: (event: APIGatewayProxyEvent) => string | undefined;
  now?: () => number;
  maxKeys?: number;
}

/**
 * 429 `rate_limited` with Retry-After (whole seconds, at least 1) once a key exceeds its rate. Counted before the
 * handler runs, so every attempt counts, valid or not, and a refused one costs no database or Kafka work.
 * The buckets live in the memory of this function instance: each Lambda instance (each serverless-offline worker)
 * limits on its own.
 */
export const rateLimit = (
  options: RateLimitOptions,
): middy.MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult> => {
  const buckets =
    options.ratePerSecond > 0
      ? new KeyedTokenBuckets(options.ratePerSecond, options.burst, options.now, options.maxKeys)
      : undefined;
  return {
    before: async (request) => {
      const key = buckets && options.key(request.event);
      if (!buckets || key === undefined) return;
      const waitMs = buckets.take(key);
      if (waitMs === 0) return;
      const seconds = Math.max(1, Math.ceil(waitMs / 1000));
      throw new HttpError(
        429,
        'rate_limited',
        `too many requests: at most ${options.ratePerSecond} a second (bursts of ${options.burst}); retry in ${seconds} s`,
        { 'Retry-After': String(seconds) },
      );
    },
  };
};
