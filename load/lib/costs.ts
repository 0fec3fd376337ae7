/**
 * The per-message cost budget: what one delivered message costs the stack, counted where the work
 * happens, never estimated. Each function counts, in its own process (so the Pushgateway's `function` grouping label
 * names it), the CQL statements its Cassandra client sent (`cassandra_statements_total{kind=single|batched}`,
 * `cassandra_batches_total`), the Kafka records the broker acknowledged to its producer
 * (`kafka_records_produced_total{topic}`), its invocations (`function_invocations_total`) and the log lines it wrote
 * (`log_lines_total{level}`). The bridge counts its own invocations (`bridge_invocations_total`) and, where its
 * /metrics serves the shared registry too, its log lines.
 *
 * measureCostPaths() sends a fixed number of messages through each path, one at a time, each followed until it was
 * delivered and every consumer group caught up, and divides the counters' deltas by the deliveries. The cost-budget
 * test (test/integration/cost-budget.test.ts) holds each path to its budget; the bench prints the same table.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Consumer } from 'kafkajs';
import WebSocket from 'ws';
import { getKafka } from '@chat4all/shared/clients/kafka.js';
import { TOPICS } from '@chat4all/shared/contracts/topics.js';
import type { StatusEvent } from '@chat4all/shared/messages/model.js';
import { loadFunctions } from '../../infra/functions.js';
import { emulator, newPhoneNumber } from '../../infra/emulators/control.js';
import { loadTopics } from '../../infra/provision/kafka-topics.js';
import { ROOT, STACK_DIR } from '../../infra/stack/paths.js';
import { ApiClient, registerUser, type LoadUser } from './client.js';
import { PipelineWatch } from './lag.js';

const PUSHGATEWAY = process.env.PUSHGATEWAY_URL ?? 'http://127.0.0.1:9091';
const WS_URL = process.env.WS_URL ?? 'ws://127.0.0.1:3001';
const FUNCTIONS_JOB = 'chat4all-functions';
/** serverless-offline pushes a function's metrics at most once per interval (METRICS_PUSH=coalesced). */
const PUSH_INTERVAL_MS = Number(process.env.METRICS_PUSH_INTERVAL_MS ?? 2000);
const BRIDGE_TARGETS_DIR = path.join(STACK_DIR, 'prometheus', 'targets');

// ---------------------------------------------------------------------------------------------------------------
// Prometheus text exposition

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const unescapeLabel = (value: string): string =>
  value.replace(/\\(.)/g, (_, char: string) => (char === 'n' ? '\n' : char));

/** The samples of a Prometheus text exposition (comments skipped; a timestamp after the value ignored). */
export function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const brace = line.indexOf('{');
    const space = line.indexOf(' ');
    const labels: Record<string, string> = {};
    let rest: string;
    let name: string;
    if (brace >= 0 && (space < 0 || brace < space)) {
      name = line.slice(0, brace);
      let at = brace + 1;
      for (;;) {
        while (line[at] === ' ' || line[at] === ',') at++;
        if (line[at] === '}') break;
        const eq = line.indexOf('=', at);
        if (eq < 0 || line[eq + 1] !== '"') throw new Error(`malformed labels: ${line}`);
        const key = line.slice(at, eq).trim();
        let end = eq + 2;
        while (end < line.length && line[end] !== '"') end += line[end] === '\\' ? 2 : 1;
        if (end >= line.length) throw new Error(`unterminated label value: ${line}`);
        labels[key] = unescapeLabel(line.slice(eq + 2, end));
        at = end + 1;
      }
      rest = line.slice(at + 1).trim();
    } else {
      name = line.slice(0, space);
      rest = line.slice(space + 1).trim();
    }
    const value = Number(rest.split(/\s+/)[0]);
    if (name && !Number.isNaN(value)) samples.push({ name, labels, value });
  }
  return samples;
}

// ---------------------------------------------------------------------------------------------------------------
// Counters, snapshots and deltas

