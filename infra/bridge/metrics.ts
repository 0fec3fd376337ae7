import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { Admin } from 'kafkajs';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { LATENCY_BUCKETS } from '@chat4all/shared/metrics/registry.js';
import { STACK_DIR } from '../stack/paths.js';
import { isAlive } from '../stack/processes.js';
import type { KafkaTrigger } from './triggers.js';

/** The bridge's own metrics, scraped by Prometheus (job chat4all-bridge). */
export const bridgeRegistry = new Registry();

export const bridgeMetrics = {
  lag: new Gauge({
    name: 'kafka_consumer_lag',
    help: 'End offset minus committed offset',
    labelNames: ['group', 'topic', 'partition'],
    registers: [bridgeRegistry],
  }),
  batchSize: new Histogram({
    name: 'bridge_batch_size',
    help: 'Records per invocation',
    labelNames: ['function'],
    buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500],
    registers: [bridgeRegistry],
  }),
  invokeDuration: new Histogram({
    name: 'bridge_invoke_duration_seconds',
    help: 'Duration of one function invocation',
    labelNames: ['function'],
    buckets: LATENCY_BUCKETS,
    registers: [bridgeRegistry],
  }),
  invocations: new Counter({
    name: 'bridge_invocations_total',
    help: 'Invocations by outcome',
    labelNames: ['function', 'outcome'],
    registers: [bridgeRegistry],
  }),
  retries: new Counter({
    name: 'bridge_retries_total',
    help: 'Failed invocations retried',
    labelNames: ['function'],
    registers: [bridgeRegistry],
  }),
  deadLetters: new Counter({
    name: 'bridge_dead_letters_total',
    help: 'Records moved to a dead-letter topic',
    labelNames: ['function', 'topic'],
    registers: [bridgeRegistry],
  }),
  member: new Gauge({
    name: 'bridge_consumer_member',
    help: "1 while the group's coordinator lists this bridge's consumer as a member, else 0",
    labelNames: ['function', 'group'],
    registers: [bridgeRegistry],
  }),
  lastFetch: new Gauge({
    name: 'bridge_consumer_last_fetch_timestamp_seconds',
    help: "When this bridge's consumer of the group last fetched successfully (its start until then)",
    labelNames: ['function', 'group'],
    registers: [bridgeRegistry],
  }),
  lastCommit: new Gauge({
    name: 'bridge_consumer_last_commit_timestamp_seconds',
    help: "When this bridge's consumer of the group last committed an offset (its start until then)",
    labelNames: ['function', 'group'],
    registers: [bridgeRegistry],
  }),
  recoveries: new Counter({
    name: 'bridge_consumer_recoveries_total',
    help: 'Consumers the bridge replaced: after a crash kafkajs does not restart from, or a membership gone too long',
    labelNames: ['function', 'group', 'reason'],
    registers: [bridgeRegistry],
  }),
  groupMembers: new Gauge({
    name: 'kafka_consumer_group_members',
    help: "Members the group's coordinator lists, whichever bridge they belong to",
    labelNames: ['group'],
    registers: [bridgeRegistry],
  }),
};

/**
 * Lag from the committed offsets of each group and the topics' end offsets (not from the consumers' own view).
 * Resolves to each group's lag over all its partitions.
 */
export async function measureLag(admin: Admin, triggers: KafkaTrigger[]): Promise<Map<string, number>> {
  const totals = new Map<string, number>();
  await Promise.all(
    triggers.map(async (trigger) => {
      const [committed, ends] = await Promise.all([
        admin.fetchOffsets({ groupId: trigger.groupId, topics: [trigger.topic] }),
        admin.fetchTopicOffsets(trigger.topic),
      ]);
      const committedByPartition = new Map(
        (committed[0]?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]),
      );
      let total = 0;
      for (const end of ends) {
        const committedOffset = committedByPartition.get(end.partition) ?? -1;
        const from = committedOffset >= 0 ? committedOffset : Number(end.low);
        const lag = Math.max(0, Number(end.high) - from);
        total += lag;
        bridgeMetrics.lag.set({ group: trigger.groupId, topic: trigger.topic, partition: String(end.partition) }, lag);
      }
      totals.set(trigger.groupId, total);
    }),
  );
  return totals;
}

/** The member ids the coordinator lists for each trigger's group (every bridge's members, not only this one's). */
export async function measureMembers(admin: Admin, triggers: KafkaTrigger[]): Promise<Map<string, string[]>> {
  const groupIds = [...new Set(triggers.map((trigger) => trigger.groupId))];
  const { groups } = await admin.describeGroups(groupIds);
  const members = new Map(groups.map((group) => [group.groupId, group.members.map((member) => member.memberId)]));
  for (const [group, ids] of members) bridgeMetrics.groupMembers.set({ group }, ids.length);
  return members;
}

const TARGETS_DIR = path.join(STACK_DIR, 'prometheus', 'targets');

/** A bridge killed with SIGKILL leaves its target file behind: Prometheus would report it down forever. */
function removeTargetsOfDeadBridges(): void {
  for (const file of fs.readdirSync(TARGETS_DIR)) {
    const pid = Number(/^bridge-(\d+)\.json$/.exec(file)?.[1]);
    if (pid && !isAlive(pid)) fs.rmSync(path.join(TARGETS_DIR, file), { force: true });
  }
}

/**
 * Serves /metrics on the first free port from `firstPort`, and registers it with Prometheus
 * through a file_sd target file (removed when the process exits).
 */
export async function serveMetrics(firstPort: number): Promise<{ port: number; close: () => void }> {
  const server = http.createServer((request, response) => {
    if (request.url !== '/metrics') {
      response.writeHead(404).end();
      return;
    }
    bridgeRegistry.metrics().then(
      (body) => response.writeHead(200, { 'Content-Type': bridgeRegistry.contentType }).end(body),
      () => response.writeHead(500).end(),
    );
  });
  let port = firstPort;
  for (; ; port++) {
    const listening = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (listening) break;
    if (port > firstPort + 20) throw new Error('no free port for bridge metrics');
  }
  const targetFile = path.join(TARGETS_DIR, `bridge-${process.pid}.json`);
  fs.mkdirSync(TARGETS_DIR, { recursive: true });
  removeTargetsOfDeadBridges();
  fs.writeFileSync(
    targetFile,
    JSON.stringify([{ targets: [`127.0.0.1:${port}`], labels: { job: 'chat4all-bridge' } }]),
  );
  const close = (): void => {
    fs.rmSync(targetFile, { force: true });
    server.close();
  };
  process.on('exit', () => fs.rmSync(targetFile, { force: true }));
  return { port, close };
}
