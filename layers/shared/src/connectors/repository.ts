import crypto from 'node:crypto';
import type { EchoKey } from '../channels/types.js';
import type { CassandraClient } from '../clients/cassandra.js';

/**
 * What a connector already did with a message (outbound_sends), so a redelivered record is not sent twice. SENDING is
 * written just before the provider is called: found on a redelivery, it means the outcome of that call is unknown.
 */
export interface SendRecord {
  state: 'SENDING' | 'SENT' | 'DEAD_LETTERED';
  providerMessageId: string | null;
  reason: string | null;
  at: Date;
}

/** A provider message id and the message it stands for (provider_messages). */
export interface ProviderMessage {
  providerMessageId: string;
  channel: string;
  direction: 'outbound' | 'inbound';
  messageId: string;
  conversationId: string;
  identity: string | null;
  published: boolean;
}

/** A message the provider accepted, under the id it gave. */
export interface OutboundSend {
  messageId: string;
  conversationId: string;
  identity: string | null;
  providerMessageId: string;
  at: Date;
}

/** A send about to go to a provider that echoes it by recipient and text only, and the message it is. */
export interface EchoedSend {
  key: EchoKey;
  messageId: string;
  conversationId: string;
  identity: string | null;
}

/** What connectors need from the database; tests give an in-memory one. */
export interface SendStore {
  findSends(messageIds: string[]): Promise<Map<string, SendRecord>>;
  /** Written before the provider is called (state SENDING), with where its echo will find it when there is one. */
  recordAttempt(messageId: string, channel: string, at: Date, echo?: EchoedSend): Promise<void>;
  /** The attempt ended without the provider taking the message (its answer was a failure, or no call went out). */
  clearAttempt(messageId: string): Promise<void>;
  recordSent(sent: OutboundSend, channel: string): Promise<void>;
  recordDeadLettered(messageId: string, channel: string, reason: string, at: Date): Promise<void>;
}

export function cassandraSendStore(db: CassandraClient): SendStore {
  return {
    async findSends(messageIds) {
      if (messageIds.length === 0) return new Map();
      const result = await db.execute(
        'SELECT message_id, state, provider_message_id, reason, at FROM outbound_sends WHERE message_id IN ?',
        [messageIds],
      );
      return new Map(
        result.rows.map((row) => [
          row.get('message_id') as string,
          {
            state: row.get('state'),
            providerMessageId: row.get('provider_message_id'),
            reason: row.get('reason'),
            at: row.get('at'),
          },
        ]),
      );
    },

    async recordAttempt(messageId, channel, at, echo) {
      const sending = {
        query: 'INSERT INTO outbound_sends (message_id, channel, state, at) VALUES (?, ?, ?, ?)',
        params: [messageId, channel, 'SENDING', at],
      };
      if (!echo) {
        await db.execute(sending.query, sending.params, { prepare: true });
        return;
      }
      await db.batch(
        [
          sending,
          {
            query:
              'INSERT INTO unsettled_sends (channel, recipient, text_digest, message_id, conversation_id, identity, at) VALUES (?, ?, ?, ?, ?, ?, ?)',
            params: [
              channel,
              echo.key.recipient,
              textDigest(echo.key.text),
              messageId,
              echo.conversationId,
              echo.identity,
              at,
            ],
          },
        ],
        { prepare: true, logged: false },
      );
    },

    async clearAttempt(messageId) {
      // Only a SENDING mark: a send recorded meanwhile (a webhook's evidence) stays.
      await db.execute("DELETE FROM outbound_sends WHERE message_id = ? IF state = 'SENDING'", [messageId], {
        prepare: true,
      });
    },

    recordSent: (sent, channel) => recordOutboundSend(db, sent, channel),

    async recordDeadLettered(messageId, channel, reason, at) {
      await db.execute(
        'INSERT INTO outbound_sends (message_id, channel, state, provider_message_id, reason, at) VALUES (?, ?, ?, ?, ?, ?)',
        [messageId, channel, 'DEAD_LETTERED', null, reason, at],
      );
    },
  };
}