/** The cost of some work, in the units of the budget. */
export interface Costs {
  /** CQL statements: each execute, and each statement of a batch. */
  cassandra_statements: number;
  /** Round trips to Cassandra: executes plus batches. */
  cassandra_requests: number;
  /** Records the broker acknowledged to the functions' producers. */
  kafka_records: number;
  /** Function invocations (HTTP, WebSocket, Kafka-triggered). */
  invocations: number;
  /** Log lines the functions wrote. */
  log_lines: number;
}

export const COST_KEYS = [
  'cassandra_statements',
  'cassandra_requests',
  'kafka_records',
  'invocations',
  'log_lines',
] as const satisfies readonly (keyof Costs)[];

const zero = (): Costs => ({
  cassandra_statements: 0,
  cassandra_requests: 0,
  kafka_records: 0,
  invocations: 0,
  log_lines: 0,
});

interface Series {
  source: 'function' | 'bridge';
  family: string;
  /** The function the series belongs to (a bridge's series: the bridge). */
  function: string;
  labels: Record<string, string>;
  value: number;
}

export interface CostSnapshot {
  series: Map<string, Series>;
  /** When each function worker last pushed (Pushgateway push_time_seconds by group). */
  pushTimes: Map<string, number>;
  /** Whether a bridge's /metrics answered, and whether it counts its log lines. */
  bridges: { read: number; countsLogLines: boolean };
  /** Records the pipeline's topics ever received, summed over their partitions (the broker's own count). */
  brokerRecords: number;
}

const COST_FAMILIES = new Set([
  'cassandra_statements_total',
  'cassandra_batches_total',
  'kafka_records_produced_total',
  'function_invocations_total',
  'log_lines_total',
]);
const BRIDGE_FAMILIES = new Set(['bridge_invocations_total', 'log_lines_total']);

const seriesKey = (source: string, name: string, labels: Record<string, string>): string =>
  `${source}|${name}|${Object.keys(labels)
    .sort()
    .map((key) => `${key}=${labels[key]}`)
    .join(',')}`;

/**
 * The cost series of the given functions among a Pushgateway's samples (job chat4all-functions; every worker of a
 * function is its own group), and their push times.
 */
export function functionSeries(
  samples: Sample[],
  functions: ReadonlySet<string>,
): { series: Map<string, Series>; pushTimes: Map<string, number> } {
  const series = new Map<string, Series>();
  const pushTimes = new Map<string, number>();
  for (const sample of samples) {
    const fn = sample.labels.function;
    if (sample.labels.job !== FUNCTIONS_JOB || !fn || !functions.has(fn)) continue;
    if (sample.name === 'push_time_seconds') pushTimes.set(seriesKey('push', fn, sample.labels), sample.value);
    else if (COST_FAMILIES.has(sample.name))
      series.set(seriesKey('function', sample.name, sample.labels), {
        source: 'function',
        family: sample.name,
        function: fn,
        labels: sample.labels,
        value: sample.value,
      });
  }
  return { series, pushTimes };
}

/** The cost series of one bridge's /metrics. */
export function bridgeSeries(samples: Sample[], bridge: string): Map<string, Series> {
  const series = new Map<string, Series>();
  for (const sample of samples) {
    if (!BRIDGE_FAMILIES.has(sample.name)) continue;
    const labels = { ...sample.labels, bridge };
    series.set(seriesKey('bridge', sample.name, labels), {
      source: 'bridge',
      family: sample.name,
      function: 'bridge',
      labels,
      value: sample.value,
    });
  }
  return series;
}

/** The cost of the work between two snapshots, in all and by function, with the bridge's own counts beside it. */
export interface CostDelta {
  total: Costs;
  byFunction: Record<string, Costs>;
  /** Invocations the bridge made (the Kafka-triggered ones, counted by the invoker). */
  bridgeInvocations: number;
  /** Log lines the bridge wrote, when its /metrics counts them (null otherwise). */
  bridgeLogLines: number | null;
  /** Records the pipeline's topics received, by the broker's end offsets. */
  brokerRecords: number;
}

