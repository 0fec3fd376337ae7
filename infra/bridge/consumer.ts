import type { Consumer, EachBatchPayload, Kafka, KafkaMessage, Producer } from 'kafkajs';
import type { Logger } from 'pino';
import { deadLetterHeaders, RECORD_HEADERS } from '@chat4all/shared/contracts/headers.js';
import { deadLetterTopicOf } from '@chat4all/shared/contracts/topics.js';
import { RetryLaterError } from '@chat4all/shared/kafka/retry-later.js';
import { fullJitterDelay, type BackoffPolicy } from '@chat4all/shared/resilience/backoff.js';
import { withTimeout } from '@chat4all/shared/timeout.js';
import { buildEvent } from './event.js';
import { FunctionError, type Invoker } from './invoker.js';
import { GroupLiveness } from './liveness.js';
import { membershipLost } from './membership.js';
import { bridgeMetrics } from './metrics.js';
import type { KafkaTrigger } from './triggers.js';

export interface RetryPolicy extends BackoffPolicy {
  /** Failed invocations of one batch before its records go to the dead-letter topic. */
  maxAttempts: number;
}

export const DEFAULT_RETRY: RetryPolicy = {
  maxAttempts: Number(process.env.BRIDGE_MAX_ATTEMPTS ?? 10),
  baseDelayMs: 200,
  maxDelayMs: 10_000,
};

/** A member that has not heartbeated for this long is dropped from its group by the coordinator. */
export const SESSION_TIMEOUT_MS = 30_000;

/** How long a replaced consumer may take to finish its batch and leave before it is abandoned. */
const REPLACED_CONSUMER_GRACE_MS = 10_000;

export type RecoveryReason = 'crash' | 'no_membership';

/** The longest a paused partition waits for a function that asked to be invoked later (e.g. a long Retry-After). */
const MAX_RETRY_LATER_MS = 60_000;

/** The correlation ids a chunk carries (each log line names the messages it is about). */
const correlationIds = (chunk: KafkaMessage[]): string[] => [
  ...new Set(
    chunk
      .map((message) => message.headers?.[RECORD_HEADERS.correlationId]?.toString())
      .filter((id): id is string => Boolean(id)),
  ),
];

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export interface ConsumerDeps {
  kafka: Kafka;
  brokers: string[];
  invoker: Invoker;
  producer: Producer;
  log: Logger;
  retry?: RetryPolicy;
  partitionsConsumedConcurrently?: number;
}

/**
 * One consumer group per function, like an event source mapping: each fetched batch of a
 * partition is cut into chunks of batchSize, each chunk is one invocation, and the offset is
 * committed only after that invocation succeeded. Partitions run in parallel; the records of
 * one partition are invoked strictly in order.
 *
 * The consumer never stays gone while the process lives: a crash kafkajs does not restart from (CRASH with
 * restart=false) replaces the kafkajs consumer with a new one, which joins the group again and resumes from the
 * committed offsets; so does recover(), which the watchdog calls when the coordinator has not listed this consumer
 * for too long.
 */
export class TriggerConsumer {
  readonly liveness: GroupLiveness;
  private consumer: Consumer;
  private readonly retry: RetryPolicy;
  private readonly resumeTimers = new Set<NodeJS.Timeout>();
  private recovering: Promise<void> | undefined;
  private stopping = false;

  constructor(
    readonly trigger: KafkaTrigger,
    private readonly deps: ConsumerDeps,
  ) {
    this.retry = deps.retry ?? DEFAULT_RETRY;
    this.liveness = new GroupLiveness(trigger);
    // Counters start at zero, so rate() and increase() answer 0 instead of nothing before the first event.
    bridgeMetrics.retries.inc({ function: trigger.name }, 0);
    bridgeMetrics.deadLetters.inc({ function: trigger.name, topic: deadLetterTopicOf(trigger.topic) }, 0);
    this.consumer = this.createConsumer();
  }

  async start(): Promise<void> {
    await this.run(this.consumer);
    this.deps.log.info(this.logContext(), 'consuming');
  }

