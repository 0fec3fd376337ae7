import type { ChannelDefinition, InboundMessage, ProviderStatus } from '../channels/types.js';
import type { CassandraClient } from '../clients/cassandra.js';
import {
  cassandraSendStore,
  claimInbound,
  findEchoedSends,
  findProviderMessage,
  markInboundPublished,
  recordOutboundSend,
  type EchoedSend,
} from '../connectors/repository.js';
import { TOPICS } from '../contracts/topics.js';
import { findConversation } from '../conversations/repository.js';
import { createConversation } from '../conversations/service.js';
import { DomainError } from '../errors/domain.js';
import { findIdentity } from '../identities/repository.js';
import { ensureMember, identityOf } from '../identities/service.js';
import { UUID_PATTERN, uuidv7 } from '../ids.js';
import { publishOrUnavailable, type OutgoingRecord } from '../kafka/producer.js';
import { logger } from '../logger.js';
import type { AcceptedMessage, StatusEvent } from '../messages/model.js';
import { findMessage } from '../messages/repository.js';
import { privateConversationId } from '../messages/send.js';
import { counter } from '../metrics/registry.js';

/**
 * A receipt for a provider id we do not know (yet) is answered 503 while it is this recent, so the provider delivers
 * the webhook again: the connector records the id right after the provider's answer, and a receipt can outrun that.
 * Older unknown receipts (messages another system sent from the same account) are acknowledged and ignored.
 */
const UNKNOWN_RECEIPT_RETRY_MS = 5 * 60_000;

export interface WebhookResult {
  statuses: number;
  inbound: number;
  ignored: number;
}

export interface WebhookOptions {
  correlationId: string;
  fetch?: typeof fetch;
  now?: () => number;
}

const events = () => counter('webhook_events_total', 'Webhook events by channel and outcome', ['channel', 'outcome']);

/**
 * The echo of a send whose provider id was never recorded (the connector stopped between the provider's answer and
 * its record), from a provider that echoes only recipient and text (Instagram): the oldest send to that recipient with
 * that text still SENDING is the one. Recording it now keeps the connector from sending it a second time.
 */
async function settleEchoedSend(
  db: CassandraClient,
  channel: ChannelDefinition,
  status: ProviderStatus,
  fetcher: typeof fetch,
): Promise<EchoedSend | undefined> {
  const echo = status.echo!;
  let candidates = await findEchoedSends(db, channel.channel, echo);
  if (candidates.length === 0 && channel.resolveRecipient) {
    const recipient = await channel.resolveRecipient(echo.recipient, fetcher).catch(() => undefined);
    if (recipient && recipient !== echo.recipient)
      candidates = await findEchoedSends(db, channel.channel, { ...echo, recipient });
  }
  if (candidates.length === 0) return undefined;
  const sends = await cassandraSendStore(db).findSends(candidates.map((candidate) => candidate.messageId));
  const send = candidates.find((candidate) => sends.get(candidate.messageId)?.state === 'SENDING');
  if (!send) return undefined;
  await recordOutboundSend(
    db,
    {
      messageId: send.messageId,
      conversationId: send.conversationId,
      identity: send.identity,
      providerMessageId: status.providerMessageId,
      at: new Date(status.at),
    },
    channel.channel,
  );
  return send;
}

async function statusRecord(
  db: CassandraClient,
  channel: ChannelDefinition,
  status: ProviderStatus,
  headers: Record<string, string>,
  fetcher: typeof fetch,
): Promise<OutgoingRecord | undefined> {
  const mapped = await findProviderMessage(db, status.providerMessageId);
  let messageId = mapped?.direction === 'outbound' ? mapped.messageId : undefined;
  let conversationId = mapped?.conversationId;
  if (!messageId && status.messageIdHint && UUID_PATTERN.test(status.messageIdHint)) {
    const stored = await findMessage(db, status.messageIdHint);
    messageId = stored?.message_id;
    conversationId = stored?.conversation_id;
    // The provider has a message of ours under an id we never recorded (the connector stopped between its call and
    // the record): record it now, so the connector does not send it a second time (connectors/connector.ts).
    if (stored)
      await recordOutboundSend(
        db,
        {
          messageId: stored.message_id,
          conversationId: stored.conversation_id,
          identity: stored.recipient ?? null,
          providerMessageId: status.providerMessageId,
          at: new Date(status.at),
        },
        channel.channel,
      );
  }
  if (!messageId && status.echo) {
    const settled = await settleEchoedSend(db, channel, status, fetcher);
    messageId = settled?.messageId;
    conversationId = settled?.conversationId;
  }
  if (!messageId) return undefined;
  return {
    key: messageId,
    value: {
      message_id: messageId,
      ...(conversationId ? { conversation_id: conversationId } : {}),
      status: status.status,
      at: status.at,
      source: `webhook-${channel.channel}`,
      ...(status.reason ? { reason: status.reason } : {}),
      provider_message_id: status.providerMessageId,
    } satisfies StatusEvent,
    headers,
  };
}

/**
 * Where an inbound message from a linked identity lands: the conversation of the message it replies to, when that
 * conversation is with this identity; else the user's own private conversation with the identity (created on the
 * first message). The user is made a member either way.
 */
async function inboundConversation(
  db: CassandraClient,
  userId: string,
  identity: string,
  replyTo: string | undefined,
): Promise<string> {
  if (replyTo) {
    const original = await findProviderMessage(db, replyTo);
    const conversation =
      original?.direction === 'outbound' ? await findConversation(db, original.conversationId) : undefined;
    if (conversation && identityOf(conversation.external_participant) === identity) {
      await ensureMember(db, conversation.conversation_id, userId);
      return conversation.conversation_id;
    }
  }
  const conversationId = privateConversationId(userId, identity);
  if (!(await findConversation(db, conversationId))) {
    await createConversation(db, userId, {
      conversationId,
      type: 'private',
      memberRefs: [],
      externalParticipant: identity,
    }).catch((error: { code?: string }) => {
      if (error.code !== 'conversation_exists') throw error; // a concurrent webhook created it
    });
  }
  return conversationId;
}

