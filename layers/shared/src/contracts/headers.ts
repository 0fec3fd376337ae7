/** Headers every producer may set on a record. */
export const RECORD_HEADERS = {
  /** The request a record stems from, carried along the whole pipeline for logs. */
  correlationId: 'correlation_id',
} as const;

/**
 * Headers of a dead letter: the original record's key, value and headers plus these, saying why, from where and when.
 * The functions and the event-source bridge write them alike, so `npm run dlq -- list | replay` reads both.
 */
export const DLQ_HEADERS = {
  reason: 'dlq_reason',
  function: 'dlq_function',
  sourceTopic: 'dlq_source_topic',
  sourcePartition: 'dlq_source_partition',
  sourceOffset: 'dlq_source_offset',
  at: 'dlq_at',
  /** Whether the provider refused the message for good (connectors only). */
  permanent: 'dlq_permanent',
  /** Set by a replay: the dead letter (topic:partition:offset) the record was re-driven from. */
  replayedFrom: 'dlq_replayed_from',
} as const;

const DLQ_HEADER_PREFIX = 'dlq_';

/** A reason longer than this is cut: a header is no place for a whole stack of errors. */
const MAX_REASON_LENGTH = 1000;

export interface DeadLetterOrigin {
  reason: string;
  functionName: string;
  sourceTopic: string;
  sourcePartition: number;
  sourceOffset: string | number;
  at: Date;
}

/** The dlq_* headers of a dead letter. */
export const deadLetterHeaders = (origin: DeadLetterOrigin): Record<string, string> => ({
  [DLQ_HEADERS.reason]: origin.reason.slice(0, MAX_REASON_LENGTH),
  [DLQ_HEADERS.function]: origin.functionName,
  [DLQ_HEADERS.sourceTopic]: origin.sourceTopic,
  [DLQ_HEADERS.sourcePartition]: String(origin.sourcePartition),
  [DLQ_HEADERS.sourceOffset]: String(origin.sourceOffset),
  [DLQ_HEADERS.at]: origin.at.toISOString(),
});

/** The headers of a record without any dlq_* header of an earlier trip through a dead-letter topic. */
export const withoutDeadLetterHeaders = <V>(headers: Record<string, V>): Record<string, V> =>
  Object.fromEntries(Object.entries(headers).filter(([name]) => !name.startsWith(DLQ_HEADER_PREFIX)));

/**
 * Headers of an outbound record the connector put back on its own topic because the provider accepted the message
 * but the send could not be recorded (Cassandra away): the next invocation records it and never calls the provider.
 */
export const SENT_HEADERS = { providerMessageId: 'sent_provider_message_id', at: 'sent_at' } as const;
