import type { Logger } from 'pino';
import { mapWithLimit } from '../concurrency.js';
import type { ChannelDefinition, Media, ProviderFailure } from '../channels/types.js';
import { config } from '../config.js';
import { DLQ_HEADERS, SENT_HEADERS } from '../contracts/headers.js';
import {
  outboundMessageSchema,
  type MessageStatus,
  type OutboundMessage,
  type StatusEvent,
} from '../contracts/records.js';
import { TOPICS } from '../contracts/topics.js';
import { deadLetter } from '../kafka/dead-letter.js';
import type { DecodedRecord } from '../kafka/event.js';
import type { OutgoingRecord } from '../kafka/producer.js';
import { checkRecords, type ValidRecord } from '../kafka/records.js';
import { RetryLaterError } from '../kafka/retry-later.js';
import { counter, gauge, histogram, secondsSince } from '../metrics/registry.js';
import { parseRetryAfter, retryDelay } from '../resilience/backoff.js';
import { BREAKER_GAUGE, CircuitBreaker } from '../resilience/circuit-breaker.js';
import { RateLimiter } from '../resilience/token-bucket.js';
import type { SendRecord, SendStore } from './repository.js';

export type ConnectorSettings = typeof config.channels.connector;

/** What lives as long as the process (a Lambda sandbox, a serverless-offline worker): one per channel. */
export interface ConnectorRuntime {
  breaker: CircuitBreaker;
  limiter: RateLimiter;
  /** Messages this process already announced as PENDING (so a waiting record does not add a status row per retry). */
  announcedPending: Set<string>;
}

export function createRuntime(
  channel: ChannelDefinition,
  settings: ConnectorSettings,
  now: () => number = Date.now,
): ConnectorRuntime {
  const state = gauge('circuit_breaker_state', 'Circuit breaker per channel: 0 closed, 1 half-open, 2 open', [
    'channel',
  ]);
  state.set({ channel: channel.channel }, 0);
  // Starts at zero, so the retries panel and rate() answer 0 rather than nothing before the first retry.
  counter('connector_retries_total', 'Provider calls retried', ['channel']).inc({ channel: channel.channel }, 0);
  return {
    breaker: new CircuitBreaker({
      failureThreshold: settings.breakerFailureThreshold,
      openMs: settings.breakerOpenMs,
      now,
      onStateChange: (next) => state.set({ channel: channel.channel }, BREAKER_GAUGE[next]),
    }),
    limiter: new RateLimiter(channel.ratePerSecond, { now }),
    announcedPending: new Set(),
  };
}

export interface ConnectorDeps {
  store: SendStore;
  publish: (byTopic: Record<string, OutgoingRecord[]>) => Promise<void>;
  /** The presigned link of an attached file, or undefined when it is not available. */
  media: (fileId: string) => Promise<Media | undefined>;
  runtime: ConnectorRuntime;
  settings: ConnectorSettings;
  log: Logger;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  random?: () => number;
  /** When the invocation must hand back (records not sent by then wait for the next invocation). */
  deadline?: number;
}

export interface ConnectorResult {
  sent: number;
  duplicates: number;
  failed: number;
  waiting: number;
  invalid: number;
}

type Outcome =
  | { kind: 'sent'; providerMessageId: string; at: Date }
  | { kind: 'failed'; reason: string; permanent: boolean }
  | { kind: 'waiting'; delayMs: number; reason: string; outcomeUnknown?: true };

interface Answer {
  status: number;
  body: unknown;
  retryAfterMs: number | undefined;
  networkError?: string;
  /** No answer in time: the provider may have taken the message. */
  timedOut?: boolean;
}

/** Records not sent before the invocation's deadline wait for the next invocation. */
const OUT_OF_TIME: Outcome = { kind: 'waiting', delayMs: 0, reason: 'the invocation ran out of time' };

const sleepFor = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

type Valid = ValidRecord<OutboundMessage>;

