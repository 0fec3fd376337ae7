import { getKafka } from '@chat4all/shared/clients/kafka.js';
import { loadTriggers } from '../../infra/bridge/triggers.js';

/** Records waiting for a consumer group on a topic (end offsets minus committed offsets). */
export async function groupLag(groupId: string, topic: string): Promise<number> {
  const admin = getKafka().admin();
  await admin.connect();
  try {
    const [committed, ends] = await Promise.all([
      admin.fetchOffsets({ groupId, topics: [topic] }),
      admin.fetchTopicOffsets(topic),
    ]);
    const byPartition = new Map((committed[0]?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
    return ends.reduce((sum, end) => {
      const at = byPartition.get(end.partition) ?? -1;
      return sum + Math.max(0, Number(end.high) - (at >= 0 ? at : Number(end.low)));
    }, 0);
  } finally {
    await admin.disconnect();
  }
}

/** Records waiting for any Kafka-triggered function (every consumer group of serverless.yml on its topic). */
export async function pipelineLag(): Promise<number> {
  const lags = await Promise.all(loadTriggers().map((trigger) => groupLag(trigger.groupId, trigger.topic)));
  return lags.reduce((sum, lag) => sum + lag, 0);
}

/**
 * The pipeline's backlog read over one admin connection (pipelineLag() opens one per group and call): for readiness
 * checks that ask many times in a row, such as "has every consumer group caught up after this message?".
 */
export class PipelineWatch {
  private readonly admin = getKafka().admin();
  private readonly triggers = loadTriggers();
  private connected = false;

  async start(): Promise<void> {
    if (this.connected) return;
    await this.admin.connect();
    this.connected = true;
  }

  /** Records waiting for any Kafka-triggered function, summed over its consumer groups. */
  async lag(): Promise<number> {
    await this.start();
    const topics = [...new Set(this.triggers.map((trigger) => trigger.topic))];
    const ends = new Map(
      await Promise.all(topics.map(async (topic) => [topic, await this.admin.fetchTopicOffsets(topic)] as const)),
    );
    const lags = await Promise.all(
      this.triggers.map(async (trigger) => {
        const [committed] = await this.admin.fetchOffsets({ groupId: trigger.groupId, topics: [trigger.topic] });
        const at = new Map((committed?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
        return (ends.get(trigger.topic) ?? []).reduce((sum, end) => {
          const from = at.get(end.partition) ?? -1;
          return sum + Math.max(0, Number(end.high) - (from >= 0 ? from : Number(end.low)));
        }, 0);
      }),
    );
    return lags.reduce((sum, lag) => sum + lag, 0);
  }

  /** Resolves once every consumer group has caught up (no record waits); rejects after `timeoutMs`. */
  async settle(timeoutMs = 60_000, intervalMs = 50): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const lag = await this.lag();
      if (lag === 0) return;
      if (Date.now() > deadline) throw new Error(`the pipeline still has ${lag} records waiting after ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }

  /**
   * Consumer groups other than the bridge's that process the pipeline's topics now (stable, with members, named like
   * the pipeline's own: `chat4all-…`), such as the event source mappings of a LocalStack deployment of the same
   * functions. Their work doubles the pipeline's: a cost measurement would count it.
   */
  async foreignConsumers(): Promise<string[]> {
    await this.start();
    const own = new Set(this.triggers.map((trigger) => trigger.groupId));
    const { groups } = await this.admin.listGroups();
    const candidates = groups.map((group) => group.groupId).filter((id) => id.startsWith('chat4all') && !own.has(id));
    if (candidates.length === 0) return [];
    const described = await this.admin.describeGroups(candidates);
    return described.groups
      .filter((group) => group.state === 'Stable' && group.members.length > 0)
      .map((group) => group.groupId);
  }

  /** The sum of the end offsets of `topics`: how many records they ever received (their deltas count produces). */
  async endOffsetSum(topics: string[]): Promise<number> {
    await this.start();
    const all = await Promise.all(topics.map((topic) => this.admin.fetchTopicOffsets(topic)));
    return all.flat().reduce((sum, end) => sum + Number(end.high), 0);
  }

  async stop(): Promise<void> {
    if (this.connected) await this.admin.disconnect().catch(() => undefined);
    this.connected = false;
  }
}
