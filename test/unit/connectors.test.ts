import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { whatsapp } from '@chat4all/shared/channels/whatsapp.js';
import { config } from '@chat4all/shared/config.js';
import { CircuitBreaker } from '@chat4all/shared/resilience/circuit-breaker.js';
import { createRuntime, runConnector, type ConnectorDeps } from '@chat4all/shared/connectors/connector.js';
import type { SendRecord, SendStore } from '@chat4all/shared/connectors/repository.js';
import { DLQ_HEADERS, SENT_HEADERS } from '@chat4all/shared/contracts/headers.js';
import { deadLetterTopicOf, TOPICS } from '@chat4all/shared/contracts/topics.js';
import type { DecodedRecord } from '@chat4all/shared/kafka/event.js';
import type { OutgoingRecord } from '@chat4all/shared/kafka/producer.js';
import { parseRetryLater, RetryLaterError } from '@chat4all/shared/kafka/retry-later.js';
import type { OutboundMessage, StatusEvent } from '@chat4all/shared/messages/model.js';
import { fullJitterDelay, parseRetryAfter, retryDelay } from '@chat4all/shared/resilience/backoff.js';
import { KeyedTokenBuckets, RateLimiter } from '@chat4all/shared/resilience/token-bucket.js';

describe('retry timing', () => {
  it('backs off exponentially with full jitter, capped', () => {
    const policy = { baseDelayMs: 200, maxDelayMs: 5000 };
    assert.equal(
      fullJitterDelay(1, policy, () => 0.999999),
      200,
    );
    assert.equal(
      fullJitterDelay(3, policy, () => 0.999999),
      800,
    );
    assert.equal(
      fullJitterDelay(10, policy, () => 0.999999),
      5000,
    );
    assert.equal(
      fullJitterDelay(4, policy, () => 0),
      0,
      'full jitter starts at zero',
    );
    for (let i = 0; i < 100; i++) {
      const delay = fullJitterDelay(5, policy);
      assert.ok(delay >= 0 && delay <= 3200);
    }
  });

  it('reads Retry-After as seconds or an HTTP date, and never retries sooner', () => {
    assert.equal(parseRetryAfter('2'), 2000);
    assert.equal(parseRetryAfter('0.5'), 500);
    assert.equal(parseRetryAfter(new Date(10_000).toUTCString(), 4_000), 6000);
    assert.equal(parseRetryAfter('soon'), undefined);
    assert.equal(parseRetryAfter(null), undefined);
    assert.equal(
      retryDelay(1, { baseDelayMs: 200, maxDelayMs: 5000 }, 3000, () => 0.5),
      3000,
    );
    assert.equal(
      retryDelay(6, { baseDelayMs: 200, maxDelayMs: 5000 }, 100, () => 1),
      5000,
    );
  });
});

describe('circuit breaker', () => {
  const make = () => {
    let clock = 0;
    const states: string[] = [];
    const breaker = new CircuitBreaker({
      failureThreshold: 3,
      openMs: 1000,
      now: () => clock,
      onStateChange: (state) => states.push(state),
    });
    return { breaker, states, advance: (ms: number) => (clock += ms) };
  };

  it('opens after consecutive failures, waits, lets one probe through half-open, and closes on its success', () => {
    const { breaker, states, advance } = make();
    breaker.onFailure();
    breaker.onFailure();
    breaker.onSuccess(); // resets the count
    breaker.onFailure();
    breaker.onFailure();
    assert.equal(breaker.state, 'closed');
    breaker.onFailure();
    assert.equal(breaker.state, 'open');
    assert.equal(breaker.tryAcquire(), false);
    assert.equal(breaker.retryInMs(), 1000);
    advance(999);
    assert.equal(breaker.tryAcquire(), false);
    advance(1);
    assert.equal(breaker.tryAcquire(), true, 'one probe');
    assert.equal(breaker.state, 'half_open');
    assert.equal(breaker.tryAcquire(), false, 'only one probe at a time');
    breaker.onSuccess();
    assert.equal(breaker.state, 'closed');
    assert.equal(breaker.tryAcquire(), true);
    assert.deepEqual(states, ['open', 'half_open', 'closed']);
  });

  it('opens again when the probe fails, and replaces a probe that never reported', () => {
    const { breaker, advance } = make();
    for (let i = 0; i < 3; i++) breaker.onFailure();
    advance(1000);
    assert.equal(breaker.tryAcquire(), true);
    breaker.onFailure();
    assert.equal(breaker.state, 'open');
    assert.equal(breaker.tryAcquire(), false);
    advance(1000);
    assert.equal(breaker.tryAcquire(), true);
    advance(1000); // the probe never reported
    assert.equal(breaker.tryAcquire(), true);
  });
});

