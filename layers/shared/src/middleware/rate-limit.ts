import type middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { HttpError } from '../http/errors.js';

/**
 * Token buckets by key (a user id): `ratePerSecond` tokens a second, at most `burst` saved. A refused call takes
 * nothing, so a client that backs off for Retry-After seconds gets through. A full bucket is the same as no bucket,
 * so idle keys are forgotten and memory stays bounded by the keys active in the last `burst / ratePerSecond` seconds
 * (and by `maxKeys` in any case).
 */
export class KeyedTokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    readonly ratePerSecond: number,
    readonly burst: number,
    private readonly now: () => number = Date.now,
    private readonly maxKeys = 100_000,
  ) {
    if (!(ratePerSecond > 0) || !(burst >= 1)) throw new Error('a rate limit needs a rate > 0 and a burst >= 1');
  }

  /** Takes one token of `key`: 0 when allowed, else the milliseconds until a token is there. */
  take(key: string): number {
    const now = this.now();
    const bucket = this.buckets.get(key);
    const tokens = bucket
      ? Math.min(this.burst, bucket.tokens + (Math.max(0, now - bucket.at) / 1000) * this.ratePerSecond)
      : this.burst;
    if (tokens < 1) {
      this.buckets.set(key, { tokens, at: now });
      return Math.ceil(((1 - tokens) / this.ratePerSecond) * 1000 - 1e-6); // - 1e-6: floating-point dust
    }
    if (!bucket && this.buckets.size >= this.maxKeys) this.sweep(now);
    this.buckets.set(key, { tokens: tokens - 1, at: now });
    return 0;
  }

  /** How many keys are remembered (for tests). */
  get size(): number {
    return this.buckets.size;
  }

  /** Forgets every key whose bucket has refilled; if that is not enough, the oldest half. */
  private sweep(now: number): void {
    for (const [key, bucket] of this.buckets) {
      if (bucket.tokens + ((now - bucket.at) / 1000) * this.ratePerSecond >= this.burst) this.buckets.delete(key);
    }
    if (this.buckets.size < this.maxKeys) return;
    let drop = Math.ceil(this.buckets.size / 2);
    for (const key of this.buckets.keys()) {
      if (drop-- <= 0) break;
      this.buckets.delete(key);
    }
  }
}

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