  /**
   * Replaces the kafkajs consumer with a new one in the same group: it joins again and resumes from the committed
   * offsets. The old one is given a moment to finish its batch and leave; its commits are refused by then anyway, since
   * the coordinator no longer counts it as a member. Concurrent calls share one replacement.
   */
  recover(reason: RecoveryReason): Promise<void> {
    this.recovering ??= (async () => {
      this.liveness.recovering(reason);
      this.deps.log.warn({ ...this.logContext(), reason, lag: this.liveness.lag }, 'replacing the consumer');
      const replaced = this.consumer;
      this.consumer = this.createConsumer(); // from here on, the replaced consumer's events are ignored
      await withTimeout(replaced.disconnect(), REPLACED_CONSUMER_GRACE_MS, 'replaced consumer').catch((error: Error) =>
        this.deps.log.warn({ ...this.logContext(), err: error.message }, 'replaced consumer abandoned'),
      );
      if (this.stopping) return;
      try {
        await this.run(this.consumer);
      } catch (error) {
        // The watchdog tries again once the membership has been gone for its grace period.
        this.deps.log.error({ ...this.logContext(), err: (error as Error).message }, 'replacement did not start');
      }
    })().finally(() => {
      this.recovering = undefined;
    });
    return this.recovering;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    for (const timer of this.resumeTimers) clearTimeout(timer);
    await this.recovering;
    await this.consumer.disconnect();
  }

  private logContext() {
    return { function: this.trigger.name, topic: this.trigger.topic, group: this.trigger.groupId };
  }

