/**
 * npm run invoke's samples stay true: every function of serverless.yml has its events/<function>.json, its Kafka
 * samples hold records of their topic's contract, and each sample, invoked on serverless-offline (the Lambda Invoke
 * endpoint npm start and npm test run) and on the deployed stage `local` in LocalStack (deploy.test.ts, which sorts
 * before this file, deploys it), answers as EXPECTED says: an HTTP status of its set, or, for a Kafka-triggered
 * function, a batch handled without error. The samples are made to be invoked again and again on a shared stack:
 * fresh ids, random resources where a 404 is the answer, the emulators' numbers for what a connector sends.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import type * as z from 'zod/mini';
import {
  acceptedMessageSchema,
  notificationSchema,
  outboundMessageSchema,
  statusEventSchema,
} from '@chat4all/shared/contracts/records.js';
import { TOPICS } from '@chat4all/shared/contracts/topics.js';
import { checkRecordValue } from '@chat4all/shared/contracts/validate.js';
import { config } from '@chat4all/shared/config.js';
import { decodeRecords, type SelfManagedKafkaEvent } from '@chat4all/shared/kafka/event.js';
import { ENDPOINT, REGION, STAGE, STAGE_EMULATORS } from '../../infra/deploy/localstack.js';
import type { Emulator, Received } from '../../infra/emulators/common.js';
import { textsOf } from '../../infra/emulators/control.js';
import { instagramEmulator } from '../../infra/emulators/instagram.js';
import { whatsappEmulator } from '../../infra/emulators/whatsapp.js';
import { loadFunctions } from '../../infra/functions.js';
import { eventFile, invoke, prepareEvent, type Invocation, type Target } from '../../infra/invoke.js';

const BATCH = 'a Kafka batch handled without error';
type Expected = readonly number[] | typeof BATCH;

/** What each function's sample answers, on either target. */
const EXPECTED: Record<string, Expected> = {
  health: [200],
  authRegister: [201], // a fresh username each time
  authToken: [200], // user_a
  authJwks: [200],
  conversationsCreate: [201], // a new group of user_a and user_b
  conversationsList: [200],
  conversationsGet: [404], // a random conversation id
  conversationsAddMembers: [404], // a random conversation id
  conversationsRemoveMember: [404], // a random conversation id
  conversationsPromoteAdmin: [404], // a random conversation id
  conversationsHistory: [404], // a random conversation id
  messagesSend: [202], // to the WhatsApp emulator's +5511999990001
  messagesGet: [404], // a random message id
  messagesRead: [404], // a random message id
  router: BATCH, // a fresh message to the WhatsApp emulator's +5511999990001
  statusApply: BATCH, // DELIVERED of a random message
  realtimeConnect: [200], // invoke_ws, a user of the samples' own (registered on first use) that nobody writes to
  realtimeDisconnect: [200], // a random connection id
  realtimeMessage: [200], // ping (answered pong)
  realtimeNotify: BATCH, // a status update for a random user (no connection: nothing pushed)
  filesCreate: [404], // in a random conversation
  filesComplete: [404], // a random file id
  filesGet: [404], // a random file id
  filesDownload: [404], // a random file id
  connectorWhatsapp: BATCH, // a fresh message to the emulator's +5511999990001
  connectorInstagram: BATCH, // a fresh message to the emulator's @chat4all_invoke
  webhooksWhatsapp: [200], // a receipt for an unknown, old provider id: acknowledged and ignored
  webhooksInstagram: [200], // a read receipt for an unknown, old provider id: acknowledged and ignored
  identitiesLink: [200, 201], // instagram:@chat4all_invoke_sample: 201 the first time on a stack, then 200 (already yours)
  identitiesList: [200],
  identitiesUnlink: [404], // instagram:@chat4all_invoke_unlinked, never linked
};

/** The contract of each topic's records (layers/shared/src/contracts). */
const SCHEMAS: Record<string, z.ZodMiniType> = {
  [TOPICS.messages]: acceptedMessageSchema,
  [TOPICS.statusUpdates]: statusEventSchema,
  [TOPICS.notifications]: notificationSchema,
  [TOPICS.whatsappOutbound]: outboundMessageSchema,
  [TOPICS.instagramOutbound]: outboundMessageSchema,
};

