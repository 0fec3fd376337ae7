import { loadFunctions } from '../functions.js';

/** A `kafka` event of serverless.yml, as the bridge runs it. */
export interface KafkaTrigger {
  /** serverless.yml's name for the function, for logs and metrics. */
  name: string;
  /** The name serverless-offline's Lambda endpoint knows it by: <service>-<stage>-<name>. */
  lambdaName: string;
  topic: string;
  groupId: string;
  batchSize: number;
  maximumBatchingWindowMs: number;
  fromBeginning: boolean;
}

interface KafkaEvent {
  topic: string;
  consumerGroupId?: string;
  batchSize?: number;
  maximumBatchingWindow?: number;
  startingPosition?: 'TRIM_HORIZON' | 'LATEST' | 'AT_TIMESTAMP';
  enabled?: boolean;
}

export function loadTriggers({ service = 'chat4all', stage = 'local' } = {}): KafkaTrigger[] {
  return loadFunctions().flatMap((fn) =>
    fn.events
      .map((event) => event.kafka as KafkaEvent | undefined)
      .filter((kafka): kafka is KafkaEvent => kafka !== undefined && kafka.enabled !== false)
      .map((kafka) => ({
        name: fn.name,
        lambdaName: `${service}-${stage}-${fn.name}`,
        topic: kafka.topic,
        groupId: kafka.consumerGroupId ?? `${service}-${fn.name}`,
        // AWS's defaults for self-managed Kafka: 100 records, 500 ms window.
        batchSize: kafka.batchSize ?? 100,
        maximumBatchingWindowMs: (kafka.maximumBatchingWindow ?? 0.5) * 1000,
        fromBeginning: (kafka.startingPosition ?? 'TRIM_HORIZON') === 'TRIM_HORIZON',
      })),
  );
}
