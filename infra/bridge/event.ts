import type { KafkaMessage } from 'kafkajs';
import type { SelfManagedKafkaEvent } from '@chat4all/shared/kafka/event.js';

/** The event AWS's self-managed Kafka event source mapping sends: records keyed `topic-partition`, base64 key/value. */
export function buildEvent(
  bootstrapServers: string[],
  topic: string,
  partition: number,
  messages: KafkaMessage[],
): SelfManagedKafkaEvent {
  return {
    eventSource: 'SelfManagedKafka',
    bootstrapServers: bootstrapServers.join(','),
    records: {
      [`${topic}-${partition}`]: messages.map((message) => ({
        topic,
        partition,
        offset: Number(message.offset),
        timestamp: Number(message.timestamp),
        timestampType: 'CREATE_TIME',
        key: message.key ? message.key.toString('base64') : '',
        value: message.value ? message.value.toString('base64') : '',
        headers: Object.entries(message.headers ?? {}).flatMap(([key, value]) =>
          (Array.isArray(value) ? value : [value])
            .filter((item): item is Buffer | string => item !== undefined)
            .map((item) => ({ [key]: [...Buffer.from(item)] })),
        ),
      })),
    },
  };
}