/**
 * Sends the records of one connector invocation to the provider, once each:
 * - a message already sent (a redelivered record) is not sent again, its SENT is re-announced;
 * - each call is rate-limited per sending account (token bucket), has a deadline, and is retried on transient
 *   failures and rate limits with exponential backoff and full jitter, never sooner than Retry-After;
 * - while the channel's circuit is open nothing is sent or dropped: the waiting records' messages are announced
 *   PENDING and the invocation ends with a RetryLaterError, so the bridge (or Lambda) invokes the batch again;
 * - a permanent refusal, or retries exhausted, dead-letters the record with the reason and marks it FAILED;
 * - success records the provider's id (for webhooks) and announces SENT with it.
 * Records of one conversation (one key) are sent in order; different conversations go concurrently.
 */
export async function runConnector(
  channel: ChannelDefinition,
  records: DecodedRecord<unknown>[],
  deps: ConnectorDeps,
): Promise<ConnectorResult> {
  const now = deps.now ?? Date.now;
  const { runtime, settings } = deps;
  const functionName = `connector-${channel.channel}`;
  const result: ConnectorResult = { sent: 0, duplicates: 0, failed: 0, waiting: 0, invalid: 0 };
  const statuses: OutgoingRecord[] = [];
  const deadLetters: Record<string, OutgoingRecord[]> = {};
  const deadLettered: { messageId: string; reason: string; at: Date }[] = [];
  const waiting: { record: Valid; delayMs: number; reason: string }[] = [];

  const status = (record: Valid, value: MessageStatus, extra: Partial<StatusEvent> = {}, at = new Date(now())) => {
    statuses.push({
      key: record.value.message_id,
      value: {
        message_id: record.value.message_id,
        conversation_id: record.value.conversation_id,
        status: value,
        at: at.toISOString(),
        source: functionName,
        ...extra,
      } satisfies StatusEvent,
      headers: record.headers.correlation_id ? { correlation_id: record.headers.correlation_id } : {},
    });
  };
  const toDeadLetter = (record: DecodedRecord<unknown>, reason: string, extra: Record<string, string> = {}) => {
    const letter = deadLetter(record, reason, functionName, extra, new Date(now()));
    (deadLetters[letter.topic] ??= []).push(letter.record);
  };

  // Check, then drop what was already done.
  const { valid, invalid } = checkRecords(records, outboundMessageSchema, 'an outbound message');
  for (const { record, reason } of invalid) toDeadLetter(record, reason);
  result.invalid = invalid.length;
  const done = await deps.store.findSends([...new Set(valid.map((record) => record.value.message_id))]);
  const seen = new Set<string>();
  const recordOnly: Valid[] = [];
  const fresh = valid.filter((record) => {
    const id = record.value.message_id;
    const previous = done.get(id);
    const replayed = record.headers[DLQ_HEADERS.replayedFrom] !== undefined;
    if (record.headers[SENT_HEADERS.providerMessageId] !== undefined && previous?.state !== 'SENT') {
      recordOnly.push(record);
      return false;
    }
    if (seen.has(id) || previous?.state === 'SENT' || (previous?.state === 'DEAD_LETTERED' && !replayed)) {
      result.duplicates += 1;
      if (previous?.state === 'SENT' && !seen.has(id))
        status(record, 'SENT', { provider_message_id: previous.providerMessageId ?? undefined }, previous.at);
      seen.add(id);
      return false;
    }
    seen.add(id);
    return true;
  });

  // Sends the provider accepted in an earlier invocation that could not record them: record now, never send again.
  await Promise.all(
    recordOnly.map((record) =>
      deps.store.recordSent(
        {
          ...sentBy(channel, record.value),
          providerMessageId: record.headers[SENT_HEADERS.providerMessageId]!,
          at: new Date(record.headers[SENT_HEADERS.at] ?? now()),
        },
        channel.channel,
      ),
    ),
  );
  const unrecorded: OutgoingRecord[] = [];

  // Send, one lane per conversation.
  const lanes = new Map<string, Valid[]>();
  for (const record of fresh) {
    const key = record.key ?? record.value.conversation_id;
    const lane = lanes.get(key);
    if (lane) lane.push(record);
    else lanes.set(key, [record]);
  }
  await mapWithLimit([...lanes.values()], settings.concurrency, async (lane) => {
    for (let index = 0; index < lane.length; index++) {
      const record = lane[index]!;
      const outcome =
        (await unsettled(done.get(record.value.message_id), deps)) ?? (await delivered(channel, record.value, deps));
      if (outcome.kind === 'waiting') {
        for (const rest of lane.slice(index))
          waiting.push({ record: rest, delayMs: outcome.delayMs, reason: outcome.reason });
        return;
      }
      if (outcome.kind === 'sent') {
        const send = { ...sentBy(channel, record.value), providerMessageId: outcome.providerMessageId, at: outcome.at };
        try {
          await persist(() => deps.store.recordSent(send, channel.channel));
        } catch (error) {
          // The provider has it: failing the batch would send it again on the retry. Kafka keeps the outcome instead.
          deps.log.warn(
            { function: functionName, message_id: send.messageId, err: (error as Error).message },
            'send not recorded; requeued to be recorded',
          );
          unrecorded.push({
            key: record.key ?? record.value.conversation_id,
            value: record.value,
            headers: {
              ...record.headers,
              [SENT_HEADERS.providerMessageId]: send.providerMessageId,
              [SENT_HEADERS.at]: send.at.toISOString(),
            },
          });
        }
        result.sent += 1;
        status(record, 'SENT', { provider_message_id: outcome.providerMessageId }, outcome.at);
      } else {
        result.failed += 1;
        toDeadLetter(record, outcome.reason, { [DLQ_HEADERS.permanent]: String(outcome.permanent) });
        status(record, 'FAILED', { reason: outcome.reason });
        deps.log.warn(
          {
            function: functionName,
            message_id: record.value.message_id,
            correlation_id: record.headers.correlation_id,
            reason: outcome.reason,
          },
          'dead-lettered',
        );
        deadLettered.push({ messageId: record.value.message_id, reason: outcome.reason, at: new Date(now()) });
      }
    }
  });

  for (const { record } of waiting) {
    result.waiting += 1;
    if (runtime.announcedPending.has(record.value.message_id)) continue;
    if (runtime.announcedPending.size > 10_000) runtime.announcedPending.clear();
    runtime.announcedPending.add(record.value.message_id);
    status(record, 'PENDING', { reason: waiting[0]!.reason });
  }

  const requeued = unrecorded.length > 0 ? { [records[0]!.topic]: unrecorded } : {};
  await deps.publish({ [TOPICS.statusUpdates]: statuses, ...deadLetters, ...requeued });
  await Promise.all(
    deadLettered.map((letter) =>
      deps.store.recordDeadLettered(letter.messageId, channel.channel, letter.reason, letter.at),
    ),
  );
  const sentTotal = counter('messages_sent_total', 'Messages handed to a channel', ['channel', 'status']);
  if (result.sent > 0) sentTotal.inc({ channel: channel.channel, status: 'sent' }, result.sent);
  if (result.failed > 0) sentTotal.inc({ channel: channel.channel, status: 'failed' }, result.failed);

  if (waiting.length > 0) {
    const delayMs = Math.max(50, Math.min(...waiting.map((entry) => entry.delayMs)));
    deps.log.info(
      {
        function: functionName,
        ...result,
        retry_in_ms: delayMs,
        reason: waiting[0]!.reason,
        correlation_ids: waiting.map(({ record }) => record.headers.correlation_id).filter(Boolean),
      },
      'records wait',
    );
    throw new RetryLaterError(delayMs, `${waiting.length} record(s) wait: ${waiting[0]!.reason}`);
  }
  return result;
}

