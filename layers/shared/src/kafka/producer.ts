import { Partitioners, type IHeaders, type Producer } from 'kafkajs';
import { getKafka } from '../clients/kafka.js';
import { DomainError } from '../errors/domain.js';
import { KafkaUnavailableError } from '../errors/kafka-unavailable.js';
import { counter, histogram, secondsSince } from '../metrics/registry.js';
import { CircuitBreaker } from '../resilience/circuit-breaker.js';
import { withTimeout } from '../timeout.js';
import { coalesce } from './coalesce.js';

export interface OutgoingRecord {
  key: string;
  value: unknown;
  headers?: Record<string, string>;
}

const PUBLISH_TIMEOUT_MS = Number(process.env.KAFKA_PUBLISH_TIMEOUT_MS ?? 5000);

let producer: Producer | undefined;
let connecting: Promise<Producer> | undefined;

/** The process-wide producer, connected on first use and replaced after a failure. */
async function connectedProducer(): Promise<Producer> {
  if (producer) return producer;
  connecting ??= (async () => {
    const created = getKafka().producer({
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner, // murmur2, the Java client's partitioning
      retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1000 },
    });
    await created.connect();
    producer = created;
    return created;
  })().finally(() => {
    connecting = undefined;
  });
  return connecting;
}

function forget(broken: Producer | undefined): void {
  if (broken && producer === broken) producer = undefined;
  void broken?.disconnect().catch(() => undefined);
}

const encode = (record: OutgoingRecord) => ({
  key: record.key,
  value: JSON.stringify(record.value),
  headers: (record.headers ?? {}) as IHeaders,
});

type Encoded = ReturnType<typeof encode>;

/** One request to the broker for the records of every publish that joined it. */
async function sendNow(items: { topic: string; message: Encoded }[]): Promise<void> {
  const byTopic = new Map<string, Encoded[]>();
  for (const { topic, message } of items) {
    const messages = byTopic.get(topic);
    if (messages) messages.push(message);
    else byTopic.set(topic, [message]);
  }
  const topicMessages = [...byTopic].map(([topic, messages]) => ({ topic, messages }));
  let current: Producer | undefined;
  const started = performance.now();
  try {
    await withTimeout(
      (async () => {
        current = await connectedProducer();
        await current.sendBatch({ topicMessages, acks: -1, timeout: PUBLISH_TIMEOUT_MS });
      })(),
      PUBLISH_TIMEOUT_MS,
      'kafka publish',
    );
    const seconds = secondsSince(started);
    const publishDuration = histogram('kafka_publish_duration_seconds', 'Time until Kafka acknowledged a publish', [
      'topic',
    ]);
    // The per-message cost budget counts records the broker acknowledged, by topic, in the process (the function)
    // that produced them.
    const produced = counter('kafka_records_produced_total', 'Kafka records produced (acknowledged by the broker)', [
      'topic',
    ]);
    for (const { topic, messages } of topicMessages) {
      publishDuration.observe({ topic }, seconds);
      produced.inc({ topic }, messages.length);
    }
  } catch (error) {
    forget(current);
    throw new KafkaUnavailableError(error);
  }
}

// Once a publish failed, the next ones fail at once (a 503 now, not one after the publish timeout) until a single
// probe a second later finds the broker back: otherwise, while a restarting broker stalls, every request waits out
// the whole timeout and the callers' connections pile up (the fault suite's Kafka restart saw answers after 15 s).
const broker = new CircuitBreaker({ failureThreshold: 1, openMs: 1000 });

// Concurrent requests of one process (sends, webhooks, acks) mostly publish a record or two each: joined, they cost
// the broker and this thread one request instead of many, without waiting for anything. A joint send stays well
// under the broker's 1 MB record batch limit (a single publish over it goes alone, as before).
const sendJoined = coalesce(sendNow, {
  weight: ({ message }) => Buffer.byteLength(message.value) + Buffer.byteLength(message.key),
  maxWeight: 256 * 1024,
});

/**
 * Publishes records to one or more topics and resolves once every in-sync replica acknowledged
 * (acks=-1); rejects with KafkaUnavailableError within PUBLISH_TIMEOUT_MS, never hangs. Publishes started in the
 * same turn of the event loop go to the broker together.
 */
export async function publish(byTopic: Record<string, OutgoingRecord[]>): Promise<void> {
  const items = Object.entries(byTopic).flatMap(([topic, records]) =>
    records.map((record) => ({ topic, message: encode(record) })),
  );
  if (items.length === 0) return;
  if (!broker.tryAcquire()) {
    throw new KafkaUnavailableError(
      new Error(`a publish failed moments ago; trying again in ${broker.retryInMs()} ms`),
    );
  }
  try {
    await sendJoined(items);
    broker.onSuccess();
  } catch (error) {
    broker.onFailure();
    throw error;
  }
}

/** For callers that answer someone: a Kafka outage becomes an `unavailable` error with a retry-after, so they retry. */
export async function publishOrUnavailable(byTopic: Record<string, OutgoingRecord[]>): Promise<void> {
  try {
    await publish(byTopic);
  } catch (error) {
    if (error instanceof KafkaUnavailableError) {
      throw new DomainError('unavailable', 'the message broker is unavailable; retry shortly', 'kafka_unavailable', {
        retryAfterSeconds: 5,
      });
    }
    throw error;
  }
}
