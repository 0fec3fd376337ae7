/**
 * A token bucket per sending account (a WhatsApp phone number id, an Instagram account): `ratePerSecond` tokens a
 * second, up to `burst` saved. `reserve()` takes a token now and says how long to wait for it (the bucket may go
 * into debt, so concurrent callers queue up in order, with no polling loop).
 */
export class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number = ratePerSecond,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = burst;
    this.updatedAt = now();
  }

  /** Takes one token; returns the milliseconds to wait before using it (0: go now). */
  reserve(): number {
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.updatedAt) / 1000) * this.ratePerSecond);
    this.updatedAt = now;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens / this.ratePerSecond) * 1000);
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** One bucket per key, made on first use. */
export class RateLimiter {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(
    private readonly ratePerSecond: number,
    private readonly options: { burst?: number; now?: () => number; sleep?: (ms: number) => Promise<void> } = {},
  ) {}

  /** Resolves when `key` may make one more call. */
  async take(key: string): Promise<void> {
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = new TokenBucket(this.ratePerSecond, this.options.burst ?? this.ratePerSecond, this.options.now);
      this.buckets.set(key, bucket);
    }
    const wait = bucket.reserve();
    if (wait > 0) await (this.options.sleep ?? sleep)(wait);
  }
}
