/**
 * The Kafka event-source bridge: the local stand-in for AWS's event source mapping of
 * self-managed Kafka. Runs one consumer group per `kafka` event of serverless.yml and invokes the
 * function through serverless-offline's Lambda endpoint. Several bridges may run at once: they
 * share each group's partitions.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { config } from '@chat4all/shared/config.js';
import { logger } from '@chat4all/shared/logger.js';
import { withTimeout } from '@chat4all/shared/timeout.js';
import { TriggerConsumer } from './consumer.js';
import { Invoker } from './invoker.js';
import { serveMetrics } from './metrics.js';
import { GroupMonitor } from './monitor.js';
import { bridgeClientId, bridgePidFile } from './process.js';
import { removeBridgeStatus } from './status-file.js';
import { loadTriggers } from './triggers.js';
import { Watchdog } from './watchdog.js';

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
const allTriggers = loadTriggers();
const triggers = allTriggers.filter((trigger) => !only || only.includes(trigger.name));
const consumers = triggers.map(
  (trigger) => new TriggerConsumer(trigger, { kafka, brokers: config.kafka.brokers, invoker, producer, log }),
);

/** What is started after the consumers, for shutdown to stop (it may come before they exist). */
const started: { metricsServer?: { port: number; close: () => void }; admin?: Admin; monitor?: GroupMonitor } = {};
let stopping = false;

async function shutdown(why: string, code = 0): Promise<void> {
  if (stopping) return;
  stopping = true;
  log.info({ why }, 'stopping');
  started.monitor?.stop();
  started.metricsServer?.close();
  await started.admin?.disconnect().catch(() => undefined);
  // Bounded: a consumer stuck in a batch must not keep a bridge that gave up alive.
  await withTimeout(Promise.allSettled(consumers.map((consumer) => consumer.stop())), 20_000, 'consumers').catch(
    () => undefined,
  );
  await producer.disconnect().catch(() => undefined);
  invoker.destroy();
  process.exit(code);
}

// Rather than live on without a consumer: exit non-zero, and whatever started the bridge starts it again.
const watchdog = new Watchdog(consumers, log, (reason) => {
  log.fatal({ reason }, 'a consumer cannot be recovered: exiting');
  void shutdown('watchdog', 1);
});

// A pid file per bridge lets tests and operators find every running bridge.
const pidFile = bridgePidFile(process.pid);
fs.mkdirSync(path.dirname(pidFile), { recursive: true });
fs.writeFileSync(pidFile, `${process.pid}\n`);
process.on('exit', () => {
  fs.rmSync(pidFile, { force: true });
  removeBridgeStatus(process.pid);
});

process.once('SIGINT', () => void shutdown('SIGINT'));
process.once('SIGTERM', () => void shutdown('SIGTERM'));

await producer.connect();
await Promise.all(consumers.map((consumer) => consumer.start()));

const metricsServer = (started.metricsServer = await serveMetrics(Number(process.env.BRIDGE_METRICS_PORT ?? 9464)));
const admin = (started.admin = kafka.admin());
await admin.connect();
const monitor = (started.monitor = new GroupMonitor({
  admin,
  triggers: allTriggers,
  consumers,
  watchdog,
  log,
  intervalMs: Number(process.env.BRIDGE_LAG_INTERVAL_MS ?? 5000),
  metricsPort: metricsServer.port,
}));
await monitor.start();
log.info(
  {
    functions: triggers.map((trigger) => `${trigger.name}<-${trigger.topic}`),
    lambdaEndpoint,
    metrics_port: metricsServer.port,
  },
  'bridge running',
);