const sentBy = (channel: ChannelDefinition, message: OutboundMessage) => ({
  messageId: message.message_id,
  conversationId: message.conversation_id,
  identity: message.recipient ?? `${channel.channel}:${message.to}`,
});

/**
 * A message whose earlier send attempt has no known outcome (SENDING: the process died, or its invocation was given
 * up, between the call and recording its answer) waits for evidence before it is sent again: a provider that echoes
 * our message id in its receipts (WhatsApp) lets the webhook record the send meanwhile, and then it is not sent again.
 * Past the grace period without evidence it is sent again.
 */
async function unsettled(previous: SendRecord | undefined, deps: ConnectorDeps): Promise<Outcome | undefined> {
  if (previous?.state !== 'SENDING') return undefined;
  const waitMs = previous.at.getTime() + deps.settings.unsettledSendGraceMs - (deps.now ?? Date.now)();
  if (waitMs <= 0) return undefined;
  // Looked at again every few seconds: the evidence usually comes long before the grace period ends.
  return {
    kind: 'waiting',
    delayMs: Math.min(waitMs, 2000),
    reason: 'an earlier send attempt has no known outcome yet',
  };
}

/**
 * Writes SENDING just before a call to the provider (after the rate-limit wait), so the grace period of an unknown
 * outcome starts when a call could last have reached the provider. When the write fails, nothing is sent and the
 * record waits.
 */
