import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { deadLetterTopicOf, isDeadLetterTopic, TOPICS, WORKING_TOPICS } from '@chat4all/shared/contracts/topics.js';
import { loadTopics } from '../../infra/provision/kafka-topics.js';
import { ROOT } from '../../infra/stack/paths.js';

const topics = loadTopics(path.join(ROOT, 'infra/kafka/topics.yaml'));
const byName = new Map(topics.map((topic) => [topic.name, topic]));

describe('kafka topics declaration', () => {
  it('declares the topics of the design, messages with 6 partitions', () => {
    for (const name of WORKING_TOPICS) {
      assert.ok(byName.has(name), `${name} is declared`);
    }
    assert.equal(byName.get(TOPICS.messages)!.partitions, 6);
  });

  it('gives every working topic a dead-letter twin with longer retention', () => {
    for (const topic of topics.filter((t) => !isDeadLetterTopic(t.name))) {
      const dlq = byName.get(deadLetterTopicOf(topic.name));
      assert.ok(dlq, `${deadLetterTopicOf(topic.name)} is declared`);
      assert.ok(Number(dlq.config['retention.ms']) > Number(topic.config['retention.ms']));
    }
  });
});
