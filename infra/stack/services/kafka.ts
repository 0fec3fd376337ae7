import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { java17, resolveJars } from '../java.js';
import { ROOT, serviceDir } from '../paths.js';
import { isPortOpen, startDetached } from '../processes.js';
import type { Service } from '../service.js';
import { renderTemplate } from '../templates.js';

const PORT = 9092;
const CONTROLLER_PORT = 9093;
const READINESS_TOPIC = '_chat4all_readiness';

const dir = (...parts: string[]): string => serviceDir('kafka', ...parts);
const classpath = (): string => `${dir('libs')}/*`;

export function kafkaService(log: (line: string) => void): Service {
  return {
    name: 'kafka',
    address: `127.0.0.1:${PORT} (controller ${CONTROLLER_PORT})`,
    ports: [PORT, CONTROLLER_PORT],
    readyTimeoutMs: 120_000,

    async install() {
      resolveJars(path.join(ROOT, 'infra/stack/maven/kafka/pom.xml'), dir('libs'), log);
      const values = {
        PORT: String(PORT),
        CONTROLLER_PORT: String(CONTROLLER_PORT),
        DATA_DIR: dir('data'),
        LOG_DIR: dir('logs'),
      };
      renderTemplate(
        path.join(ROOT, 'infra/stack/config/kafka-server.properties'),
        dir('conf', 'server.properties'),
        values,
      );
      renderTemplate(path.join(ROOT, 'infra/stack/config/kafka-log4j2.yaml'), dir('conf', 'log4j2.yaml'), values);
      if (!fs.existsSync(dir('data', 'meta.properties'))) {
        log('formatting Kafka storage (KRaft, once)');
        const clusterId = crypto.randomBytes(16).toString('base64url');
        execFileSync(
          java17(),
          [
            '-cp',
            classpath(),
            `-Dlog4j2.configurationFile=${dir('conf', 'log4j2.yaml')}`,
            'kafka.tools.StorageTool',
            'format',
            '-t',
            clusterId,
            '-c',
            dir('conf', 'server.properties'),
          ],
          { stdio: ['ignore', 'ignore', 'inherit'] },
        );
      }
    },

    async start() {
      startDetached('kafka', java17(), [
        '-Xms256m',
        '-Xmx768m',
        '-XX:+UseG1GC',
        '-XX:MaxGCPauseMillis=20',
        '-Djava.awt.headless=true',
        `-Dlog4j2.configurationFile=${dir('conf', 'log4j2.yaml')}`,
        `-Dkafka.logs.dir=${dir('logs')}`,
        '-cp',
        classpath(),
        'kafka.Kafka',
        dir('conf', 'server.properties'),
      ]);
    },

    async ready() {
      if (!(await isPortOpen(PORT))) return false;
      return produceConsumeRoundTrip(`127.0.0.1:${PORT}`);
    },
  };
}

/** Produces a unique record to a readiness topic and consumes it back: the broker really works. */
export async function produceConsumeRoundTrip(broker: string): Promise<boolean> {
  const kafka = new Kafka({
    clientId: 'chat4all-stack',
    brokers: [broker],
    logLevel: logLevel.NOTHING,
    retry: { retries: 1 },
  });
  const admin = kafka.admin();
  const producer = kafka.producer();
  const groupId = `chat4all-readiness-${crypto.randomUUID()}`;
  const consumer = kafka.consumer({ groupId, retry: { retries: 1 } });
  const token = crypto.randomUUID();
  try {
    await admin.connect();
    const topics = await admin.listTopics();
    if (!topics.includes(READINESS_TOPIC)) {
      await admin.createTopics({
        topics: [
          { topic: READINESS_TOPIC, numPartitions: 1, configEntries: [{ name: 'retention.ms', value: '3600000' }] },
        ],
        waitForLeaders: true,
      });
    }
    await producer.connect();
    await producer.send({ topic: READINESS_TOPIC, acks: -1, messages: [{ value: token }] });
    await consumer.connect();
    await consumer.subscribe({ topic: READINESS_TOPIC, fromBeginning: true });
    const received = new Promise<boolean>((resolve) => {
      void consumer.run({
        eachMessage: async ({ message }) => {
          if (message.value?.toString() === token) resolve(true);
        },
      });
    });
    const timeout = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 20_000).unref());
    return await Promise.race([received, timeout]);
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await producer.disconnect().catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  }
}
