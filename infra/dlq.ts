/**
 * npm run dlq -- list | replay: the dead-letter topics (DEAD_LETTER_TOPICS of the shared contracts, `<topic>.dlq`).
 *
 *   npm run dlq -- list [--topic whatsapp-outbound.dlq] [--all] [--json]
 *       the dead letters not replayed yet (--all: also those replayed), with their reasons
 *   npm run dlq -- replay [--topic whatsapp-outbound.dlq] [--message-id <id>] [--dry-run]
 *       re-drives them to the topic they came from (header dlq_source_topic), as they were, without the dlq_*
 *       headers and with dlq_replayed_from=<dlq topic>:<partition>:<offset>
 *
 * What was replayed is remembered as the committed offsets of the consumer group `chat4all-dlq-replay`, so a replay
 * never re-drives a record twice. A replay with --message-id re-drives only the matching records and moves no offset
 * (the others stay pending; the connectors' deduplication keeps a later full replay from sending one twice).
 */
import crypto from 'node:crypto';
import { parseArgs } from 'node:util';
import type { IHeaders, KafkaMessage } from 'kafkajs';
import { getKafka } from '@chat4all/shared/clients/kafka.js';
import { DLQ_HEADERS, withoutDeadLetterHeaders } from '@chat4all/shared/contracts/headers.js';
import { DEAD_LETTER_TOPICS, sourceTopicOf } from '@chat4all/shared/contracts/topics.js';

export const REPLAY_GROUP = 'chat4all-dlq-replay';

export interface DeadLetterRecord {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: Buffer | null;
  headers: Record<string, string>;
  messageId: string | undefined;
  reason: string;
  at: string;
  sourceTopic: string;
  replayed: boolean;
}

const textHeaders = (headers: IHeaders | undefined): Record<string, string> =>
  Object.fromEntries(
    Object.entries(headers ?? {})
      .filter(([, value]) => value !== undefined)
      .map(([name, value]) => [name, Buffer.isBuffer(value) ? value.toString('utf8') : String(value)]),
  );

function messageIdOf(value: Buffer | null): string | undefined {
  try {
    const id = (JSON.parse(value?.toString('utf8') ?? 'null') as { message_id?: unknown } | null)?.message_id;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}

/** Every record of the dead-letter topic from `from` (or the start) to its end, oldest first. */
export async function readDeadLetters(topic: string, { all = false } = {}): Promise<DeadLetterRecord[]> {
  const admin = getKafka().admin();
  await admin.connect();
  let ends: { partition: number; low: string; high: string }[];
  let committed: Map<number, bigint>;
  try {
    ends = await admin.fetchTopicOffsets(topic);
    const [replayed] = await admin.fetchOffsets({ groupId: REPLAY_GROUP, topics: [topic] });
    committed = new Map(
      (replayed?.partitions ?? []).map((p) => [p.partition, BigInt(p.offset === '-1' ? '0' : p.offset)]),
    );
  } finally {
    await admin.disconnect();
  }
  const ranges = new Map(
    ends
      .map((end) => {
        const low = BigInt(end.low);
        const start = all ? low : [low, committed.get(end.partition) ?? 0n].reduce((a, b) => (a > b ? a : b));
        return [end.partition, { from: start, to: BigInt(end.high) }] as const;
      })
      .filter(([, range]) => range.from < range.to),
  );
  if (ranges.size === 0) return [];

  const consumer = getKafka().consumer({ groupId: `chat4all-dlq-reader-${crypto.randomUUID()}` });
  const records: DeadLetterRecord[] = [];
  const unfinished = new Set(ranges.keys());
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    let finish!: () => void;
    const finished = new Promise<void>((resolve) => (finish = resolve));
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }: { partition: number; message: KafkaMessage }) => {
        const range = ranges.get(partition);
        const offset = BigInt(message.offset);
        if (!range || offset < range.from || offset >= range.to) return;
        const headers = textHeaders(message.headers);
        records.push({
          topic,
          partition,
          offset: message.offset,
          key: message.key?.toString('utf8') ?? null,
          value: message.value,
          headers,
          messageId: messageIdOf(message.value),
          reason: headers[DLQ_HEADERS.reason] ?? '(no reason recorded)',
          at: headers[DLQ_HEADERS.at] ?? new Date(Number(message.timestamp)).toISOString(),
          sourceTopic: headers[DLQ_HEADERS.sourceTopic] ?? sourceTopicOf(topic),
          replayed: offset < (committed.get(partition) ?? 0n),
        });
        if (offset >= range.to - 1n) {
          unfinished.delete(partition);
          if (unfinished.size === 0) finish();
        }
      },
    });
    for (const [partition, range] of ranges) consumer.seek({ topic, partition, offset: range.from.toString() });
    const timeout = new Promise<void>((resolve) => setTimeout(resolve, 20_000).unref());
    await Promise.race([finished, timeout]);
    if (unfinished.size > 0) throw new Error(`could not read ${topic} to its end within 20 s`);
  } finally {
    await consumer.disconnect();
  }
  return records.sort((a, b) => a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset)));
}

