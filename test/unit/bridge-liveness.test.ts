import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import kafkajs from 'kafkajs';
import pino from 'pino';
import { TOPICS } from '@chat4all/shared/contracts/topics.js';
import type { RecoveryReason, TriggerConsumer } from '../../infra/bridge/consumer.js';
import { GroupLiveness } from '../../infra/bridge/liveness.js';
import { membershipLost } from '../../infra/bridge/membership.js';
import { bridgeReport } from '../../infra/bridge/status-report.js';
import type { KafkaTrigger } from '../../infra/bridge/triggers.js';
import { Watchdog } from '../../infra/bridge/watchdog.js';

// kafkajs spreads its error classes into its exports, which Node's ESM loader cannot name: from the default export.
const { KafkaJSConnectionError, KafkaJSNonRetriableError, KafkaJSProtocolError } = kafkajs;

const trigger: KafkaTrigger = {
  name: 'router',
  lambdaName: 'chat4all-local-router',
  topic: TOPICS.messages,
  groupId: 'chat4all-router',
  batchSize: 100,
  maximumBatchingWindowMs: 500,
  fromBeginning: true,
};

/** The coordinator's answer as kafkajs raises it (code 25: UNKNOWN_MEMBER_ID). */
const protocolError = (type: string, code: number) =>
  new KafkaJSProtocolError({ type, code, retriable: false, message: type } as unknown as Error);

describe('bridge: membership lost', () => {
  it("finds the coordinator's answer inside the retrier's KafkaJSNonRetriableError, which drops its type", () => {
    const answer = protocolError('UNKNOWN_MEMBER_ID', 25);
    // As kafkajs's retrier wraps it (its typings omit the options argument).
    const NonRetriable = KafkaJSNonRetriableError as unknown as new (e: Error, options: { cause: Error }) => Error;
    const wrapped = new NonRetriable(answer, { cause: answer });
    assert.equal((wrapped as unknown as { type?: string }).type, undefined, 'what kafkajs runner checks is gone');
    assert.equal(membershipLost(wrapped), answer);
    assert.equal(membershipLost(protocolError('ILLEGAL_GENERATION', 22))?.message, 'ILLEGAL_GENERATION');
    assert.equal(membershipLost(protocolError('REBALANCE_IN_PROGRESS', 27))?.message, 'REBALANCE_IN_PROGRESS');
  });

  it('leaves other errors alone', () => {
    assert.equal(membershipLost(new KafkaJSConnectionError('connection refused')), undefined);
    assert.equal(membershipLost(protocolError('UNKNOWN_TOPIC_OR_PARTITION', 3)), undefined);
    assert.equal(membershipLost(new Error('boom')), undefined);
    assert.equal(membershipLost(undefined), undefined);
  });
});

/** A consumer whose liveness is real and whose recover() only records the call and what it would do. */
function fakeConsumer(onRecover: (consumer: { liveness: GroupLiveness }) => void = () => undefined) {
  const liveness = new GroupLiveness(trigger);
  const recoveries: RecoveryReason[] = [];
  const consumer = {
    trigger,
    liveness,
    recover: async (reason: RecoveryReason) => {
      recoveries.push(reason);
      liveness.recovering(reason);
      onRecover(consumer);
    },
  };
  return { consumer: consumer as unknown as TriggerConsumer, liveness, recoveries };
}

const silent = pino({ level: 'silent' });
const options = { graceMs: 45_000, maxRecoveriesWithoutJoin: 3 };

describe('bridge: watchdog', () => {
  it('leaves a member alone, and does not judge while the coordinator cannot be asked', () => {
    const { consumer, liveness, recoveries } = fakeConsumer();
    liveness.joined('m-1');
    const watchdog = new Watchdog([consumer], silent, () => assert.fail('no give-up'), options);
    watchdog.check(new Map([['chat4all-router', ['m-1']]]), new Map([['chat4all-router', 5]]), 0);
    watchdog.check(undefined, undefined, 100_000);
    assert.equal(liveness.member, true);
    assert.deepEqual(recoveries, []);
  });

  it('replaces a consumer the coordinator has not listed for longer than the grace period', () => {
    const { consumer, liveness, recoveries } = fakeConsumer();
    liveness.joined('m-1');
    const watchdog = new Watchdog([consumer], silent, () => assert.fail('no give-up'), options);
    const gone = new Map([['chat4all-router', ['m-of-another-bridge']]]);
    watchdog.check(gone, new Map([['chat4all-router', 700]]), 1_000);
    assert.equal(liveness.member, false);
    watchdog.check(gone, undefined, 45_000);
    assert.deepEqual(recoveries, [], 'still within the grace period');
    watchdog.check(gone, undefined, 46_001);
    assert.deepEqual(recoveries, ['no_membership']);
    assert.equal(liveness.snapshot().recoveries, 1);
  });

  it('gives up (the bridge exits and is started again) when replacements never get the consumer into its group', () => {
    const { consumer, liveness, recoveries } = fakeConsumer();
    liveness.joined('m-1');
    const reasons: string[] = [];
    const watchdog = new Watchdog([consumer], silent, (reason) => reasons.push(reason), options);
    const empty = new Map([['chat4all-router', [] as string[]]]);
    // A replacement restarts the grace period from the moment it is made (the real clock, just after `start`).
    const start = Date.now();
    for (let step = 0; step <= 4; step++) watchdog.check(empty, undefined, start + step * 50_000);
    assert.deepEqual(recoveries, ['no_membership', 'no_membership', 'no_membership']);
    assert.equal(reasons.length, 1);
    assert.match(reasons[0]!, /chat4all-router: not a member after 3 replacements/);
  });

  it('counts replacements without a join again from zero once one joined', () => {
    const { consumer, liveness } = fakeConsumer((replaced) => replaced.liveness.joined('m-2'));
    liveness.joined('m-1');
    void consumer.recover('crash');
    assert.equal(liveness.recoveriesWithoutJoin, 0);
    assert.equal(liveness.snapshot().recoveries, 1);
  });
});

describe('bridge: status report', () => {
  it('shows each group of each bridge and is unhealthy when one is not a member', () => {
    assert.deepEqual(bridgeReport([]), { rows: [], healthy: true });
    const report = bridgeReport([999_999_999]);
    assert.equal(report.rows.length, 1);
    assert.match(report.rows[0]!.at(-1)!, /no status yet/);
  });
});
