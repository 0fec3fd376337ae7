import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KafkaMessage } from 'kafkajs';
import { TOPICS } from '@chat4all/shared/contracts/topics.js';
import { decodeRecords } from '@chat4all/shared/kafka/event.js';
import { buildEvent } from '../../infra/bridge/event.js';
import { loadTriggers } from '../../infra/bridge/triggers.js';

const message = (offset: number, value: unknown, headers: Record<string, string> = {}): KafkaMessage =>
  ({
    offset: String(offset),
    timestamp: '1764240000000',
    key: Buffer.from('conv-1'),
    value: Buffer.from(JSON.stringify(value)),
    headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, Buffer.from(v)])),
    attributes: 0,
  }) as unknown as KafkaMessage;

describe('event-source bridge', () => {
  it('builds the SelfManagedKafka event Lambda receives, and functions decode it back', () => {
    const event = buildEvent(['127.0.0.1:9092'], TOPICS.messages, 3, [
      message(7, { n: 1 }, { correlation_id: 'c-1' }),
      message(8, { n: 2 }),
    ]);
    assert.equal(event.eventSource, 'SelfManagedKafka');
    assert.equal(event.bootstrapServers, '127.0.0.1:9092');
    const records = event.records[`${TOPICS.messages}-3`]!;
    assert.equal(records.length, 2);
    assert.equal(records[0]!.key, Buffer.from('conv-1').toString('base64'));
    assert.deepEqual(records[0]!.headers, [{ correlation_id: [...Buffer.from('c-1')] }]);
    const decoded = decodeRecords<{ n: number }>(event);
    assert.deepEqual(
      decoded.map((r) => [r.offset, r.key, r.value?.n, r.headers.correlation_id]),
      [
        [7, 'conv-1', 1, 'c-1'],
        [8, 'conv-1', 2, undefined],
      ],
    );
  });

  it('decodes a value that is not JSON as null and keeps its text', () => {
    const event = buildEvent(['b'], 't', 0, [{ ...message(1, null), value: Buffer.from('not json') } as KafkaMessage]);
    const [record] = decodeRecords(event);
    assert.equal(record!.value, null);
    assert.equal(record!.raw, 'not json');
  });

  it('reads the kafka triggers of serverless.yml', () => {
    const triggers = loadTriggers();
    const router = triggers.find((trigger) => trigger.name === 'router');
    assert.ok(router);
    assert.equal(router.topic, TOPICS.messages);
    assert.equal(router.groupId, 'chat4all-router');
    assert.equal(router.lambdaName, 'chat4all-local-router');
    assert.equal(router.batchSize, 100);
    assert.ok(triggers.some((trigger) => trigger.topic === TOPICS.statusUpdates));
  });
});
