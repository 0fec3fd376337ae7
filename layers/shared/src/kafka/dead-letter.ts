import { deadLetterHeaders, withoutDeadLetterHeaders } from '../contracts/headers.js';
import { deadLetterTopicOf } from '../contracts/topics.js';
import type { DecodedRecord } from './event.js';
import type { OutgoingRecord } from './producer.js';

/**
 * A record that cannot be processed, as it goes to its topic's dead-letter twin: the original key, value and headers
 * (without those of an earlier trip through a dead-letter topic) plus the dlq_* headers saying why, from where and when.
 */
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
        ...deadLetterHeaders({
          reason,
          functionName,
          sourceTopic: record.topic,
          sourcePartition: record.partition,
          sourceOffset: record.offset,
          at,
        }),
      },
    },
  };
}

/** Dead letters grouped by their topic, as publish takes them. */
export function deadLettersByTopic(
  letters: { topic: string; record: OutgoingRecord }[],
): Record<string, OutgoingRecord[]> {
  const byTopic: Record<string, OutgoingRecord[]> = {};
  for (const letter of letters) (byTopic[letter.topic] ??= []).push(letter.record);
  return byTopic;
}
