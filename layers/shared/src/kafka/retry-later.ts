/**
 * "Invoke me again later, this is not a failure": how a Kafka-triggered function tells the event-source bridge
 * that its records must wait (a connector whose circuit is open) rather than count toward dead-lettering.
 * Lambda reports only a thrown error's message across the invoke, so the signal is a prefix of the message:
 * `[retry-later 5000ms] whatsapp circuit open`. The bridge (infra/bridge/invoker.ts) re-invokes the same batch after
 * the delay, without counting the attempt; on AWS an event source mapping simply retries the batch.
 */
const PREFIX = /^\[retry-later (\d+)ms\] /;

export class RetryLaterError extends Error {
  readonly delayMs: number;

  constructor(delayMs: number, reason: string) {
    const ms = Math.max(0, Math.round(delayMs));
    super(`[retry-later ${ms}ms] ${reason}`);
    this.name = 'RetryLaterError';
    this.delayMs = ms;
  }
}

/** The RetryLaterError an error message stands for, or undefined when it is an ordinary failure. */
export function parseRetryLater(message: string): RetryLaterError | undefined {
  const match = PREFIX.exec(message);
  return match ? new RetryLaterError(Number(match[1]), message.slice(match[0].length)) : undefined;
}