describe('token bucket', () => {
  it('allows a burst of the rate, then one token every 1/rate s, queueing callers without polling', () => {
    let clock = 0;
    const buckets = new KeyedTokenBuckets(80, 80, () => clock);
    for (let i = 0; i < 80; i++) assert.equal(buckets.reserve('number'), 0);
    assert.equal(buckets.reserve('number'), 13); // 1/80 s
    assert.equal(buckets.reserve('number'), 25); // the next caller queues behind it
    clock += 1000;
    assert.equal(buckets.reserve('number'), 0, 'refilled after a second');
  });

  it('keeps one bucket per sending account', async () => {
    const waits: number[] = [];
    const limiter = new RateLimiter(1, { now: () => 0, sleep: async (ms) => void waits.push(ms) });
    await limiter.take('number-a');
    await limiter.take('number-b');
    assert.deepEqual(waits, []);
    await limiter.take('number-a');
    assert.deepEqual(waits, [1000]);
  });
});

describe('retry-later signal', () => {
  it('survives the trip through an error message', () => {
    const error = new RetryLaterError(5000.4, 'whatsapp circuit open');
    assert.equal(error.message, '[retry-later 5000ms] whatsapp circuit open');
    const parsed = parseRetryLater(error.message);
    assert.ok(parsed);
    assert.equal(parsed.delayMs, 5000);
    assert.equal(parseRetryLater('some other failure'), undefined);
  });
});

// --- the connector engine, against a scripted provider ---

const message = (n: number, conversation = `conv-${n}`): OutboundMessage => ({
  message_id: `0193aaaa-0000-7000-8000-${String(n).padStart(12, '0')}`,
  conversation_id: conversation,
  sender_id: '11111111-1111-4111-8111-111111111111',
  recipient: 'whatsapp:+5511999999999',
  channel: 'whatsapp',
  content: `hello ${n}`,
  file_id: null,
  created_at: new Date().toISOString(),
  to: '+5511999999999',
});

const record = (
  value: OutboundMessage,
  offset: number,
  headers: Record<string, string> = {},
): DecodedRecord<unknown> => ({
  topic: TOPICS.whatsappOutbound,
  partition: 0,
  offset,
  key: value.conversation_id,
  value,
  raw: JSON.stringify(value),
  headers: { correlation_id: `corr-${offset}`, ...headers },
});

type Script = (body: { text?: { body?: string } }) => {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
};

function harness(
  script: Script,
  {
    done = new Map<string, SendRecord>(),
    threshold = 5,
    recordSentFails = false,
    now = Date.now,
  }: { done?: Map<string, SendRecord>; threshold?: number; recordSentFails?: boolean; now?: () => number } = {},
) {
  const calls: string[] = [];
  const attempts: string[] = [];
  const cleared: string[] = [];
  const published: Record<string, OutgoingRecord[]>[] = [];
  const sleeps: number[] = [];
  const sent: string[] = [];
  const deadLettered: string[] = [];
  const store: SendStore = {
    findSends: async (ids) => new Map([...done].filter(([id]) => ids.includes(id))),
    recordAttempt: async (id) => void attempts.push(id),
    clearAttempt: async (id) => void cleared.push(id),
    recordSent: async (entry) => {
      if (recordSentFails) throw new Error('Cassandra is away');
      sent.push(`${entry.messageId}=${entry.providerMessageId}`);
    },
    recordDeadLettered: async (id) => void deadLettered.push(id),
  };
  const settings = { ...config.channels.connector, breakerFailureThreshold: threshold, maxAttempts: 6 };
  const runtime = createRuntime(whatsapp, settings);
  const fakeFetch = (async (_url: string, init: { body: string }) => {
    const body = JSON.parse(init.body) as { text?: { body?: string }; biz_opaque_callback_data?: string };
    assert.ok(attempts.includes(body.biz_opaque_callback_data!), 'the attempt is recorded before the call');
    calls.push(body.text?.body ?? '');
    const answer = script(body);
    return new Response(answer.body === undefined ? '' : JSON.stringify(answer.body), {
      status: answer.status,
      headers: answer.headers ?? {},
    });
  }) as unknown as typeof fetch;
  const deps: ConnectorDeps = {
    store,
    publish: async (byTopic) => void published.push(byTopic),
    media: async () => undefined,
    runtime,
    settings,
    log: pino({ level: 'silent' }),
    fetch: fakeFetch,
    sleep: async (ms) => void sleeps.push(ms),
    now,
  };
  const statuses = () =>
    published.flatMap((byTopic) => (byTopic[TOPICS.statusUpdates] ?? []).map((r) => r.value as StatusEvent));
  const deadLetters = () => published.flatMap((byTopic) => byTopic[deadLetterTopicOf(TOPICS.whatsappOutbound)] ?? []);
  const requeued = () => published.flatMap((byTopic) => byTopic[TOPICS.whatsappOutbound] ?? []);
  return { deps, calls, sleeps, sent, attempts, cleared, deadLettered, statuses, deadLetters, requeued, runtime };
}

