/** Retry timing: exponential backoff with full jitter, and Retry-After honoured. */

export interface BackoffPolicy {
  baseDelayMs: number;
  maxDelayMs: number;
}

/**
 * Full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter"): a uniformly random delay between 0 and
 * min(max, base · 2^(attempt-1)), so callers that failed together do not retry together.
 */
export const fullJitterDelay = (attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number =>
  Math.round(random() * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1)));

/** Retry-After as milliseconds: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** The wait before the next attempt: the jittered backoff, but never less than what the provider asked for. */
export const retryDelay = (
  attempt: number,
  policy: BackoffPolicy,
  retryAfterMs: number | undefined,
  random: () => number = Math.random,
): number => Math.max(fullJitterDelay(attempt, policy, random), retryAfterMs ?? 0);
