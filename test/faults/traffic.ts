import crypto from 'node:crypto';
import { delay } from '../../infra/stack/processes.js';
import { ApiClient } from '../../load/lib/client.js';
import type { Channel, Target } from './fixture.js';

/** A message the API acknowledged (202), with what the audit needs to find it again. */
export interface AcceptedMessage {
  id: string;
  channel: Channel;
  address: string;
  content: string;
  acceptedAt: number;
}

/** How long a client keeps retrying one message (same Idempotency-Key) before it gives up. */
const RETRY_WINDOW_MS = 180_000;
/** An answer slower than this is a hang: under a fault the API must answer (503) rather than stall. */
export const HANG_MS = 15_000;

/** The longest wait between two tries without a Retry-After. */
const MAX_BACKOFF_MS = 10_000;
const RETRYABLE = new Set([429, 500, 502, 503, 504]);

/** Retry-After in milliseconds (seconds form), or undefined. */
function retryAfterMs(header: string | string[] | undefined): number | undefined {
  const seconds = Number(Array.isArray(header) ? header[0] : header);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
}

/**
 * Steady load at a fixed arrival rate (open model), sent as a careful client does: every message carries an
 * Idempotency-Key, and a 429, a 5xx or a dropped connection is retried with the same key after Retry-After (or a
 * short backoff) until it is acknowledged. Every answer is counted, so a fault's 500s or hangs show.
 */
export class SteadyTraffic {
  readonly accepted = new Map<string, AcceptedMessage>();
  /** Answers by HTTP status, plus `network` (connection refused or reset) and `hang` (no answer within HANG_MS). */
  readonly answers: Record<string, number> = {};
  /** 429 and 503 answers that came without a Retry-After header. */
  withoutRetryAfter = 0;
  /** The slowest answer (or hang, cut at HANG_MS) of any attempt, in ms. */
  slowestMs = 0;
  /** Messages refused for good (a 4xx other than 429) or given up after RETRY_WINDOW_MS. */
  refused = 0;
  gaveUp = 0;
  private readonly client = new ApiClient(undefined, 256, HANG_MS);
  private readonly inFlight = new Set<Promise<void>>();
  private stopped = false;
  private stopping: Promise<void> | undefined;
  private loop: Promise<void> | undefined;
  private sequence = 0;

  constructor(
    private readonly targets: Target[],
    private readonly label: string,
  ) {}

  /** Starts sending `rate` messages a second, spread over the targets in turn. */
  start(rate: number): void {
    this.loop = (async () => {
      const started = performance.now();
      let launched = 0;
      while (!this.stopped) {
        const due = Math.floor(((performance.now() - started) / 1000) * rate);
        for (; launched < due; launched++) this.track(this.sendOne(this.targets[launched % this.targets.length]!));
        await delay(5);
      }
    })();
  }

  /** Stops new arrivals and waits for every message still being retried. */
  stop(): Promise<void> {
    this.stopped = true;
    this.stopping ??= (async () => {
      await this.loop;
      while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
      await this.client.close();
    })();
    return this.stopping;
  }

  /** How many messages were sent so far (acknowledged or not). */
  get offered(): number {
    return this.sequence;
  }

  private track(promise: Promise<void>): void {
    this.inFlight.add(promise);
    void promise.finally(() => this.inFlight.delete(promise));
  }

  private count(answer: string): void {
    this.answers[answer] = (this.answers[answer] ?? 0) + 1;
  }

  private async sendOne(target: Target): Promise<void> {
    const content = `fault ${this.label} #${++this.sequence}`;
    const key = crypto.randomUUID();
    const giveUpAt = Date.now() + RETRY_WINDOW_MS;
    for (let attempt = 1; ; attempt++) {
      let wait: number;
      const sentAt = performance.now();
      try {
        const reply = await this.client.call<{ message_id: string }>('POST', '/v1/messages', {
          headers: { ...target.sender.headers, 'idempotency-key': key },
          body: { recipient_id: target.recipientRef, content },
        });
        this.count(String(reply.status));
        this.slowestMs = Math.max(this.slowestMs, performance.now() - sentAt);
        if (reply.status === 202) {
          this.accepted.set(reply.body.message_id, {
            id: reply.body.message_id,
            channel: target.channel,
            address: target.address,
            content,
            acceptedAt: Date.now(),
          });
          return;
        }
        if (!RETRYABLE.has(reply.status)) {
          this.refused++;
          return;
        }
        const retryAfter = retryAfterMs(reply.headers['retry-after']);
        if (retryAfter === undefined && (reply.status === 429 || reply.status === 503)) this.withoutRetryAfter++;
        wait = retryAfter ?? Math.min(MAX_BACKOFF_MS, 200 * 2 ** attempt);
      } catch (error) {
        this.slowestMs = Math.max(this.slowestMs, performance.now() - sentAt);
        const hung = performance.now() - sentAt >= HANG_MS - 100 || /timeout/i.test((error as Error).name);
        this.count(hung ? 'hang' : 'network');
        wait = Math.min(MAX_BACKOFF_MS, 200 * 2 ** attempt); // exponential: a restarting API is not stormed
      }
      if (Date.now() + wait > giveUpAt) {
        this.gaveUp++;
        return;
      }
      await delay(wait * (1 + Math.random() / 2)); // never sooner than Retry-After; jitter spreads the retries
    }
  }
}
