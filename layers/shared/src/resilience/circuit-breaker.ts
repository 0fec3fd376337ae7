/**
 * A circuit breaker per channel: closed (calls go), open (calls wait: the provider is down), half-open (one probe
 * call decides). `failureThreshold` consecutive failures open it; after `openMs` one probe may go; its success closes
 * the circuit, its failure opens it again. Only provider failures count (5xx, timeouts, refused connections): an
 * answer that is the provider's verdict on one message (a 4xx, a rate limit) proves it is up.
 */
export type BreakerState = 'closed' | 'open' | 'half_open';

export interface BreakerOptions {
  failureThreshold: number;
  openMs: number;
  now?: () => number;
  onStateChange?: (state: BreakerState) => void;
}

/** The gauge values of METRICS.md (circuit_breaker_state: 0 closed, 1 half-open, 2 open). */
export const BREAKER_GAUGE: Record<BreakerState, number> = { closed: 0, half_open: 1, open: 2 };

export class CircuitBreaker {
  private current: BreakerState = 'closed';
  private failures = 0;
  private openedAt = 0;
  /** When the half-open probe went out; a probe that never reports is replaced after openMs. */
  private probeSince: number | undefined;
  private readonly now: () => number;

  constructor(private readonly options: BreakerOptions) {
    this.now = options.now ?? Date.now;
  }

  get state(): BreakerState {
    return this.current;
  }

  /** Whether a call may go now. In half-open, one probe at a time. */
  tryAcquire(): boolean {
    const now = this.now();
    if (this.current === 'closed') return true;
    if (this.current === 'open') {
      if (now - this.openedAt < this.options.openMs) return false;
      this.transition('half_open');
    }
    if (this.probeSince !== undefined && now - this.probeSince < this.options.openMs) return false;
    this.probeSince = now;
    return true;
  }

  /** Milliseconds until a call may be tried again (0 when one may go now). */
  retryInMs(): number {
    if (this.current === 'closed') return 0;
    if (this.current === 'open') return Math.max(0, this.openedAt + this.options.openMs - this.now());
    return this.probeSince === undefined ? 0 : Math.min(1000, this.options.openMs); // the probe decides soon
  }

  /** The provider answered (whatever it said about the message): it is up. */
  onSuccess(): void {
    this.failures = 0;
    this.probeSince = undefined;
    if (this.current !== 'closed') this.transition('closed');
  }

  /** The provider failed (5xx, timeout, connection error). */
  onFailure(): void {
    this.failures += 1;
    this.probeSince = undefined;
    if (this.current === 'half_open' || (this.current === 'closed' && this.failures >= this.options.failureThreshold)) {
      this.openedAt = this.now();
      this.transition('open');
    }
  }

  private transition(state: BreakerState): void {
    this.current = state;
    this.options.onStateChange?.(state);
  }
}
