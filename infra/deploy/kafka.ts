/**
 * The Kafka triggers of the deployed stage, as its driver (the end-to-end test, `npm run deploy:local -- kafka …`)
 * switches them. The stage's mappings consume the same local topics as serverless-offline's event-source bridge, in
 * groups of their own (`<group>.local`, infra/deploy/serverless-plugin.mjs): while both run, each message is handled
 * by both. So the stage's consumers run while something drives the stage, and they skip what was produced while they
 * were off (the bridge handled it) instead of replaying it.
 */
import { GetEventSourceMappingCommand, LambdaClient, UpdateEventSourceMappingCommand } from '@aws-sdk/client-lambda';
import { Kafka, logLevel } from 'kafkajs';
import { ENDPOINT, REGION } from './localstack.js';

export interface StageMapping {
  uuid: string;
  topic: string;
  consumerGroup: string;
}

const lambdaClient = () =>
  new LambdaClient({
    endpoint: ENDPOINT,
    region: REGION,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 2,
  });

const kafka = () =>
  new Kafka({
    clientId: 'chat4all-deploy',
    brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
    logLevel: logLevel.NOTHING,
  });

async function until(label: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`${label}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function setEnabled(lambda: LambdaClient, mappings: StageMapping[], enabled: boolean): Promise<void> {
  const wanted = enabled ? 'Enabled' : 'Disabled';
  const state = async (uuid: string) => (await lambda.send(new GetEventSourceMappingCommand({ UUID: uuid }))).State;
  await Promise.all(
    mappings.map(async (mapping) => {
      if ((await state(mapping.uuid)) !== wanted)
        await lambda.send(new UpdateEventSourceMappingCommand({ UUID: mapping.uuid, Enabled: enabled }));
    }),
  );
  await until(
    `event source mappings ${wanted}`,
    async () => (await Promise.all(mappings.map((m) => state(m.uuid)))).every((s) => s === wanted),
    60_000,
  );
}

/** Turns the stage's Kafka triggers off; their consumers leave their groups. */
export async function stopStageConsumers(mappings: StageMapping[]): Promise<void> {
  const lambda = lambdaClient();
  try {
    await setEnabled(lambda, mappings, false);
  } finally {
    lambda.destroy();
  }
}

/**
 * Turns the stage's Kafka triggers on, each group starting at the current end of its topic (what was produced while
 * they were off is skipped), and resolves once every group is Stable with its partitions assigned: a record
 * produced from then on is consumed by the stage.
 */
export async function startStageConsumers(mappings: StageMapping[], { skipBacklog = true } = {}): Promise<void> {
  const lambda = lambdaClient();
  const admin = kafka().admin();
  await admin.connect();
  try {
    if (skipBacklog) {
      await setEnabled(lambda, mappings, false);
      const groups = [...new Set(mappings.map((m) => m.consumerGroup))];
      await until(
        'stage consumer groups empty',
        async () => (await admin.describeGroups(groups)).groups.every((g) => g.state === 'Empty' || g.state === 'Dead'),
        60_000,
      );
      for (const mapping of mappings)
        await admin.resetOffsets({ groupId: mapping.consumerGroup, topic: mapping.topic, earliest: false });
    }
    await setEnabled(lambda, mappings, true);
    const groups = [...new Set(mappings.map((m) => m.consumerGroup))];
    await until(
      'stage consumer groups joined',
      async () =>
        (await admin.describeGroups(groups)).groups.every(
          (g) => g.state === 'Stable' && g.members.length > 0 && g.members.every((m) => m.memberAssignment.length > 8),
        ),
      90_000,
    );
  } finally {
    await admin.disconnect();
    lambda.destroy();
  }
}
