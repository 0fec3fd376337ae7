import type { DecodedRecord } from '../kafka/event.js';
import type { OutgoingRecord } from '../kafka/producer.js';

/**
 * Dead letters: a record that cannot be processed goes to its topic's `.dlq` twin with the original key, value and
 * headers plus `dlq_*` headers saying why, from where and when. The event-source bridge writes the same headers
 * when it gives up on a batch, so `npm run dlq -- list | replay` (infra/dlq.ts) reads both alike.
 */
export const DLQ_HEADERS = {
  reason: 'dlq_reason',
  function: 'dlq_function',
  sourceTopic: 'dlq_source_topic',
  sourcePartition: 'dlq_source_partition',
  sourceOffset: 'dlq_source_offset',
  at: 'dlq_at',
  /** Set by a replay: the dead letter (topic:partition:offset) the record was re-driven from. */
  replayedFrom: 'dlq_replayed_from',
} as const;

export const deadLetterTopicOf = (topic: string): string => `${topic}.dlq`;

/** The headers of a record without any dlq_* header of an earlier trip through a dead-letter topic. */
export const withoutDeadLetterHeaders = (headers: Record<string, string>): Record<string, string> =>
  Object.fromEntries(Object.entries(headers).filter(([name]) => !name.startsWith('dlq_')));

export function deadLetter(
  record: DecodedRecord<unknown>,
  reason: string,
  functionName: string,
  extra: Record<string, string> = {},
  at: Date = new Date(),
): { topic: string; record: OutgoingRecord } {
  return {
    topic: deadLetterTopicOf(record.topic),
    record: {
      key: record.key ?? '',
      value: record.value ?? { raw: record.raw },
      headers: {
        ...withoutDeadLetterHeaders(record.headers),
        ...extra,
        [DLQ_HEADERS.reason]: reason.slice(0, 1000),
        [DLQ_HEADERS.function]: functionName,
        [DLQ_HEADERS.sourceTopic]: record.topic,
        [DLQ_HEADERS.sourcePartition]: String(record.partition),
        [DLQ_HEADERS.sourceOffset]: String(record.offset),
        [DLQ_HEADERS.at]: at.toISOString(),
      },
    },
  };
}
