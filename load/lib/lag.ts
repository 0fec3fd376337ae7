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
