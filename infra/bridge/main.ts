/**
 * The Kafka event-source bridge: the local stand-in for AWS's event source mapping of
 * self-managed Kafka. Runs one consumer group per `kafka` event of serverless.yml and invokes the
 * function through serverless-offline's Lambda endpoint. Several bridges may run at once: they
 * share each group's partitions.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { config } from '@chat4all/shared/config.js';
import { logger } from '@chat4all/shared/logger.js';
import { TriggerConsumer } from './consumer.js';
import { Invoker } from './invoker.js';
import { measureLag, serveMetrics } from './metrics.js';
import { bridgeClientId, bridgePidFile } from './process.js';
import { loadTriggers } from './triggers.js';

const log = logger.child({ component: 'bridge', pid: process.pid });
const lambdaEndpoint = process.env.LAMBDA_ENDPOINT ?? 'http://127.0.0.1:3002';
const only = process.env.BRIDGE_FUNCTIONS?.split(',').filter(Boolean);

const kafka = new Kafka({
  clientId: bridgeClientId(process.pid),
  brokers: config.kafka.brokers,
  logLevel: logLevel.NOTHING,
  retry: { retries: 10, initialRetryTime: 300, maxRetryTime: 5_000 },
});
const producer = kafka.producer({ allowAutoTopicCreation: false });
const invoker = new Invoker(lambdaEndpoint);
const triggers = loadTriggers().filter((trigger) => !only || only.includes(trigger.name));
const consumers = triggers.map(
  (trigger) => new TriggerConsumer(trigger, { kafka, brokers: config.kafka.brokers, invoker, producer, log }),
);

// A pid file per bridge lets tests and operators find every running bridge.
const pidFile = bridgePidFile(process.pid);
fs.mkdirSync(path.dirname(pidFile), { recursive: true });
fs.writeFileSync(pidFile, `${process.pid}\n`);
process.on('exit', () => fs.rmSync(pidFile, { force: true }));

async function shutdown(signal: string): Promise<void> {
  log.info({ signal }, 'stopping');
  clearInterval(lagTimer);
  metricsServer.close();
  await admin.disconnect().catch(() => undefined);
  await Promise.allSettled(consumers.map((consumer) => consumer.stop()));
  await producer.disconnect().catch(() => undefined);
  invoker.destroy();
  process.exit(0);
}
process.once('SIGINT', () => void shutdown('SIGINT'));
process.once('SIGTERM', () => void shutdown('SIGTERM'));

await producer.connect();
await Promise.all(consumers.map((consumer) => consumer.start()));

const metricsServer = await serveMetrics(Number(process.env.BRIDGE_METRICS_PORT ?? 9464));
// Lag of every trigger of serverless.yml, also those this bridge does not consume (BRIDGE_FUNCTIONS).
const admin = kafka.admin();
await admin.connect();
const lagTimer = setInterval(
  () => {
    measureLag(admin, loadTriggers()).catch((error: Error) =>
      log.warn({ err: error.message }, 'lag measurement failed'),
    );
  },
  Number(process.env.BRIDGE_LAG_INTERVAL_MS ?? 5000),
);
log.info(
  {
    functions: triggers.map((trigger) => `${trigger.name}<-${trigger.topic}`),
    lambdaEndpoint,
    metrics_port: metricsServer.port,
  },
  'bridge running',
);
