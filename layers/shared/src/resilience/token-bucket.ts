/**
 * Token buckets by key (a user id, a sending account): `ratePerSecond` tokens a second, at most `burst` saved. A full
 * bucket is the same as no bucket, so idle keys are forgotten and memory stays bounded by the keys active in the last
 * `burst / ratePerSecond` seconds (and by `maxKeys` in any case).
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

  /**
   * Takes one token of `key` when there is one: 0 when taken, else the milliseconds until there is one. A refused
   * call takes nothing, so a caller that backs off for that long gets through.
   */
  take(key: string): number {
    const now = this.now();
    const tokens = this.tokensOf(key, now);
    if (tokens < 1) {
      this.store(key, tokens, now);
      return this.msUntilOne(tokens);
    }
    this.store(key, tokens - 1, now);
    return 0;
  }

  /**
   * Takes one token of `key` now, and says how long to wait before using it (0: go now). The bucket may go into
   * debt, so concurrent callers queue up in order, with no polling loop.
   */
  reserve(key: string): number {
    const now = this.now();
    const tokens = this.tokensOf(key, now);
    this.store(key, tokens - 1, now);
    return tokens >= 1 ? 0 : this.msUntilOne(tokens);
  }

  /** How many keys are remembered (for tests). */
  get size(): number {
    return this.buckets.size;
  }

  /** The tokens `key` has at `now`, refilled since its last call. */
  private tokensOf(key: string, now: number): number {
    const bucket = this.buckets.get(key);
    return bucket
      ? Math.min(this.burst, bucket.tokens + (Math.max(0, now - bucket.at) / 1000) * this.ratePerSecond)
      : this.burst;
  }

  private msUntilOne(tokens: number): number {
    return Math.ceil(((1 - tokens) / this.ratePerSecond) * 1000 - 1e-6); // - 1e-6: floating-point dust
  }

  private store(key: string, tokens: number, now: number): void {
    if (!this.buckets.has(key) && this.buckets.size >= this.maxKeys) this.sweep(now);
    this.buckets.set(key, { tokens, at: now });
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

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits for a token per key (a sending account): `burst` defaults to one second's worth. */
export class RateLimiter {
  private readonly buckets: KeyedTokenBuckets;

  constructor(
    ratePerSecond: number,
    private readonly options: { burst?: number; now?: () => number; sleep?: (ms: number) => Promise<void> } = {},
  ) {
    this.buckets = new KeyedTokenBuckets(ratePerSecond, options.burst ?? ratePerSecond, options.now);
  }

  /** Resolves when `key` may make one more call. */
  async take(key: string): Promise<void> {
    const wait = this.buckets.reserve(key);
    if (wait > 0) await (this.options.sleep ?? sleep)(wait);
  }
}