  private createConsumer(): Consumer {
    const consumer = this.deps.kafka.consumer({
      groupId: this.trigger.groupId,
      maxWaitTimeInMs: Math.max(10, this.trigger.maximumBatchingWindowMs),
      sessionTimeout: SESSION_TIMEOUT_MS,
      heartbeatInterval: 3_000,
      retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 300, maxRetryTime: 5_000 },
    });
    const isCurrent = () => consumer === this.consumer;
    const { GROUP_JOIN, FETCH, STOP, CRASH } = consumer.events;
    consumer.on(GROUP_JOIN, ({ payload }) => {
      if (!isCurrent()) return;
      this.liveness.joined(payload.memberId);
      this.deps.log.info({ ...this.logContext(), member_id: payload.memberId }, 'joined the group');
    });
    consumer.on(FETCH, () => {
      if (isCurrent()) this.liveness.fetched();
    });
    consumer.on(STOP, () => {
      if (!isCurrent() || this.stopping) return;
      this.liveness.left();
      this.deps.log.warn(this.logContext(), 'consumer stopped');
    });
    consumer.on(CRASH, ({ payload }) => {
      if (!isCurrent() || this.stopping) return;
      this.liveness.left();
      const context = { ...this.logContext(), err: payload.error.message, restart: payload.restart };
      // restart=true: kafkajs starts this consumer again by itself (and the watchdog checks that it rejoined).
      this.deps.log.error(context, payload.restart ? 'consumer crashed; kafkajs restarts it' : 'consumer crashed');
      if (!payload.restart) void this.recover('crash');
    });
    return consumer;
  }

  private async run(consumer: Consumer): Promise<void> {
    await consumer.connect();
    await consumer.subscribe({ topic: this.trigger.topic, fromBeginning: this.trigger.fromBeginning });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.deps.partitionsConsumedConcurrently ?? 6,
      eachBatch: (payload) => this.handleBatch(consumer, payload),
    });
  }

  private async handleBatch(
    consumer: Consumer,
    { batch, heartbeat, isRunning, isStale, resolveOffset, pause }: EachBatchPayload,
  ): Promise<void> {
    const { topic, partition } = batch;
    for (let start = 0; start < batch.messages.length; start += this.trigger.batchSize) {
      if (!isRunning() || isStale()) return; // rebalanced away: the new owner resumes from the committed offset
      const chunk = batch.messages.slice(start, start + this.trigger.batchSize);
      const delivered = await this.invokeWithRetries(topic, partition, chunk, heartbeat, isRunning);
      if (delivered instanceof RetryLaterError)
        return this.retryLater(consumer, topic, partition, chunk[0]!.offset, delivered, pause);
      if (!delivered) return;
      const last = chunk[chunk.length - 1]!.offset;
      resolveOffset(last);
      if (!(await this.commit(consumer, topic, partition, last, isRunning))) return;
      await heartbeat();
    }
  }

  /**
   * Commits the offset after `last`; false when the consumer is stopping. When the coordinator answers that this
   * consumer is no longer a member (a stall longer than the session timeout, a rebalance without it), throws the
   * coordinator's own error, which makes kafkajs's runner join the group again (see membership.ts): the chunk is
   * then invoked again from the committed offset, by this consumer or the partition's new owner.
   */
  private async commit(
    consumer: Consumer,
    topic: string,
    partition: number,
    last: string,
    isRunning: () => boolean,
  ): Promise<boolean> {
    try {
      await consumer.commitOffsets([{ topic, partition, offset: (BigInt(last) + 1n).toString() }]);
      this.liveness.committed();
      return true;
    } catch (error) {
      if (!isRunning()) return false;
      const lost = membershipLost(error);
      if (!lost) throw error;
      this.deps.log.warn(
        { ...this.logContext(), partition, offset: last, reason: (lost as { type?: string }).type },
        'membership lost before the commit: rejoining the group',
      );
      throw lost;
    }
  }

  /**
   * The function asked to be invoked later (RetryLaterError: a connector whose circuit is open). Not a failure, and
   * no reason to hold the other partitions, which kafkajs fetches together with this one: the partition is paused,
   * rewound to the chunk, and resumed after the delay; the chunk then comes again, with what arrived meanwhile.
   */
  private retryLater(
    consumer: Consumer,
    topic: string,
    partition: number,
    offset: string,
    error: RetryLaterError,
    pause: () => () => void,
  ) {
    const resume = pause();
    consumer.seek({ topic, partition, offset });
    const timer = setTimeout(
      () => {
        this.resumeTimers.delete(timer);
        resume();
      },
      Math.min(error.delayMs, MAX_RETRY_LATER_MS),
    );
    this.resumeTimers.add(timer);
  }

  /**
   * True once the chunk was invoked successfully or dead-lettered; false when the consumer is stopping; the
   * RetryLaterError when the function asked to be invoked later.
   */
  private async invokeWithRetries(
    topic: string,
    partition: number,
    chunk: KafkaMessage[],
    heartbeat: () => Promise<void>,
    isRunning: () => boolean,
  ): Promise<boolean | RetryLaterError> {
    const event = buildEvent(this.deps.brokers, topic, partition, chunk);
    const context = { function: this.trigger.name, topic, partition, from: chunk[0]!.offset, records: chunk.length };
    // Only function errors count toward the dead-letter topic (not an unreachable Lambda endpoint).
    for (let attempt = 1, failures = 0; ; attempt++) {
      const labels = { function: this.trigger.name };
      const started = performance.now();
      try {
        await this.deps.invoker.invoke(this.trigger.lambdaName, event);
        bridgeMetrics.invocations.inc({ ...labels, outcome: 'success' });
        bridgeMetrics.invokeDuration.observe(labels, (performance.now() - started) / 1000);
        bridgeMetrics.batchSize.observe(labels, chunk.length);
        this.deps.log.info({ ...context, correlation_ids: correlationIds(chunk) }, 'invoked');
        return true;
      } catch (error) {
        bridgeMetrics.invocations.inc({ ...labels, outcome: 'error' });
        if (error instanceof RetryLaterError) {
          this.deps.log.info({ ...context, retry_in_ms: error.delayMs, reason: error.message }, 'invoke later');
          return error;
        }
        const isFunctionError = error instanceof FunctionError;
        if (isFunctionError) failures++;
        if (isFunctionError && failures >= this.retry.maxAttempts) {
          await this.deadLetter(topic, partition, chunk, (error as Error).message);
          bridgeMetrics.deadLetters.inc({ ...labels, topic: deadLetterTopicOf(topic) }, chunk.length);
          this.deps.log.error({ ...context, attempt, err: (error as Error).message }, 'dead-lettered after retries');
          return true;
        }
        bridgeMetrics.retries.inc(labels);
        const delay = fullJitterDelay(isFunctionError ? failures : attempt, this.retry);
        this.deps.log.warn({ ...context, attempt, retry_in_ms: delay, err: (error as Error).message }, 'invoke failed');
        await sleep(delay);
        if (!isRunning()) return false;
        await heartbeat().catch(() => undefined);
      }
    }
  }

  private async deadLetter(topic: string, partition: number, chunk: KafkaMessage[], reason: string): Promise<void> {
    await this.deps.producer.send({
      topic: deadLetterTopicOf(topic),
      acks: -1,
      messages: chunk.map((message) => ({
        key: message.key,
        value: message.value,
        headers: {
          ...message.headers,
          ...deadLetterHeaders({
            reason,
            functionName: this.trigger.name,
            sourceTopic: topic,
            sourcePartition: partition,
            sourceOffset: message.offset,
            at: new Date(),
          }),
        },
      })),
    });
  }
}
