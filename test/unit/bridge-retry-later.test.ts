import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EachBatchPayload, Kafka, KafkaMessage, Producer } from 'kafkajs';
import { pino } from 'pino';
import { TOPICS } from '@chat4all/shared/contracts/topics.js';
import { RetryLaterError } from '@chat4all/shared/kafka/retry-later.js';
import { TriggerConsumer } from '../../infra/bridge/consumer.js';
import { FunctionError, type Invoker } from '../../infra/bridge/invoker.js';

/** The bridge with a scripted function and a fake kafkajs consumer: what a RetryLaterError does. */
function bridgeWith(script: (call: number) => void) {
  const deadLetters: unknown[] = [];
  const seeks: unknown[] = [];
  const commits: unknown[] = [];
  let calls = 0;
  const kafka = {
    consumer: () => ({
      events: {},
      on: () => undefined,
      seek: (at: unknown) => seeks.push(at),
      commitOffsets: async (o: unknown) => void commits.push(o),
    }),
  } as unknown as Kafka;
  const invoker = { invoke: async () => script(++calls) } as unknown as Invoker;
  const producer = { send: async (batch: unknown) => void deadLetters.push(batch) } as unknown as Producer;
  const consumer = new TriggerConsumer(
    {
      name: 'connectorWhatsapp',
      lambdaName: 'chat4all-local-connectorWhatsapp',
      topic: TOPICS.whatsappOutbound,
      groupId: 'g',
      batchSize: 10,
      maximumBatchingWindowMs: 10,
      fromBeginning: true,
    },
    {
      kafka,
      brokers: ['127.0.0.1:9092'],
      invoker,
      producer,
      log: pino({ level: 'silent' }),
      retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 50 },
    },
  );
  const messages = [7, 8].map((offset) => ({
    offset: String(offset),
    key: Buffer.from('k'),
    value: Buffer.from('{}'),
    headers: {},
  })) as unknown as KafkaMessage[];
  const state = { paused: false, resumed: false, resolved: [] as string[] };
  const internals = consumer as unknown as {
    consumer: unknown;
    handleBatch: (kafkaConsumer: unknown, payload: EachBatchPayload) => Promise<void>;
  };
  const handleBatch = () =>
    internals.handleBatch(internals.consumer, {
      batch: { topic: TOPICS.whatsappOutbound, partition: 3, messages },
      heartbeat: async () => undefined,
      isRunning: () => true,
      isStale: () => false,
      resolveOffset: (offset: string) => void state.resolved.push(offset),
      pause: () => {
        state.paused = true;
        return () => void (state.resumed = true);
      },
    } as unknown as EachBatchPayload);
  return { handleBatch, deadLetters, seeks, commits, state, calls: () => calls };
}

describe('bridge: a function that asks to be invoked later', () => {
  it('pauses the partition, rewinds it to the chunk and resumes after the delay: no commit, no dead letter', async () => {
    const bridge = bridgeWith(() => {
      throw new RetryLaterError(20, 'the whatsapp circuit is open');
    });
    await bridge.handleBatch();
    assert.equal(bridge.calls(), 1, 'returns at once: the other partitions are not held');
    assert.equal(bridge.state.paused, true);
    assert.deepEqual(bridge.seeks, [{ topic: TOPICS.whatsappOutbound, partition: 3, offset: '7' }]);
    assert.deepEqual(bridge.commits, []);
    assert.deepEqual(bridge.state.resolved, []);
    assert.equal(bridge.deadLetters.length, 0);
    assert.equal(bridge.state.resumed, false);
    await new Promise((resolve) => setTimeout(resolve, 60));
    assert.equal(bridge.state.resumed, true, 'resumed after the delay it asked for');
  });

  it('still dead-letters real failures after maxAttempts, then commits past them', async () => {
    const bridge = bridgeWith(() => {
      throw new FunctionError('connectorWhatsapp', 'boom');
    });
    await bridge.handleBatch();
    assert.equal(bridge.calls(), 2);
    assert.equal(bridge.deadLetters.length, 1);
    assert.equal(bridge.state.paused, false);
    assert.deepEqual(bridge.commits, [[{ topic: TOPICS.whatsappOutbound, partition: 3, offset: '9' }]]);
  });
});
