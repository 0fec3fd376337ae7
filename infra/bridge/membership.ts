/**
 * Coordinator answers that mean this consumer is no longer a member of its group's current generation: its session
 * expired (a stall longer than the session timeout), or the group rebalanced without it.
 */
const MEMBERSHIP_LOST = new Set([
  'UNKNOWN_MEMBER_ID',
  'ILLEGAL_GENERATION',
  'REBALANCE_IN_PROGRESS',
  'FENCED_INSTANCE_ID',
  'NOT_COORDINATOR_FOR_GROUP',
]);

interface KafkaJsError {
  type?: string;
  cause?: unknown;
}

/**
 * The coordinator's error inside `error` when it says the membership is lost, else undefined.
 *
 * kafkajs's runner rejoins the group only when the error that leaves eachBatch carries such a `type`. A commit made
 * through consumer.commitOffsets goes through kafkajs's retrier, which wraps these non-retriable answers in a
 * KafkaJSNonRetriableError without the type; the runner then crashes the consumer with restart=false, and it never
 * comes back. Rethrowing the coordinator's own error lets the runner rejoin instead.
 */
export function membershipLost(error: unknown): Error | undefined {
  for (let current = error as KafkaJsError | undefined, depth = 0; current && depth < 5; depth++) {
    if (current.type && MEMBERSHIP_LOST.has(current.type)) return current as Error;
    current = current.cause as KafkaJsError | undefined;
  }
  return undefined;
}
