import type { SelfManagedKafkaEvent, SelfManagedKafkaRecord, SelfManagedKafkaRecordHeader } from 'aws-lambda';

export type { SelfManagedKafkaEvent, SelfManagedKafkaRecord };

/** One record of a SelfManagedKafka event, decoded: key and headers as text, the value parsed as JSON. */
export interface DecodedRecord<T> {
  topic: string;
  partition: number;
  offset: number;
  key: string | null;
  /** The value parsed as JSON, or null when it is not JSON (see raw). */
  value: T | null;
  raw: string;
  headers: Record<string, string>;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

export function decodeHeaders(headers: SelfManagedKafkaRecordHeader[] | undefined): Record<string, string> {
  const decoded: Record<string, string> = {};
  for (const header of headers ?? []) {
    for (const [key, bytes] of Object.entries(header)) decoded[key] = Buffer.from(bytes).toString('utf8');
  }
  return decoded;
}

/** Every record of the event, partition by partition, each partition in offset order. */
export function decodeRecords<T>(event: SelfManagedKafkaEvent): DecodedRecord<T>[] {
  return Object.values(event.records ?? {}).flatMap((records) =>
    [...records]
      .sort((a, b) => a.offset - b.offset)
      .map((record) => {
        const raw = Buffer.from(record.value ?? '', 'base64').toString('utf8');
        return {
          topic: record.topic,
          partition: record.partition,
          offset: record.offset,
          key: record.key ? Buffer.from(record.key, 'base64').toString('utf8') : null,
          value: parseJson(raw) as T | null,
          raw,
          headers: decodeHeaders(record.headers),
        };
      }),
  );
}