/**
 * Records that the provider accepted a message: the provider id → message mapping (for webhooks) and SENT in
 * outbound_sends, in one logged batch. Idempotent: the connector and a webhook that echoes our message id may both
 * record the same send.
 */
export async function recordOutboundSend(db: CassandraClient, sent: OutboundSend, channel: string): Promise<void> {
  await db.batch(
    [
      {
        query:
          'INSERT INTO provider_messages (provider_message_id, channel, direction, message_id, conversation_id, identity, published, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
        params: [
          sent.providerMessageId,
          channel,
          'outbound',
          sent.messageId,
          sent.conversationId,
          sent.identity,
          true,
          sent.at,
        ],
      },
      {
        query:
          'INSERT INTO outbound_sends (message_id, channel, state, provider_message_id, reason, at) VALUES (?, ?, ?, ?, ?, ?)',
        params: [sent.messageId, channel, 'SENT', sent.providerMessageId, null, sent.at],
      },
    ],
    { prepare: true, logged: true },
  );
}

const textDigest = (text: string): string => crypto.createHash('sha256').update(text).digest('base64url');

/** The sends an echo can stand for: those to its recipient with its text, oldest first. */
export async function findEchoedSends(db: CassandraClient, channel: string, key: EchoKey): Promise<EchoedSend[]> {
  const result = await db.execute(
    'SELECT message_id, conversation_id, identity, at FROM unsettled_sends WHERE channel = ? AND recipient = ? AND text_digest = ?',
    [channel, key.recipient, textDigest(key.text)],
    { prepare: true },
  );
  return result.rows
    .sort((a, b) => (a.get('at') as Date).getTime() - (b.get('at') as Date).getTime())
    .map((row) => ({
      key,
      messageId: row.get('message_id') as string,
      conversationId: row.get('conversation_id') as string,
      identity: (row.get('identity') as string | null) ?? null,
    }));
}

const toProviderMessage = (row: { get(name: string): unknown }): ProviderMessage => ({
  providerMessageId: row.get('provider_message_id') as string,
  channel: row.get('channel') as string,
  direction: row.get('direction') as ProviderMessage['direction'],
  messageId: row.get('message_id') as string,
  conversationId: row.get('conversation_id') as string,
  identity: (row.get('identity') as string | null) ?? null,
  published: Boolean(row.get('published')),
});

export async function findProviderMessage(
  db: CassandraClient,
  providerMessageId: string,
): Promise<ProviderMessage | undefined> {
  const row = (
    await db.execute('SELECT * FROM provider_messages WHERE provider_message_id = ?', [providerMessageId])
  ).first();
  return row ? toProviderMessage(row) : undefined;
}

/**
 * Claims an inbound provider message id for a new message (lightweight transaction): `claimed` when this call
 * took it, else the message it already stands for (a redelivered webhook).
 */
export async function claimInbound(
  db: CassandraClient,
  claim: Omit<ProviderMessage, 'direction' | 'published'>,
): Promise<{ claimed: true } | { claimed: false; existing: ProviderMessage }> {
  const result = await db.execute(
    'INSERT INTO provider_messages (provider_message_id, channel, direction, message_id, conversation_id, identity, published, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) IF NOT EXISTS',
    [
      claim.providerMessageId,
      claim.channel,
      'inbound',
      claim.messageId,
      claim.conversationId,
      claim.identity,
      false,
      new Date(),
    ],
  );
  if (result.wasApplied()) return { claimed: true };
  return { claimed: false, existing: toProviderMessage(result.first()) };
}

export async function markInboundPublished(db: CassandraClient, providerMessageIds: string[]): Promise<void> {
  await Promise.all(
    providerMessageIds.map((id) =>
      db.execute('UPDATE provider_messages SET published = true WHERE provider_message_id = ?', [id]),
    ),
  );
}