const functions = loadFunctions();
const topicOf = (events: Record<string, unknown>[]): string | undefined =>
  events.map((event) => (event.kafka as { topic?: string } | undefined)?.topic).find(Boolean);

describe('events/: a sample per function of serverless.yml', () => {
  it('has a sample and an expected answer for every function, Kafka-triggered ones as such', () => {
    assert.deepEqual(
      Object.keys(EXPECTED).sort(),
      functions.map((fn) => fn.name).sort(),
      'EXPECTED names every function of serverless.yml',
    );
    for (const fn of functions) {
      assert.ok(fs.existsSync(eventFile(fn.name)), `events/${fn.name}.json is missing`);
      assert.equal(EXPECTED[fn.name] === BATCH, topicOf(fn.events) !== undefined, `${fn.name}: Kafka-triggered?`);
    }
  });

  it("holds Kafka records of the function's topic, valid against the topic's contract once filled in", async () => {
    for (const fn of functions) {
      const topic = topicOf(fn.events);
      if (!topic) continue;
      // No token placeholder in a Kafka sample: filling it in calls no function.
      const event = (await prepareEvent(eventFile(fn.name), 'offline')) as SelfManagedKafkaEvent;
      assert.equal(event.eventSource, 'SelfManagedKafka', fn.name);
      const records = decodeRecords(event);
      assert.ok(records.length > 0, `${fn.name}: no record`);
      for (const record of records) {
        assert.equal(record.topic, topic, `${fn.name}: a record of ${record.topic}`);
        assert.doesNotMatch(record.raw, /\{\{/, `${fn.name}: a placeholder left in ${record.raw}`);
        const checked = checkRecordValue(SCHEMAS[topic]!, record.value);
        assert.ok(checked.ok, `${fn.name}: ${checked.ok ? '' : checked.reason}`);
        assert.match(record.headers.correlation_id ?? '', /^[0-9a-f-]{36}$/, `${fn.name}: correlation_id header`);
      }
    }
  });
});

/** Why the stage in LocalStack cannot run the samples, or undefined when it can (the probe of deploy.test.ts). */
async function stageUnavailable(): Promise<string | undefined> {
  const lambda = new LambdaClient({
    endpoint: ENDPOINT,
    region: REGION,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
  try {
    const probe = await lambda.send(
      new InvokeCommand({ FunctionName: `chat4all-${STAGE}-health`, Payload: JSON.stringify({}) }),
    );
    const answer = Buffer.from(probe.Payload ?? []).toString();
    // A LocalStack started before its plugin had the host-process executor answers every invocation with why not.
    if (probe.FunctionError && /no-docker|cannot run here/.test(answer))
      return `this LocalStack cannot run functions (started before the host-process executor; restart the stack): ${answer.slice(0, 200)}`;
    return undefined;
  } catch (error) {
    if ((error as Error).name === 'ResourceNotFoundException')
      return `stage ${STAGE} is not deployed to LocalStack (npm run deploy:local; deploy.test.ts deploys it under npm test)`;
    throw error;
  } finally {
    lambda.destroy();
  }
}

/**
 * The stage's connectors call the stage's own emulators (STAGE_EMULATORS, apart from serverless-offline's), which
 * only deploy.test.ts's end-to-end test runs: started here for the connector samples unless they already answer,
 * without receipts (so nothing they would send outlives this file), as deploy.test.ts starts them.
 */
async function startStageEmulators(): Promise<Emulator[]> {
  const started: Emulator[] = [];
  for (const [url, create] of [
    [STAGE_EMULATORS.whatsapp, whatsappEmulator],
    [STAGE_EMULATORS.instagram, instagramEmulator],
  ] as const) {
    const up = await fetch(`${url}/_control/health`, { signal: AbortSignal.timeout(1000) })
      .then((response) => response.ok)
      .catch(() => false);
    if (up) continue;
    const { emulator, start } = create(Number(new URL(url).port), 'http://127.0.0.1:9/receipts-are-off');
    emulator.webhooks = { order: [], delaysMs: [] };
    await start();
    started.push(emulator);
  }
  return started;
}

/** The provider emulator each connector calls on each target: serverless-offline's, or the stage's own. */
const PROVIDERS: Record<Target, Record<string, string>> = {
  offline: { connectorWhatsapp: config.channels.whatsapp.apiUrl, connectorInstagram: config.channels.instagram.apiUrl },
  localstack: { connectorWhatsapp: STAGE_EMULATORS.whatsapp, connectorInstagram: STAGE_EMULATORS.instagram },
};

/** What a provider emulator accepted for `to` (its control API). */
async function receivedBy(provider: string, to: string): Promise<Received[]> {
  const response = await fetch(`${provider}/_control/received?to=${encodeURIComponent(to)}`, {
    signal: AbortSignal.timeout(10_000),
  });
  assert.ok(response.ok, `${provider}: ${response.status}`);
  return ((await response.json()) as { received: Received[] }).received;
}

/**
 * A connector's batch handled without error may still have dead-lettered its record (a permanent refusal): its sample
 * is true only if the provider took the message, once, during the invocation.
 */
async function invokeConnector(fn: string, target: Target, provider: string): Promise<Invocation> {
  const [record] = decodeRecords((await prepareEvent(eventFile(fn), target)) as SelfManagedKafkaEvent);
  const { to, content } = record!.value as { to: string; content: string };
  const before = new Set((await receivedBy(provider, to)).map((entry) => entry.id));
  const answer = await invoke(fn, target);
  if (answer.functionError) return answer; // assertAnswer says what went wrong
  const added = (await receivedBy(provider, to)).filter((entry) => !before.has(entry.id));
  assert.deepEqual(textsOf(added), [content], `${fn} on ${target}: what ${provider} accepted for ${to}`);
  return answer;
}

function assertAnswer(fn: string, expected: Expected, answer: Invocation): void {
  const result = JSON.stringify(answer.result);
  assert.equal(
    answer.functionError,
    undefined,
    `${fn} on ${answer.target}: ${answer.functionError}: ${result}${answer.logs ? `\n${answer.logs}` : ''}`,
  );
  if (expected === BATCH) {
    // Nothing to answer: serverless-offline gives an empty payload, Lambda `null`.
    assert.ok(answer.result === null || answer.result === '', `${fn} on ${answer.target} answered ${result}`);
    return;
  }
  const status = (answer.result as { statusCode?: unknown } | null)?.statusCode;
  assert.ok(
    typeof status === 'number' && expected.includes(status),
    `${fn} on ${answer.target}: ${status}, expected ${expected.join(' or ')}: ${result}`,
  );
}

const TARGETS: readonly Target[] = ['offline', 'localstack'];
const expectation = (expected: Expected): string => (expected === BATCH ? BATCH : `HTTP ${expected.join(' or ')}`);

for (const target of TARGETS) {
  describe(`npm run invoke -- <function> --target ${target}: every sample`, { timeout: 600_000 }, () => {
    let skipReason: string | undefined;
    let emulators: Emulator[] = [];

    before(async () => {
      if (target !== 'localstack') return;
      skipReason = await stageUnavailable();
      if (!skipReason) emulators = await startStageEmulators();
    });
    after(async () => {
      await Promise.all(emulators.map((emulator) => emulator.close()));
    });

    for (const fn of functions) {
      const expected = EXPECTED[fn.name] ?? [];
      it(`${fn.name}: ${expectation(expected)}`, async (t) => {
        if (skipReason) {
          t.skip(skipReason);
          return;
        }
        const provider = PROVIDERS[target][fn.name];
        const answer = provider ? await invokeConnector(fn.name, target, provider) : await invoke(fn.name, target);
        t.diagnostic(`${answer.ms.toFixed(0)} ms`);
        assertAnswer(fn.name, expected, answer);
      });
    }
  });
}
