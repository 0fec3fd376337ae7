import crypto from 'node:crypto';
import { getKafka } from '@chat4all/shared/clients/kafka.js';

/** Produces raw JSON records to a topic, as any producer would (used to replay and reorder events). */
export async function produce(
  topic: string,
  records: { key: string; value: unknown; headers?: Record<string, string> }[],
): Promise<void> {
  const producer = getKafka().producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    await producer.send({
      topic,
      acks: -1,
      messages: records.map((record) => ({
        key: record.key,
        value: JSON.stringify(record.value),
        headers: record.headers ?? {},
      })),
    });
  } finally {
    await producer.disconnect();
  }
}

/** The end offset of every partition of a topic (to read only what comes after). */
export async function endOffsets(topic: string): Promise<Map<number, string>> {
  const admin = getKafka().admin();
  await admin.connect();
  try {
    return new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, p.high]));
  } finally {
    await admin.disconnect();
  }
}

/** Every record of `topic` after `from`, read until `done` says enough or the deadline passes. */
export async function readAfter<T>(
  topic: string,
  from: Map<number, string>,
  done: (values: T[]) => boolean,
  timeoutMs = 20_000,
): Promise<T[]> {
  const consumer = getKafka().consumer({ groupId: `test-reader-${crypto.randomUUID()}` });
  const values: T[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: false });
    let resolveDone: () => void;
    const finished = new Promise<void>((resolve) => (resolveDone = resolve));
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ message }) => {
        values.push(JSON.parse(message.value!.toString('utf8')) as T);
        if (done(values)) resolveDone();
      },
    });
    for (const [partition, offset] of from) consumer.seek({ topic, partition, offset });
    await Promise.race([finished, new Promise((resolve) => setTimeout(resolve, timeoutMs))]);
    return values;
  } finally {
    await consumer.disconnect();
  }
}
