import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { loadTopics } from '../../infra/provision/kafka-topics.js';
import { ROOT } from '../../infra/stack/paths.js';

const topics = loadTopics(path.join(ROOT, 'infra/kafka/topics.yaml'));
const byName = new Map(topics.map((topic) => [topic.name, topic]));

describe('kafka topics declaration', () => {
  it('declares the topics of the design, messages with 6 partitions', () => {
    for (const name of ['messages', 'whatsapp-outbound', 'instagram-outbound', 'notifications', 'status-updates']) {
      assert.ok(byName.has(name), `${name} is declared`);
    }
    assert.equal(byName.get('messages')!.partitions, 6);
  });

  it('gives every working topic a dead-letter twin with longer retention', () => {
    for (const topic of topics.filter((t) => !t.name.endsWith('.dlq'))) {
      const dlq = byName.get(`${topic.name}.dlq`);
      assert.ok(dlq, `${topic.name}.dlq is declared`);
      assert.ok(Number(dlq.config['retention.ms']) > Number(topic.config['retention.ms']));
    }
  });
});
