import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { instagram } from '@chat4all/shared/channels/instagram.js';
import { whatsapp } from '@chat4all/shared/channels/whatsapp.js';
import {
  CHANNEL_TOPICS,
  DEAD_LETTER_TOPICS,
  deadLetterTopicOf,
  isDeadLetterTopic,
  sourceTopicOf,
  TOPICS,
  WORKING_TOPICS,
} from '@chat4all/shared/contracts/topics.js';
import { loadTriggers } from '../../infra/bridge/triggers.js';
import { loadTopics } from '../../infra/provision/kafka-topics.js';
import { ROOT } from '../../infra/stack/paths.js';

const declared = loadTopics(path.join(ROOT, 'infra/kafka/topics.yaml')).map((topic) => topic.name);
const triggers = loadTriggers();
const sorted = (names: Iterable<string>) => [...names].sort();

describe('kafka contracts', () => {
  it('name exactly the topics infra/kafka/topics.yaml declares', () => {
    assert.deepEqual(sorted(declared), sorted([...WORKING_TOPICS, ...DEAD_LETTER_TOPICS]));
  });

  it('give every working topic its declared dead-letter twin, and only those', () => {
    for (const topic of WORKING_TOPICS) {
      assert.ok(declared.includes(deadLetterTopicOf(topic)), `${deadLetterTopicOf(topic)} is declared`);
      assert.equal(sourceTopicOf(deadLetterTopicOf(topic)), topic);
      assert.ok(!isDeadLetterTopic(topic));
    }
    assert.deepEqual(sorted(declared.filter(isDeadLetterTopic)), sorted(DEAD_LETTER_TOPICS));
  });

  it('match the Kafka triggers of serverless.yml: every working topic has a consumer, every trigger a contract', () => {
    assert.deepEqual(sorted(new Set(triggers.map((trigger) => trigger.topic))), sorted(WORKING_TOPICS));
    const consumerOf = (topic: string) => triggers.filter((trigger) => trigger.topic === topic).map((t) => t.name);
    assert.deepEqual(consumerOf(TOPICS.messages), ['router']);
    assert.deepEqual(consumerOf(TOPICS.statusUpdates), ['statusApply']);
    assert.deepEqual(consumerOf(TOPICS.notifications), ['realtimeNotify']);
    assert.deepEqual(consumerOf(TOPICS.whatsappOutbound), ['connectorWhatsapp']);
    assert.deepEqual(consumerOf(TOPICS.instagramOutbound), ['connectorInstagram']);
  });

  it('route each channel to a working topic its connector consumes', () => {
    for (const topic of Object.values(CHANNEL_TOPICS)) assert.ok(WORKING_TOPICS.includes(topic));
    assert.equal(whatsapp.topic, CHANNEL_TOPICS.whatsapp);
    assert.equal(instagram.topic, CHANNEL_TOPICS.instagram);
  });
});