/** The `messages` record of an inbound message from a linked identity; undefined when ignored or a duplicate. */
async function inboundRecord(
  db: CassandraClient,
  channel: ChannelDefinition,
  inbound: InboundMessage,
  options: WebhookOptions,
): Promise<OutgoingRecord | undefined> {
  const identity = identityOf(
    inbound.identity ??
      (await channel.resolveSender?.(inbound.senderId, options.fetch ?? fetch).catch(() => undefined)),
  );
  const link = identity ? await findIdentity(db, identity) : undefined;
  if (!identity || !link) {
    logger.info(
      {
        function: `webhooks-${channel.channel}`,
        correlation_id: options.correlationId,
        provider_message_id: inbound.providerMessageId,
      },
      'inbound message from an identity nobody linked: ignored',
    );
    return undefined;
  }
  let messageId = uuidv7();
  let conversationId = await inboundConversation(db, link.userId, identity, inbound.replyTo);
  const claim = await claimInbound(db, {
    providerMessageId: inbound.providerMessageId,
    channel: channel.channel,
    messageId,
    conversationId,
    identity,
  });
  if (!claim.claimed) {
    if (claim.existing.published) return undefined; // a webhook delivered again
    messageId = claim.existing.messageId; // claimed before, but its publish never completed: publish it now
    conversationId = claim.existing.conversationId;
  }
  const message: AcceptedMessage = {
    message_id: messageId,
    conversation_id: conversationId,
    sender_id: link.userId,
    recipient: null,
    channel: 'chat4all',
    content: inbound.text || `[empty ${channel.channel} message]`,
    file_id: null,
    created_at: new Date((options.now ?? Date.now)()).toISOString(),
  };
  return { key: conversationId, value: message, headers: { correlation_id: options.correlationId } };
}

/** Empty or longer than any provider's message id, so not one (and Cassandra refuses empty keys and keys over 64 KiB). */
const MAX_PROVIDER_ID_LENGTH = 1024;
const plausibleId = (id: string | undefined): boolean =>
  id === undefined || (id.length > 0 && id.length <= MAX_PROVIDER_ID_LENGTH);

/** The events whose ids can be provider ids; the others are ignored (and counted). */
function plausible(parsed: ReturnType<ChannelDefinition['parseWebhook']>) {
  const statuses = parsed.statuses.filter((status) => plausibleId(status.providerMessageId));
  const inbound = parsed.inbound
    .filter((message) => plausibleId(message.providerMessageId))
    .map((message) => (plausibleId(message.replyTo) ? message : { ...message, replyTo: undefined }));
  const implausible = parsed.statuses.length - statuses.length + parsed.inbound.length - inbound.length;
  return { parsed: { statuses, inbound }, implausible };
}

/**
 * A verified webhook payload: status receipts become status-updates events (resolved from the provider's id to our
 * message), inbound messages from a linked identity become messages of that user (published to `messages`, where the
 * router stores and delivers them). Throws NotAWebhookError when the payload is not this channel's webhook, and a 503 for
 * receipts the provider should deliver again (see UNKNOWN_RECEIPT_RETRY_MS).
 */
export async function receiveWebhook(
  db: CassandraClient,
  channel: ChannelDefinition,
  payload: unknown,
  options: WebhookOptions,
): Promise<WebhookResult> {
  const now = options.now ?? Date.now;
  const { parsed, implausible } = plausible(channel.parseWebhook(payload));
  const headers = { correlation_id: options.correlationId };
  const statuses = await Promise.all(
    parsed.statuses.map((status) => statusRecord(db, channel, status, headers, options.fetch ?? fetch)),
  );
  const unknownRecent = parsed.statuses.filter(
    (status, index) => !statuses[index] && now() - Date.parse(status.at) < UNKNOWN_RECEIPT_RETRY_MS,
  );
  const inbound: { record: OutgoingRecord; providerMessageId: string }[] = [];
  for (const message of parsed.inbound) {
    const record = await inboundRecord(db, channel, message, options);
    if (record) inbound.push({ record, providerMessageId: message.providerMessageId });
  }
  const statusRecords = statuses.filter((record): record is OutgoingRecord => record !== undefined);
  await publishOrUnavailable({
    [TOPICS.statusUpdates]: statusRecords,
    [TOPICS.messages]: inbound.map((entry) => entry.record),
  });
  await markInboundPublished(
    db,
    inbound.map((entry) => entry.providerMessageId),
  );
  const result = {
    statuses: statusRecords.length,
    inbound: inbound.length,
    ignored: parsed.statuses.length - statusRecords.length + parsed.inbound.length - inbound.length + implausible,
  };
  const counted = events();
  if (result.statuses) counted.inc({ channel: channel.channel, outcome: 'status' }, result.statuses);
  if (result.inbound) counted.inc({ channel: channel.channel, outcome: 'inbound' }, result.inbound);
  if (result.ignored) counted.inc({ channel: channel.channel, outcome: 'ignored' }, result.ignored);
  if (unknownRecent.length > 0) {
    throw new DomainError(
      'unavailable',
      `${unknownRecent.length} receipt(s) name a message not known yet; deliver the webhook again`,
      'unknown_provider_message',
      { retryAfterSeconds: 2 },
    );
  }
  return result;
}