let wamids = 0;
const accepted = () => ({
  status: 200,
  body: { messaging_product: 'whatsapp', messages: [{ id: `wamid.${++wamids}` }] },
});

describe('connector engine', () => {
  it('sends each message once and announces SENT with the provider id', async () => {
    const h = harness(accepted);
    const result = await runConnector(whatsapp, [record(message(1), 1), record(message(2), 2)], h.deps);
    assert.deepEqual([result.sent, result.failed, result.waiting], [2, 0, 0]);
    assert.deepEqual(h.calls.sort(), ['hello 1', 'hello 2']);
    const sent = h.statuses().filter((s) => s.status === 'SENT');
    assert.equal(sent.length, 2);
    assert.ok(sent.every((s) => s.provider_message_id?.startsWith('wamid.') && s.conversation_id));
    assert.equal(h.sent.length, 2, 'provider id → message id recorded');
  });

  it('retries 5xx and 429 with backoff, honouring Retry-After, until the provider accepts', async () => {
    const answers = [
      { status: 500, body: { error: { code: 131000, message: 'Something went wrong' } } },
      { status: 429, body: { error: { code: 130429, message: 'Rate limit hit' } }, headers: { 'Retry-After': '2' } },
    ];
    const h = harness(() => answers.shift() ?? accepted());
    const result = await runConnector(whatsapp, [record(message(3), 1)], h.deps);
    assert.equal(result.sent, 1);
    assert.equal(h.calls.length, 3);
    assert.equal(h.sleeps.length, 2);
    assert.ok(h.sleeps[1]! >= 2000, 'Retry-After honoured');
    assert.equal(h.deadLetters().length, 0);
  });

  it('dead-letters a permanent refusal with its reason and marks the message FAILED', async () => {
    const h = harness(() => ({
      status: 400,
      body: { error: { code: 131026, message: '(#131026) Message undeliverable', error_data: { details: 'x' } } },
    }));
    const result = await runConnector(whatsapp, [record(message(4), 7)], h.deps);
    assert.equal(result.failed, 1);
    assert.equal(h.calls.length, 1, 'never retried');
    const [letter] = h.deadLetters();
    assert.ok(letter);
    assert.match(letter.headers![DLQ_HEADERS.reason]!, /131026/);
    assert.equal(letter.headers![DLQ_HEADERS.sourceTopic], TOPICS.whatsappOutbound);
    assert.equal(letter.headers![DLQ_HEADERS.sourceOffset], '7');
    assert.equal(letter.headers!.correlation_id, 'corr-7');
    assert.equal((letter.value as OutboundMessage).message_id, message(4).message_id);
    const failed = h.statuses().find((s) => s.status === 'FAILED');
    assert.match(failed?.reason ?? '', /131026/);
    assert.deepEqual(h.deadLettered, [message(4).message_id]);
  });

  it('dead-letters a message whose retries are exhausted', async () => {
    const h = harness(() => ({ status: 503, body: { error: { code: 131016 } } }), { threshold: 100 });
    const result = await runConnector(whatsapp, [record(message(5), 1)], h.deps);
    assert.equal(result.failed, 1);
    assert.equal(h.calls.length, 6);
    assert.match(h.deadLetters()[0]!.headers![DLQ_HEADERS.reason]!, /retries exhausted after 6 attempts/);
  });

  it('does not send a redelivered record again, and re-announces its SENT', async () => {
    const done = new Map<string, SendRecord>([
      [message(6).message_id, { state: 'SENT', providerMessageId: 'wamid.old', reason: null, at: new Date(5000) }],
      [message(7).message_id, { state: 'DEAD_LETTERED', providerMessageId: null, reason: 'x', at: new Date(5000) }],
    ]);
    const h = harness(accepted, { done });
    const result = await runConnector(
      whatsapp,
      [record(message(6), 1), record(message(6), 2), record(message(7), 3)],
      h.deps,
    );
    assert.equal(result.duplicates, 3);
    assert.equal(h.calls.length, 0);
    const [again] = h.statuses();
    assert.equal(again?.provider_message_id, 'wamid.old');
    assert.equal(again?.at, new Date(5000).toISOString(), 'the first time, so history keeps one row');

    // A dead letter replayed by `npm run dlq -- replay` is sent again.
    const replay = await runConnector(
      whatsapp,
      [record(message(7), 4, { [DLQ_HEADERS.replayedFrom]: 'x.dlq:0:1' })],
      h.deps,
    );
    assert.equal(replay.sent, 1);
  });

  it('keeps the records of one conversation in order', async () => {
    const h = harness(accepted);
    const records = [1, 2, 3, 4].map((n) => record(message(10 + n, 'same-conversation'), n));
    await runConnector(whatsapp, records, h.deps);
    assert.deepEqual(h.calls, ['hello 11', 'hello 12', 'hello 13', 'hello 14']);
  });

  it('while the circuit is open, records wait as PENDING, nothing is dropped or sent, the bridge is told to retry', async () => {
    let down = true;
    const h = harness(() => (down ? { status: 503, body: { error: { code: 131016 } } } : accepted()), { threshold: 3 });
    const batch = [1, 2, 3, 4].map((n) => record(message(20 + n, 'c'), n));
    await assert.rejects(runConnector(whatsapp, batch, h.deps), (error: unknown) => {
      assert.ok(error instanceof RetryLaterError);
      assert.ok(error.delayMs > 0 && error.delayMs <= config.channels.connector.breakerOpenMs);
      return true;
    });
    assert.equal(h.calls.length, 3, 'the breaker opened after 3 failures');
    assert.equal(h.runtime.breaker.state, 'open');
    assert.equal(h.deadLetters().length, 0);
    const pending = h.statuses().filter((s) => s.status === 'PENDING');
    assert.deepEqual(
      pending.map((s) => s.message_id),
      batch.map((r) => (r.value as OutboundMessage).message_id),
    );

    // The bridge invokes again while still open: no call, no second PENDING.
    await assert.rejects(runConnector(whatsapp, batch, h.deps), RetryLaterError);
    assert.equal(h.calls.length, 3);
    assert.equal(h.statuses().filter((s) => s.status === 'PENDING').length, 4);

    // The provider is back and the circuit half-opens: everything goes, once.
    down = false;
    (h.runtime.breaker as unknown as { openedAt: number }).openedAt = 0;
    const result = await runConnector(whatsapp, batch, h.deps);
    assert.equal(result.sent, 4);
    assert.equal(h.runtime.breaker.state, 'closed');
  });

  it('dead-letters what is not an outbound message', async () => {
    const h = harness(accepted);
    const bad: DecodedRecord<unknown> = { ...record(message(30), 9), value: { hello: 'world' } };
    const result = await runConnector(whatsapp, [bad], h.deps);
    assert.equal(result.invalid, 1);
    const reason = h.deadLetters()[0]!.headers![DLQ_HEADERS.reason]!;
    assert.match(reason, /^not an outbound message: message_id: Invalid input: expected string, received undefined; /);
    assert.match(reason, /; to: Invalid input/);
  });

  it('never sends twice when the provider accepted but the send could not be recorded: Kafka keeps the outcome', async () => {
    const first = harness(accepted, { recordSentFails: true });
    const result = await runConnector(whatsapp, [record(message(40), 40)], first.deps);
    assert.equal(result.sent, 1, 'the batch succeeds: failing it would send the message again');
    assert.equal(first.calls.length, 1);
    assert.equal(first.statuses().filter((s) => s.status === 'SENT').length, 1);
    const [requeued] = first.requeued();
    assert.ok(requeued, 'the record goes back to its topic with the outcome');
    assert.match(requeued.headers![SENT_HEADERS.providerMessageId]!, /^wamid\./);

    // The next invocation (Cassandra back) records it without calling the provider.
    const second = harness(accepted);
    const again: DecodedRecord<unknown> = { ...record(message(40), 41), headers: requeued.headers! };
    await runConnector(whatsapp, [again], second.deps);
    assert.equal(second.calls.length, 0, 'not sent again');
    assert.deepEqual(second.sent, [`${message(40).message_id}=${requeued.headers![SENT_HEADERS.providerMessageId]}`]);
  });

  it('holds a message whose last attempt has no known outcome, then sends it once the grace period passed', async () => {
    const clock = 1_000_000;
    const grace = config.channels.connector.unsettledSendGraceMs;
    const done = new Map<string, SendRecord>([
      [message(41).message_id, { state: 'SENDING', providerMessageId: null, reason: null, at: new Date(clock - 1000) }],
    ]);
    const early = harness(accepted, { done, now: () => clock });
    await assert.rejects(
      runConnector(whatsapp, [record(message(41), 1), record(message(42, 'conv-41'), 2)], early.deps),
      (error) => {
        assert.ok(error instanceof RetryLaterError);
        assert.ok(error.delayMs > 0 && error.delayMs <= 2000, 'looked at again soon');
        return true;
      },
    );
    assert.equal(early.calls.length, 0, 'neither it nor the next message of its conversation is sent');

    const late = harness(accepted, { done, now: () => clock + grace });
    const result = await runConnector(whatsapp, [record(message(41), 1), record(message(42, 'conv-41'), 2)], late.deps);
    assert.equal(result.sent, 2);
    assert.deepEqual(late.calls, ['hello 41', 'hello 42'], 'in order');
  });

  it('clears the SENDING mark when the provider did not take the message, so the next invocation sends at once', async () => {
    const h = harness(() => ({ status: 503, body: { error: { message: 'down', code: 2 } } }), { threshold: 1 });
    await assert.rejects(runConnector(whatsapp, [record(message(44), 1)], h.deps), RetryLaterError);
    assert.ok(h.calls.length > 0, 'the provider was called');
    assert.deepEqual(h.cleared, [message(44).message_id]);
    assert.equal(h.sent.length, 0);
  });

  it('marks SENDING again right before each call, so the grace period counts from the last call', async () => {
    let answers = 0;
    const h = harness(() =>
      ++answers === 1 ? { status: 503, body: { error: { message: 'down', code: 2 } } } : accepted(),
    );
    const result = await runConnector(whatsapp, [record(message(45), 1)], h.deps);
    assert.equal(result.sent, 1);
    assert.equal(h.calls.length, 2);
    assert.deepEqual(h.attempts, [message(45).message_id, message(45).message_id], 'one mark per call');
  });

  it('neither marks nor calls once the invocation is out of time, and clears no mark it did not write', async () => {
    const h = harness(accepted);
    h.deps.deadline = Date.now() - 1;
    await assert.rejects(runConnector(whatsapp, [record(message(46), 1)], h.deps), RetryLaterError);
    assert.deepEqual([h.calls.length, h.attempts.length, h.cleared.length], [0, 0, 0]);
  });

  it('does not call the provider when writing the mark outlasted the invocation, and clears the mark', async () => {
    let clock = 1_000_000;
    const h = harness(accepted, { now: () => clock });
    h.deps.deadline = clock + 10_000;
    const mark = h.deps.store.recordAttempt;
    h.deps.store.recordAttempt = async (...args) => {
      clock += 20_000; // a stalled database answered late
      await mark(...args);
    };
    await assert.rejects(runConnector(whatsapp, [record(message(47), 1)], h.deps), RetryLaterError);
    assert.equal(h.calls.length, 0);
    assert.deepEqual(h.cleared, [message(47).message_id]);
  });

  it('keeps the SENDING mark and calls no more when the provider did not answer in time (it may have the message)', async () => {
    const h = harness(accepted);
    let calls = 0;
    h.deps.fetch = (async () => {
      calls += 1;
      throw new DOMException('The operation was aborted due to timeout', 'TimeoutError');
    }) as unknown as typeof fetch;
    await assert.rejects(runConnector(whatsapp, [record(message(48), 1)], h.deps), RetryLaterError);
    assert.equal(calls, 1, 'not called a second time');
    assert.deepEqual(h.attempts, [message(48).message_id]);
    assert.deepEqual(h.cleared, [], 'the mark stays, so the next invocation waits for evidence');
  });

  it('sends nothing when the attempt cannot be recorded', async () => {
    const h = harness(accepted);
    h.deps.store.recordAttempt = async () => {
      throw new Error('Cassandra is away');
    };
    await assert.rejects(runConnector(whatsapp, [record(message(43), 1)], h.deps), RetryLaterError);
    assert.equal(h.calls.length, 0);
  });
});