/**
 * What changed between two snapshots. A series that went down belongs to a worker that started again in between:
 * its whole value is new. A series gone from `after` (a worker's group removed as stale) adds nothing.
 */
export function costDelta(before: CostSnapshot, after: CostSnapshot): CostDelta {
  const total = zero();
  const byFunction: Record<string, Costs> = {};
  let bridgeInvocations = 0;
  let bridgeLogLines = 0;
  for (const [key, now] of after.series) {
    const then = before.series.get(key)?.value ?? 0;
    const delta = now.value >= then ? now.value - then : now.value;
    if (delta === 0) continue;
    if (now.source === 'bridge') {
      if (now.family === 'bridge_invocations_total') bridgeInvocations += delta;
      else if (now.family === 'log_lines_total') bridgeLogLines += delta;
      continue;
    }
    const fn = (byFunction[now.function] ??= zero());
    for (const costs of [total, fn]) {
      switch (now.family) {
        case 'cassandra_statements_total':
          costs.cassandra_statements += delta;
          if (now.labels.kind === 'single') costs.cassandra_requests += delta;
          break;
        case 'cassandra_batches_total':
          costs.cassandra_requests += delta;
          break;
        case 'kafka_records_produced_total':
          costs.kafka_records += delta;
          break;
        case 'function_invocations_total':
          costs.invocations += delta;
          break;
        case 'log_lines_total':
          costs.log_lines += delta;
          break;
      }
    }
  }
  return {
    total,
    byFunction,
    bridgeInvocations,
    bridgeLogLines: after.bridges.countsLogLines ? bridgeLogLines : null,
    brokerRecords: after.brokerRecords - before.brokerRecords,
  };
}

/** `costs` divided by `count`, to two decimals. */
export function perUnit(costs: Costs, count: number): Costs {
  const out = zero();
  for (const key of COST_KEYS) out[key] = count > 0 ? Math.round((costs[key] / count) * 100) / 100 : 0;
  return out;
}

/** Two snapshots of the same counters and pushes: nothing was counted or pushed in between. */
export function sameSnapshot(a: CostSnapshot, b: CostSnapshot): boolean {
  if (a.series.size !== b.series.size || a.pushTimes.size !== b.pushTimes.size) return false;
  if (a.brokerRecords !== b.brokerRecords) return false;
  for (const [key, series] of a.series) if (b.series.get(key)?.value !== series.value) return false;
  for (const [key, at] of a.pushTimes) if (b.pushTimes.get(key) !== at) return false;
  return true;
}

/** The functions whose work a message causes: every function of serverless.yml but the health check. */
export const pipelineFunctions = (): Set<string> =>
  new Set(
    loadFunctions()
      .map((fn) => fn.name)
      .filter((name) => name !== 'health'),
  );

/** The Kafka-triggered functions (what the bridge invokes). */
const kafkaFunctions = (): Set<string> =>
  new Set(
    loadFunctions()
      .filter((fn) => fn.events.some((event) => 'kafka' in event))
      .map((fn) => fn.name),
  );

/** The /metrics addresses of the running bridges (their Prometheus file_sd targets). */
function bridgeTargets(): string[] {
  if (!fs.existsSync(BRIDGE_TARGETS_DIR)) return [];
  const targets = fs
    .readdirSync(BRIDGE_TARGETS_DIR)
    .filter((file) => /^bridge-\d+\.json$/.test(file))
    .flatMap((file) => {
      try {
        const groups = JSON.parse(fs.readFileSync(path.join(BRIDGE_TARGETS_DIR, file), 'utf8')) as {
          targets: string[];
        }[];
        return groups.flatMap((group) => group.targets);
      } catch {
        return []; // being written or removed
      }
    });
  return [...new Set(targets)];
}

async function scrape(url: string): Promise<Sample[] | undefined> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(5000) });
    return response.ok ? parseExposition(await response.text()) : undefined;
  } catch {
    return undefined;
  }
}