function markBeforeCall(
  channel: ChannelDefinition,
  message: OutboundMessage,
  deps: ConnectorDeps,
): () => Promise<Outcome | undefined> {
  const echo = channel.echoKey?.(message);
  return async () => {
    try {
      await deps.store.recordAttempt(
        message.message_id,
        channel.channel,
        new Date((deps.now ?? Date.now)()),
        echo ? { key: echo, ...sentBy(channel, message) } : undefined,
      );
      return undefined;
    } catch (error) {
      return { kind: 'waiting', delayMs: 1000, reason: `the send could not be recorded: ${(error as Error).message}` };
    }
  };
}

/**
 * deliver(), and when it comes back without the provider having taken the message (its answers were failures, the
 * circuit was open, or the invocation ran out of time between calls), the SENDING mark goes. Only a call whose outcome
 * is unknown (no answer in time, or a process that stops in the middle of one) leaves it, and only that makes the next
 * invocation wait for the provider's evidence. A failure to clear it is harmless: the message then waits out the grace
 * period.
 */
async function delivered(channel: ChannelDefinition, message: OutboundMessage, deps: ConnectorDeps): Promise<Outcome> {
  let marked = false;
  const mark = markBeforeCall(channel, message, deps);
  const outcome = await deliver(channel, message, deps, async () => {
    const refused = await mark();
    marked ||= refused === undefined;
    return refused;
  });
  if (outcome.kind === 'waiting' && marked && !outcome.outcomeUnknown)
    await deps.store.clearAttempt(message.message_id).catch(() => undefined);
  return outcome;
}

/** A write that must not be lost once the provider accepted a message: retried briefly before giving up. */
async function persist(write: () => Promise<void>, attempts = 3): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await write();
    } catch (error) {
      if (attempt >= attempts) throw error;
      await sleepFor(100 * attempt);
    }
  }
}

