/**
 * How long a throttled key (an account, a client address) must wait, from the attempts it made within the window:
 * `free` attempts cost nothing; from then on the next attempt waits `baseDelayMs × 2^(n − free)` after the latest one
 * (n = attempts in the window), never more than `maxDelayMs`. Refused attempts are not attempts: they do not add to
 * n, so waiting out Retry-After always works and hammering never extends a delay.
 */
export interface ThrottlePolicy {
  free: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** How long an attempt counts (the TTL of its row). */
  windowMs: number;
}

/** The most attempts a policy may give for free: the store reads a key's rows up to this bound. */
export const MAX_FREE_ATTEMPTS = 1000;

/** A policy from settings in seconds; throws on values the store could not honour. */
export function throttlePolicy(settings: {
  free: number;
  baseDelaySeconds: number;
  maxDelaySeconds: number;
  windowSeconds: number;
}): ThrottlePolicy {
  const { free, baseDelaySeconds, maxDelaySeconds, windowSeconds } = settings;
  // At least 1: a first attempt has nothing to wait after.
  if (!Number.isSafeInteger(free) || free < 1 || free > MAX_FREE_ATTEMPTS)
    throw new Error(`a throttle's free attempts are 1-${MAX_FREE_ATTEMPTS}`);
  if (!(baseDelaySeconds > 0) || !(maxDelaySeconds >= baseDelaySeconds))
    throw new Error("a throttle's delays are > 0, the maximum no less than the base");
  // A shorter window would forget the attempts before the longest delay was over.
  if (!Number.isSafeInteger(windowSeconds) || windowSeconds < maxDelaySeconds)
    throw new Error("a throttle's window is whole seconds, no shorter than its maximum delay");
  return {
    free,
    baseDelayMs: baseDelaySeconds * 1000,
    maxDelayMs: maxDelaySeconds * 1000,
    windowMs: windowSeconds * 1000,
  };
}

/** The delay after the latest of `attempts` attempts. */
export function delayAfter(attempts: number, policy: ThrottlePolicy): number {
  if (attempts < policy.free) return 0;
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempts - policy.free));
}

/** From this many attempts on the delay is the maximum, so reading more rows of a key would change nothing. */
export function attemptsToMaxDelay(policy: ThrottlePolicy): number {
  return policy.free + Math.max(0, Math.ceil(Math.log2(policy.maxDelayMs / policy.baseDelayMs)));
}

/**
 * Milliseconds until the next attempt may go ahead (0: now), given the times (ms since the epoch) of the attempts
 * still in the window. Attempts beyond attemptsToMaxDelay may be left out: they change nothing.
 */
export function waitMs(attemptTimes: readonly number[], now: number, policy: ThrottlePolicy): number {
  const delay = delayAfter(attemptTimes.length, policy);
  if (delay === 0) return 0;
  const latest = Math.max(...attemptTimes);
  return Math.max(0, latest + delay - now);
}

/** Retry-After in whole seconds, at least 1 (HTTP has no fractions, and 0 would invite an immediate retry). */
export const retryAfterSeconds = (wait: number): number => Math.max(1, Math.ceil(wait / 1000));