/** Reads the cost counters now: the Pushgateway's function groups, every bridge's /metrics, the topics' offsets. */
export class CostCounters {
  private readonly functions = pipelineFunctions();
  private readonly topics = loadTopics(path.join(ROOT, 'infra/kafka/topics.yaml')).map((topic) => topic.name);

  constructor(private readonly watch: PipelineWatch) {}

  async snapshot(): Promise<CostSnapshot> {
    const [pushed, bridges, brokerRecords] = await Promise.all([
      scrape(`${PUSHGATEWAY}/metrics`),
      Promise.all(
        bridgeTargets().map(async (target) => ({ target, samples: await scrape(`http://${target}/metrics`) })),
      ),
      this.watch.endOffsetSum(this.topics),
    ]);
    if (!pushed) throw new Error(`the Pushgateway (${PUSHGATEWAY}) did not answer`);
    const { series, pushTimes } = functionSeries(pushed, this.functions);
    let read = 0;
    let countsLogLines = false;
    for (const { target, samples } of bridges) {
      if (!samples) continue;
      read++;
      countsLogLines ||= samples.some((sample) => sample.name === 'log_lines_total');
      for (const [key, value] of bridgeSeries(samples, target)) series.set(key, value);
    }
    return { series, pushTimes, bridges: { read, countsLogLines }, brokerRecords };
  }

  /**
   * A snapshot once the counters stand still: nothing counted and no worker pushed for longer than a push interval.
   * A worker pushes what it counted within an interval of its last invocation, so after that quiet window every
   * invocation so far is in the Pushgateway.
   */
  async settled(timeoutMs = 60_000): Promise<CostSnapshot> {
    const quietMs = PUSH_INTERVAL_MS + 1000;
    const deadline = Date.now() + timeoutMs;
    let last = await this.snapshot();
    let since = Date.now();
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      const next = await this.snapshot();
      if (!sameSnapshot(last, next)) {
        last = next;
        since = Date.now();
      } else if (Date.now() - since >= quietMs) {
        return next;
      }
      if (Date.now() > deadline)
        throw new Error(`the cost counters kept changing for ${timeoutMs} ms: is other traffic running?`);
    }
  }

  /** Kafka-triggered invocations among a delta's (to hold against the bridge's own count). */
  kafkaTriggered(delta: CostDelta): number {
    const kafka = kafkaFunctions();
    return Object.entries(delta.byFunction)
      .filter(([fn]) => kafka.has(fn))
      .reduce((sum, [, costs]) => sum + costs.invocations, 0);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Clients of the paths

/** Wakes whoever waits for a condition each time something arrived. */
class Signal {
  private readonly waiters = new Set<() => void>();

  notify(): void {
    for (const check of [...this.waiters]) check();
  }

  async until(label: string, done: () => boolean, timeoutMs: number): Promise<void> {
    if (done()) return;
    await new Promise<void>((resolve, reject) => {
      const check = (): void => {
        if (!done()) return;
        cleanup();
        resolve();
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`${label}: not within ${timeoutMs} ms`));
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
    });
  }
}

interface Frame {
  type: string;
  message_id?: string;
  status?: string;
  code?: string;
  retry_after_ms?: number;
}

/**
 * A user's device on the WebSocket API: records the messages pushed to it, the acks the server answered and the
 * status updates it heard; an acking device acknowledges every new message at once (again when the server could
 * not record it).
 */
export class Device {
  readonly received = new Set<string>();
  readonly acked = new Set<string>();
  readonly statuses = new Map<string, string[]>();
  private readonly signal = new Signal();