/** One message to the provider, with retries; never throws for a provider's failure. */
async function deliver(
  channel: ChannelDefinition,
  message: OutboundMessage,
  deps: ConnectorDeps,
  beforeCall: () => Promise<Outcome | undefined>,
): Promise<Outcome> {
  const now = deps.now ?? Date.now;
  const { breaker, limiter } = deps.runtime;
  const { settings } = deps;
  const deadline = deps.deadline ?? Number.POSITIVE_INFINITY;
  let media: Media | undefined;
  if (message.file_id) {
    media = await deps.media(message.file_id);
    if (!media) return { kind: 'failed', reason: `file ${message.file_id} is not available`, permanent: true };
  }
  const request = channel.request(message, media);
  let last: ProviderFailure | undefined;
  for (let attempt = 1; attempt <= settings.maxAttempts; attempt++) {
    if (now() >= deadline) return OUT_OF_TIME;
    if (!breaker.tryAcquire())
      return { kind: 'waiting', delayMs: breaker.retryInMs(), reason: `the ${channel.channel} circuit is open` };
    await limiter.take(channel.account);
    if (now() >= deadline) return OUT_OF_TIME;
    const refused = await beforeCall();
    if (refused) return refused;
    // The mark may have taken long (a stalled database): past the deadline the bridge may already have handed this
    // record to another invocation, which must not find it sent twice.
    if (now() >= deadline) return OUT_OF_TIME;
    const answer = await call(channel, request, deps);
    if (answer.status >= 200 && answer.status < 300) {
      breaker.onSuccess();
      const providerMessageId = channel.providerMessageId(answer.body);
      if (providerMessageId) return { kind: 'sent', providerMessageId, at: new Date(now()) };
      // Accepted without an id: sending again could deliver it twice, so it is not retried.
      return { kind: 'failed', reason: `${channel.channel} accepted the message without an id`, permanent: true };
    }
    if (answer.timedOut) {
      // The provider may have the message: another call could deliver it twice. The mark stays, so the next
      // invocation waits for the provider's evidence (a receipt, an echo) before it sends again.
      breaker.onFailure();
      return {
        kind: 'waiting',
        delayMs: settings.retryBaseDelayMs,
        reason: `${channel.channel}: ${answer.networkError}, so whether it took the message is unknown`,
        outcomeUnknown: true,
      };
    }
    last = answer.networkError
      ? { kind: 'transient', reason: `${channel.channel}: ${answer.networkError}` }
      : channel.classify(answer.status, answer.body);
    if (last.kind === 'transient') breaker.onFailure();
    else breaker.onSuccess(); // it answered: the provider is up, whatever it thinks of this message
    if (last.kind === 'permanent') return { kind: 'failed', reason: last.reason, permanent: true };
    if (attempt === settings.maxAttempts) break;
    counter('connector_retries_total', 'Provider calls retried', ['channel']).inc({ channel: channel.channel });
    const delay = retryDelay(
      attempt,
      { baseDelayMs: settings.retryBaseDelayMs, maxDelayMs: settings.retryMaxDelayMs },
      answer.retryAfterMs,
      deps.random,
    );
    // Not worth holding the invocation for: the record waits for the next one (the attempt count starts again).
    if (now() + delay >= deadline) return { kind: 'waiting', delayMs: delay, reason: last.reason };
    await (deps.sleep ?? sleepFor)(delay);
  }
  return {
    kind: 'failed',
    reason: `retries exhausted after ${settings.maxAttempts} attempts: ${last?.reason ?? 'unknown'}`,
    permanent: false,
  };
}

async function call(
  channel: ChannelDefinition,
  request: ReturnType<ChannelDefinition['request']>,
  deps: ConnectorDeps,
): Promise<Answer> {
  const started = performance.now();
  try {
    const response = await (deps.fetch ?? fetch)(request.url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...request.headers },
      body: JSON.stringify(request.body),
      signal: AbortSignal.timeout(deps.settings.requestTimeoutMs),
    });
    const text = await response.text();
    let body: unknown = null;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      body = { raw: text.slice(0, 200) };
    }
    return { status: response.status, body, retryAfterMs: parseRetryAfter(response.headers.get('retry-after')) };
  } catch (error) {
    const { name, message, cause } = error as Error & { cause?: { code?: string } };
    const timedOut = name === 'TimeoutError' || name === 'AbortError';
    const detail = timedOut
      ? `no answer within ${deps.settings.requestTimeoutMs} ms`
      : `${message}${cause?.code ? ` (${cause.code})` : ''}`;
    return { status: 0, body: null, retryAfterMs: undefined, networkError: detail, timedOut };
  } finally {
    histogram('connector_api_duration_seconds', 'Provider API call duration', ['channel']).observe(
      { channel: channel.channel },
      secondsSince(started),
    );
  }
}