/** Re-drives pending dead letters (those matching `messageId`, when given) to their source topics. */
export async function replayDeadLetters(
  topic: string,
  { messageId, dryRun = false }: { messageId?: string | undefined; dryRun?: boolean } = {},
): Promise<DeadLetterRecord[]> {
  const pending = await readDeadLetters(topic);
  const chosen = messageId ? pending.filter((record) => record.messageId === messageId) : pending;
  if (dryRun || pending.length === 0) return chosen;
  if (chosen.length > 0) {
    const producer = getKafka().producer({ allowAutoTopicCreation: false });
    await producer.connect();
    try {
      const bySource = new Map<string, DeadLetterRecord[]>();
      for (const record of chosen)
        bySource.set(record.sourceTopic, [...(bySource.get(record.sourceTopic) ?? []), record]);
      await producer.sendBatch({
        acks: -1,
        topicMessages: [...bySource].map(([source, records]) => ({
          topic: source,
          messages: records.map((record) => ({
            key: record.key,
            value: record.value,
            headers: {
              ...withoutDeadLetterHeaders(record.headers),
              [DLQ_HEADERS.replayedFrom]: `${record.topic}:${record.partition}:${record.offset}`,
            },
          })),
        })),
      });
    } finally {
      await producer.disconnect();
    }
  }
  if (!messageId) {
    // Remember the replay: the group's committed offset moves past every record just re-driven.
    const admin = getKafka().admin();
    await admin.connect();
    try {
      const last = new Map<number, bigint>();
      for (const record of pending) last.set(record.partition, BigInt(record.offset) + 1n);
      await admin.setOffsets({
        groupId: REPLAY_GROUP,
        topic,
        partitions: [...last].map(([partition, offset]) => ({ partition, offset: offset.toString() })),
      });
    } finally {
      await admin.disconnect();
    }
  }
  return chosen;
}

function table(records: DeadLetterRecord[]): string {
  const rows = records.map((record) => [
    `${record.topic}:${record.partition}:${record.offset}`,
    record.at,
    record.messageId ?? '-',
    record.replayed ? 'replayed' : 'pending',
    record.reason.replace(/\s+/g, ' ').slice(0, 100),
  ]);
  const header = ['record', 'dead-lettered at', 'message_id', 'state', 'reason'];
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i]!.length)));
  return [header, ...rows]
    .map((row) =>
      row
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

async function main(): Promise<void> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      topic: { type: 'string' },
      'message-id': { type: 'string' },
      all: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      'dry-run': { type: 'boolean', default: false },
    },
  });
  const command = positionals[0];
  const known = [...DEAD_LETTER_TOPICS];
  if (values.topic && !known.includes(values.topic)) {
    console.error(`unknown dead-letter topic ${values.topic}; one of: ${known.join(', ')}`);
    process.exit(2);
  }
  const topics = values.topic ? [values.topic] : known;
  if (command === 'list') {
    const records = (await Promise.all(topics.map((topic) => readDeadLetters(topic, { all: values.all })))).flat();
    const filtered = values['message-id'] ? records.filter((r) => r.messageId === values['message-id']) : records;
    if (values.json) {
      console.log(
        JSON.stringify(filtered.map(({ value, ...rest }) => ({ ...rest, value: value?.toString('utf8') ?? null }))),
      );
    } else {
      console.log(filtered.length === 0 ? 'no dead letters' : table(filtered));
    }
  } else if (command === 'replay') {
    let total = 0;
    for (const topic of topics) {
      const replayed = await replayDeadLetters(topic, { messageId: values['message-id'], dryRun: values['dry-run'] });
      total += replayed.length;
      for (const record of replayed)
        console.log(
          `${values['dry-run'] ? 'would replay' : 'replayed'} ${record.topic}:${record.partition}:${record.offset} → ${record.sourceTopic} (${record.messageId ?? 'no message id'}; ${record.reason.slice(0, 80)})`,
        );
    }
    console.log(`${total} record(s) ${values['dry-run'] ? 'would be' : ''} replayed`.replace('  ', ' '));
  } else {
    console.error(
      'usage: npm run dlq -- list [--topic <t>.dlq] [--all] [--json] | replay [--topic <t>.dlq] [--message-id <id>] [--dry-run]',
    );
    process.exit(2);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    await main();
    process.exit(0);
  } catch (error) {
    console.error(`dlq: ${(error as Error).message}`);
    process.exit(1);
  }
}