  private constructor(
    private readonly socket: WebSocket,
    private readonly acking: boolean,
  ) {
    socket.on('error', () => undefined); // a dropped socket fails the wait for what it should have received
    socket.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as Frame;
      const id = frame.message_id;
      if (!id) return;
      if (frame.type === 'new_message') {
        this.received.add(id);
        if (this.acking) this.ack(id);
      } else if (frame.type === 'acked') {
        this.acked.add(id);
      } else if (frame.type === 'status_update' && frame.status) {
        this.statuses.set(id, [...(this.statuses.get(id) ?? []), frame.status]);
      } else if (frame.type === 'error' && frame.code === 'unavailable') {
        setTimeout(() => this.ack(id), frame.retry_after_ms ?? 1000);
      }
      this.signal.notify();
    });
  }

  static open(user: LoadUser, { ack }: { ack: boolean }): Promise<Device> {
    const socket = new WebSocket(`${WS_URL}?token=${encodeURIComponent(user.token)}`);
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve(new Device(socket, ack)));
      socket.once('error', reject);
    });
  }

  private ack(messageId: string): void {
    if (this.socket.readyState === WebSocket.OPEN)
      this.socket.send(JSON.stringify({ type: 'ack', message_id: messageId }));
  }

  /** Resolves once the server answered this device's ack of the message (DELIVERED is then in Kafka). */
  waitAcked(messageId: string, timeoutMs = 30_000): Promise<void> {
    return this.signal.until(`ack of ${messageId}`, () => this.acked.has(messageId), timeoutMs);
  }

  /** Resolves once the device heard that the message reached `status`. */
  waitStatus(messageId: string, status: string, timeoutMs = 30_000): Promise<void> {
    return this.signal.until(
      `${status} of ${messageId}`,
      () => this.statuses.get(messageId)?.includes(status) ?? false,
      timeoutMs,
    );
  }

  /** Resolves once every one of `messageIds` was pushed to the device. */
  waitReceived(messageIds: string[], timeoutMs = 30_000): Promise<void> {
    return this.signal.until(
      `${messageIds.length} messages pushed`,
      () => messageIds.every((id) => this.received.has(id)),
      timeoutMs,
    );
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.socket.readyState === WebSocket.CLOSED) return resolve();
      this.socket.once('close', () => resolve());
      this.socket.close();
    });
  }
}

/** Follows `status-updates` from now on: every status event of every message, with its source. */
export class StatusFollower {
  readonly events = new Map<string, { status: string; source: string }[]>();
  private readonly signal = new Signal();
  private consumer: Consumer | undefined;

