import fs from 'node:fs';
import type { Admin } from 'kafkajs';
import YAML from 'yaml';

export interface TopicSpec {
  name: string;
  partitions: number;
  config: Record<string, string>;
}

interface TopicsFile {
  defaults: { partitions: number; config?: Record<string, string> };
  topics: { name: string; partitions?: number; config?: Record<string, string> }[];
}

/** The topics declared in infra/kafka/topics.yaml, with defaults applied. */
export function loadTopics(file: string): TopicSpec[] {
  const parsed = YAML.parse(fs.readFileSync(file, 'utf8')) as TopicsFile;
  return parsed.topics.map((topic) => ({
    name: topic.name,
    partitions: topic.partitions ?? parsed.defaults.partitions,
    config: { ...parsed.defaults.config, ...topic.config },
  }));
}

/** Creates missing topics and grows partition counts; returns what changed. */
export async function ensureTopics(admin: Admin, specs: TopicSpec[]): Promise<string[]> {
  const existing = new Set(await admin.listTopics());
  const changes: string[] = [];
  const missing = specs.filter((spec) => !existing.has(spec.name));
  if (missing.length > 0) {
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((spec) => ({
        topic: spec.name,
        numPartitions: spec.partitions,
        replicationFactor: 1,
        configEntries: Object.entries(spec.config).map(([name, value]) => ({ name, value })),
      })),
    });
    changes.push(...missing.map((spec) => `created ${spec.name} (${spec.partitions} partitions)`));
  }
  const present = specs.filter((spec) => existing.has(spec.name));
  if (present.length > 0) {
    const metadata = await admin.fetchTopicMetadata({ topics: present.map((spec) => spec.name) });
    for (const spec of present) {
      const current = metadata.topics.find((topic) => topic.name === spec.name)?.partitions.length ?? 0;
      if (current < spec.partitions) {
        await admin.createPartitions({ topicPartitions: [{ topic: spec.name, count: spec.partitions }] });
        changes.push(`grew ${spec.name} from ${current} to ${spec.partitions} partitions`);
      }
    }
  }
  return changes;
}