  async start(): Promise<void> {
    const admin = getKafka().admin();
    await admin.connect();
    const ends = await admin.fetchTopicOffsets(TOPICS.statusUpdates);
    await admin.disconnect();
    this.consumer = getKafka().consumer({ groupId: `cost-follower-${crypto.randomUUID()}`, maxWaitTimeInMs: 50 });
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: TOPICS.statusUpdates, fromBeginning: false });
    await this.consumer.run({
      autoCommit: false,
      eachMessage: async ({ message }) => {
        const event = JSON.parse(message.value!.toString()) as StatusEvent;
        const list = this.events.get(event.message_id) ?? [];
        list.push({ status: event.status, source: event.source });
        this.events.set(event.message_id, list);
        this.signal.notify();
      },
    });
    for (const end of ends)
      this.consumer.seek({ topic: TOPICS.statusUpdates, partition: end.partition, offset: end.high });
  }

  /** Resolves once the message's status events satisfy `done`. */
  until(
    messageId: string,
    label: string,
    done: (events: { status: string; source: string }[]) => boolean,
    timeoutMs = 30_000,
  ): Promise<void> {
    return this.signal.until(`${label} of ${messageId}`, () => done(this.events.get(messageId) ?? []), timeoutMs);
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The paths

export const COST_PATHS = ['websocket', 'whatsapp', 'group', 'offline', 'read'] as const;
export type CostPathName = (typeof COST_PATHS)[number];

/** What each path sends, and what one unit of it (a delivery) is. */
export const PATH_DESCRIPTIONS: Record<CostPathName, string> = {
  websocket: 'to a Chat4All user online on WebSocket, who acks (DELIVERED); the sender online',
  whatsapp:
    'to a WhatsApp number; the provider emulator sends sent and delivered receipts (150 and 300 ms later); the sender online',
  group: 'to a group of 10 (sender and 9 members, all online, members ack); one delivery per member',
  offline: 'to a Chat4All user who is offline: stored in the inbox, given on reconnect (checked after measuring)',
  read: 'a read receipt (POST /v1/messages/{id}/read) on a delivered message; the sender online hears READ',
};

const GROUP_MEMBERS = 9;

interface Context {
  client: ApiClient;
  follower: StatusFollower;
  tag: string;
}

/** A path ready to run: `one(i)` sends message i and resolves once it was delivered, with its deliveries. */
interface PathRun {
  /** Before anything is measured: what `count` units need (the read path delivers the messages it will mark read). */
  prepare?(count: number): Promise<void>;
  one(i: number): Promise<number>;
  /** After the measurement: what users rely on that the measurement did not already wait for. */
  verify?(): Promise<void>;
  close(): Promise<void>;
}

async function send(context: Context, from: LoadUser, body: Record<string, unknown>): Promise<string> {
  const response = await context.client.call<{ message_id: string }>('POST', '/v1/messages', {
    headers: from.headers,
    body,
  });
  if (response.status !== 202) throw new Error(`send: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body.message_id;
}

const users = (context: Context, count: number, prefix: string): Promise<LoadUser[]> =>
  Promise.all(Array.from({ length: count }, () => registerUser(context.client, prefix)));

async function closeAll(devices: Device[]): Promise<void> {
  await Promise.all(devices.map((device) => device.close()));
}

const PATHS: Record<CostPathName, (context: Context) => Promise<PathRun>> = {
  async websocket(context) {
    const [sender, recipient] = await users(context, 2, 'cost_ws');
    const [senderDevice, recipientDevice] = await Promise.all([
      Device.open(sender!, { ack: false }),
      Device.open(recipient!, { ack: true }),
    ]);
    return {
      async one(i) {
        const id = await send(context, sender!, { recipient_id: recipient!.id, content: `${context.tag} ws ${i}` });
        await recipientDevice.waitAcked(id);
        await senderDevice.waitStatus(id, 'DELIVERED');
        return 1;
      },
      close: () => closeAll([senderDevice, recipientDevice]),
    };
  },

  async whatsapp(context) {
    const [sender] = await users(context, 1, 'cost_wa');
    const number = newPhoneNumber();
    // Receipts a moment after the send, as a provider sends them: at once, a receipt could overtake the connector's
    // record of the send, and the webhook would then record it itself (more statements, depending on a race).
    await emulator('whatsapp').setWebhooks({
      recipients: { [number]: { order: ['sent', 'delivered'], delaysMs: [150, 300] } },
    });
    const senderDevice = await Device.open(sender!, { ack: false });
    const fromWebhook = (status: string) => (events: { status: string; source: string }[]) =>
      events.some((event) => event.status === status && event.source === 'webhook-whatsapp');
    return {
      async one(i) {
        const id = await send(context, sender!, {
          recipient_id: `whatsapp:${number}`,
          content: `${context.tag} wa ${i}`,
        });
        // Both receipts were received and published (they may arrive in either order), and the sender heard it.
        await context.follower.until(id, 'sent receipt', fromWebhook('SENT'));
        await context.follower.until(id, 'delivered receipt', fromWebhook('DELIVERED'));
        await senderDevice.waitStatus(id, 'DELIVERED');
        return 1;
      },
      close: () => closeAll([senderDevice]),
    };
  },

  async group(context) {
    const [sender, ...members] = await users(context, 1 + GROUP_MEMBERS, 'cost_group');
    const conversationId = `cost-group-${crypto.randomUUID()}`;
    const created = await context.client.call('POST', '/v1/conversations', {
      headers: sender!.headers,
      body: {
        type: 'group',
        name: 'cost budget',
        member_ids: members.map((m) => m.id),
        conversation_id: conversationId,
      },
    });
    if (created.status !== 201) throw new Error(`group: ${created.status} ${JSON.stringify(created.body)}`);
    const senderDevice = await Device.open(sender!, { ack: false });
    const memberDevices = await Promise.all(members.map((member) => Device.open(member, { ack: true })));
    return {
      async one(i) {
        const id = await send(context, sender!, {
          conversation_id: conversationId,
          content: `${context.tag} group ${i}`,
        });
        await Promise.all(memberDevices.map((device) => device.waitAcked(id)));
        await senderDevice.waitStatus(id, 'DELIVERED');
        return memberDevices.length;
      },
      close: () => closeAll([senderDevice, ...memberDevices]),
    };
  },

  async offline(context) {
    const [sender, recipient] = await users(context, 2, 'cost_off');
    const sent: string[] = [];
    return {
      async one(i) {
        sent.push(
          await send(context, sender!, { recipient_id: recipient!.id, content: `${context.tag} offline ${i}` }),
        );
        return 1; // stored for the recipient once the pipeline caught up (the caller waits for that)
      },
      async verify() {
        // What the offline recipient relies on: every message is given on reconnect.
        const device = await Device.open(recipient!, { ack: true });
        try {
          await device.waitReceived(sent);
        } finally {
          await device.close();
        }
      },
      close: async () => undefined,
    };
  },

  async read(context) {
    const [sender, recipient] = await users(context, 2, 'cost_read');
    const [senderDevice, recipientDevice] = await Promise.all([
      Device.open(sender!, { ack: false }),
      Device.open(recipient!, { ack: true }),
    ]);
    const delivered: string[] = [];
    return {
      async prepare(count) {
        for (let i = 0; i < count; i++) {
          const id = await send(context, sender!, { recipient_id: recipient!.id, content: `${context.tag} read ${i}` });
          await recipientDevice.waitAcked(id);
          await senderDevice.waitStatus(id, 'DELIVERED');
          delivered.push(id);
        }
      },
      async one(i) {
        const id = delivered[i]!;
        const read = await context.client.call<{ status: string }>('POST', `/v1/messages/${id}/read`, {
          headers: recipient!.headers,
        });
        if (read.status !== 200 || read.body.status !== 'READ')
          throw new Error(`read: ${read.status} ${JSON.stringify(read.body)}`);
        await senderDevice.waitStatus(id, 'READ');
        return 1;
      },
      close: () => closeAll([senderDevice, recipientDevice]),
    };
  },
};

export interface PathCost {
  path: CostPathName;
  description: string;
  /** Messages sent (read: receipts posted) while measuring. */
  messages: number;
  /** Deliveries those made (a group message: one per member). */
  deliveries: number;
  totals: Costs;
  per_delivery: Costs;
  /** Per delivery, by function (only those that did anything). */
  by_function: Record<string, Costs>;
  /** Invocations the bridge made, and the Kafka-triggered invocations the functions counted: the same if complete. */
  bridge_invocations: number;
  kafka_triggered_invocations: number;
  /** Log lines the bridge wrote, per delivery (null when its /metrics does not count them). */
  bridge_log_lines_per_delivery: number | null;
  /** Records the topics received by their end offsets: the same as kafka_records if every producer is counted. */
  broker_records: number;
}

export interface MeasureOptions {
  /** Messages (read receipts) measured per path; a group message counts once however many members it reaches. */
  messages?: Partial<Record<CostPathName, number>>;
  /** Sent first and not measured: the first message of a conversation creates it, the first of a process warms it. */
  warmup?: number;
  paths?: readonly CostPathName[];
  log?: (line: string) => void;
}

export const DEFAULT_MESSAGES: Record<CostPathName, number> = {
  websocket: 10,
  whatsapp: 10,
  group: 4,
  offline: 10,
  read: 10,
};

async function measurePath(
  name: CostPathName,
  context: Context,
  counters: CostCounters,
  watch: PipelineWatch,
  { messages, warmup }: { messages: number; warmup: number },
): Promise<PathCost> {
  const run = await PATHS[name](context);
  try {
    await run.prepare?.(warmup + messages);
    for (let i = 0; i < warmup; i++) await run.one(i);
    await watch.settle();
    const before = await counters.settled();
    let deliveries = 0;
    for (let i = warmup; i < warmup + messages; i++) {
      deliveries += await run.one(i);
      await watch.settle(); // every consumer group caught up: the whole cascade of this message is done
    }
    const after = await counters.settled();
    await run.verify?.();
    const delta = costDelta(before, after);
    return {
      path: name,
      description: PATH_DESCRIPTIONS[name],
      messages,
      deliveries,
      totals: delta.total,
      per_delivery: perUnit(delta.total, deliveries),
      by_function: Object.fromEntries(
        Object.entries(delta.byFunction)
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([fn, costs]) => [fn, perUnit(costs, deliveries)]),
      ),
      bridge_invocations: delta.bridgeInvocations,
      kafka_triggered_invocations: counters.kafkaTriggered(delta),
      bridge_log_lines_per_delivery:
        delta.bridgeLogLines === null ? null : Math.round((delta.bridgeLogLines / deliveries) * 100) / 100,
      broker_records: delta.brokerRecords,
    };
  } finally {
    await run.close();
  }
}

/**
 * Measures each path in turn on the running stack: fixtures and warm-up first, then, once every consumer group
 * caught up and the counters stood still, the measured messages one at a time, each followed until it was delivered
 * and the pipeline caught up again (so batching, which varies with timing, never makes a path look cheaper than one
 * message on its own costs), then the counters again.
 */
export async function measureCostPaths(options: MeasureOptions = {}): Promise<PathCost[]> {
  const log = options.log ?? (() => undefined);
  const client = new ApiClient(undefined, 16);
  const watch = new PipelineWatch();
  const follower = new StatusFollower();
  const counters = new CostCounters(watch);
  const results: PathCost[] = [];
  try {
    await watch.start();
    const foreign = await watch.foreignConsumers();
    if (foreign.length > 0)
      throw new Error(
        `other consumers process the pipeline's topics too (${foreign.join(', ')}: a LocalStack deployment's event ` +
          'source mappings?); their work would be counted as this stack’s. Remove them first (npm run remove:local).',
      );
    await follower.start();
    await watch.settle(120_000); // earlier work (other tests, a bench step) drained first
    const context: Context = { client, follower, tag: `cost-${crypto.randomBytes(3).toString('hex')}` };
    for (const name of options.paths ?? COST_PATHS) {
      const messages = options.messages?.[name] ?? DEFAULT_MESSAGES[name];
      log(`cost of the ${name} path: ${messages} messages`);
      const result = await measurePath(name, context, counters, watch, { messages, warmup: options.warmup ?? 2 });
      log(`${name}: ${JSON.stringify(result.per_delivery)} per delivery`);
      results.push(result);
    }
    return results;
  } finally {
    await follower.stop().catch(() => undefined);
    await watch.stop();
    await client.close();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Budgets and the table

/** The most a path may cost per delivery. */
export type CostBudget = Pick<Costs, 'cassandra_statements' | 'kafka_records' | 'invocations' | 'log_lines'>;

/** What in `measured` exceeds `budget`, one line each (empty when within). */
export function overBudget(measured: Costs, budget: CostBudget): string[] {
  return (Object.keys(budget) as (keyof CostBudget)[])
    .filter((key) => measured[key] > budget[key])
    .map((key) => `${key}: ${measured[key]} per delivery, budget ${budget[key]}`);
}

/** The Markdown table of per-delivery costs the test prints and the bench reports. */
export function costTable(results: PathCost[]): string {
  const header =
    '| path | messages | deliveries | Cassandra statements | Cassandra requests | Kafka records | invocations | log lines | bridge log lines |\n' +
    '|---|---|---|---|---|---|---|---|---|\n';
  return (
    header +
    results
      .map((r) => {
        const c = r.per_delivery;
        return `| ${r.path} | ${r.messages} | ${r.deliveries} | ${c.cassandra_statements} | ${c.cassandra_requests} | ${c.kafka_records} | ${c.invocations} | ${c.log_lines} | ${r.bridge_log_lines_per_delivery ?? 'not counted'} |`;
      })
      .join('\n') +
    '\n'
  );
}
