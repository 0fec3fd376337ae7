import type { CassandraClient } from '../clients/cassandra.js';
import { TOPICS } from '../contracts/topics.js';
import { privateConversationId, requireOwnConversationId, sameParty } from '../conversations/private-id.js';
import { findConversation, findMember, type Conversation } from '../conversations/repository.js';
import { createConversation, requireMembership } from '../conversations/service.js';
import { DomainError } from '../errors/domain.js';
import { requireAttachableFile } from '../files/service.js';
import { UUID_PATTERN, uuidv7 } from '../ids.js';
import { publishOrUnavailable } from '../kafka/producer.js';
import { counter } from '../metrics/registry.js';
import { resolveUser } from '../users/resolve.js';
import { claimIdempotencyKey, markKeyPublished, typeOf, type MessageType } from './idempotency.js';
import type { AcceptedMessage } from './model.js';
import { channelOf, formatRecipient, parseRecipient, type Recipient } from '../channels/recipient.js';

export const MAX_CONTENT_BYTES = 10_240;

export interface SendRequest {
  senderId: string;
  senderUsername: string;
  conversationId?: string | undefined;
  recipientRef?: string | undefined;
  /** sender_id from the body, kept by the Java system's clients: must be the caller. */
  claimedSenderId?: string | undefined;
  content?: string | undefined;
  fileId?: string | undefined;
  /** "text" or "file" as the body says; part of what an Idempotency-Key stands for. */
  type?: MessageType | undefined;
  idempotencyKey?: string | undefined;
  correlationId: string;
}

export interface SendReceipt {
  message_id: string;
  status: 'ACCEPTED';
  conversation_id: string;
}

function checkContent(content: string | undefined, fileId: string | undefined): void {
  if (content === undefined || content === '') {
    if (!fileId)
      throw new DomainError(
        'invalid',
        'content is required (1 to 10240 UTF-8 bytes) unless file_id is given',
        'missing_field',
      );
    return;
  }
  const bytes = Buffer.byteLength(content, 'utf8');
  if (bytes > MAX_CONTENT_BYTES) {
    throw new DomainError(
      'invalid',
      `content is ${bytes} UTF-8 bytes; the limit is ${MAX_CONTENT_BYTES}`,
      'content_too_long',
    );
  }
}

// Where it always lived, for its other users (identities, webhooks).
export { privateConversationId };

/**
 * Whether a channel recipient may be addressed in this existing conversation: in a private one, only its external
 * participant (otherwise whoever linked that address would join the two parties' conversation).
 */
const channelRecipientFits = (conversation: Conversation, recipient: Recipient | undefined): boolean =>
  recipient === undefined ||
  recipient.kind === 'user' ||
  conversation.type !== 'private' ||
  sameParty(conversation.external_participant, formatRecipient(recipient));

/**
 * The common case in one round of parallel reads: the conversation exists, the sender is a member,
 * and a recipient named by user id is one too. Returns undefined when any of that does not hold,
 * and authorizeConversation then takes the full path (which also produces the right error).
 */
async function authorizeKnownConversation(
  db: CassandraClient,
  request: SendRequest,
  recipient: Recipient | undefined,
): Promise<{ conversationId: string; resolvedRecipient: string | null } | undefined> {
  if (recipient?.kind === 'user' && !UUID_PATTERN.test(recipient.ref)) return undefined; // a username: resolve it first
  const recipientId = recipient?.kind === 'user' ? recipient.ref.toLowerCase() : undefined;
  const counterpart = recipient ? (recipientId ?? formatRecipient(recipient)) : undefined;
  if (request.conversationId) requireOwnConversationId(request.conversationId, request.senderId, counterpart);
  const conversationId =
    request.conversationId ?? (counterpart ? privateConversationId(request.senderId, counterpart) : undefined);
  if (!conversationId) return undefined;
  const otherMember = recipientId !== undefined && recipientId !== request.senderId;
  const [conversation, senderMember, recipientMember] = await Promise.all([
    findConversation(db, conversationId),
    findMember(db, conversationId, request.senderId),
    otherMember ? findMember(db, conversationId, recipientId) : undefined,
  ]);
  if (!conversation || !senderMember || (otherMember && !recipientMember)) return undefined;
  if (!channelRecipientFits(conversation, recipient)) return undefined;
  return { conversationId, resolvedRecipient: recipientId ?? (recipient ? formatRecipient(recipient) : null) };
}

/**
 * Makes sure the sender may post to the conversation, creating the private conversation of
 * sender and recipient when it does not exist yet (as the Java system's clients expect).
 * Returns the recipient as the router will see it (a user id, a channel address, or null).
 */
async function authorizeConversation(
  db: CassandraClient,
  request: SendRequest,
  recipient: Recipient | undefined,
): Promise<{ conversationId: string; resolvedRecipient: string | null }> {
  const known = await authorizeKnownConversation(db, request, recipient);
  if (known) return known;
  const recipientUser = recipient?.kind === 'user' ? await resolveUser(db, recipient.ref) : undefined;
  const resolvedRecipient = recipientUser ? recipientUser.userId : recipient ? formatRecipient(recipient) : null;
  if (request.conversationId) requireOwnConversationId(request.conversationId, request.senderId, resolvedRecipient);
  const conversationId =
    request.conversationId ??
    (resolvedRecipient ? privateConversationId(request.senderId, resolvedRecipient) : undefined);
  if (!conversationId) throw new DomainError('invalid', 'conversation_id or recipient_id is required', 'missing_field');

  let raced = false;
  const existing = await findConversation(db, conversationId);
  if (!existing) {
    if (!recipient) throw new DomainError('not_found', `no conversation ${conversationId}`, 'conversation_not_found');
    await createConversation(db, request.senderId, {
      conversationId,
      type: 'private',
      memberRefs: recipientUser ? [recipientUser.userId] : [],
      externalParticipant: recipientUser ? undefined : resolvedRecipient!,
    }).catch((error: { code?: string }) => {
      if (error.code !== 'conversation_exists') throw error;
      raced = true; // a concurrent first send created it, and may still be writing its members
    });
  }
  // Its creator writes a conversation's row first and its members right after: a member missing from a conversation
  // created a moment ago (by a concurrent first send) is looked for again before it counts as a 403.
  const mayBeBeingCreated =
    raced || (existing !== undefined && Date.now() - Date.parse(existing.created_at) < JUST_CREATED_MS);
  const member = (userId: string) =>
    mayBeBeingCreated
      ? requireMembershipOnceWritten(db, conversationId, userId)
      : requireMembership(db, conversationId, userId);
  await member(request.senderId);
  if (recipientUser && recipientUser.userId !== request.senderId) {
    await member(recipientUser.userId).catch(() => {
      throw new DomainError('forbidden', 'the recipient is not a member of this conversation', 'recipient_not_member');
    });
  }
  if (existing && !channelRecipientFits(existing, recipient)) {
    throw new DomainError(
      'forbidden',
      'a private conversation goes to its own participant only',
      'recipient_not_member',
    );
  }
  return { conversationId, resolvedRecipient };
}

/** How recent a conversation is "being created": far longer than writing its members takes. */
const JUST_CREATED_MS = 10_000;

/**
 * requireMembership right after losing the race to create a conversation: the winner writes the conversation row
 * first and its members just after, so a missing member is looked up again a few times before it counts as 403.
 */
async function requireMembershipOnceWritten(db: CassandraClient, conversationId: string, userId: string) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await requireMembership(db, conversationId, userId);
    } catch (error) {
      if ((error as { code?: string }).code !== 'not_a_member' || attempt >= 8) throw error;
      await new Promise((resolve) => setTimeout(resolve, 25 * attempt)); // 0.7 s in all: a loaded Cassandra's write
    }
  }
}

/**
 * Validates, authorizes and publishes one message to the `messages` topic; resolves only after
 * the broker acknowledged it. With an Idempotency-Key, a retry (even a concurrent one) gets the
 * same message id, and a message whose first publish failed is published on the retry; the same key with a
 * different request is a 422 idempotency_key_reused.
 */
export async function sendMessage(db: CassandraClient, request: SendRequest): Promise<SendReceipt> {
  if (
    request.claimedSenderId !== undefined &&
    ![request.senderId, request.senderUsername].includes(request.claimedSenderId)
  ) {
    throw new DomainError('forbidden', 'sender_id must be the authenticated user', 'sender_mismatch');
  }
  checkContent(request.content, request.fileId);
  const recipient = request.recipientRef ? parseRecipient(request.recipientRef) : undefined;
  const { conversationId, resolvedRecipient } = await authorizeConversation(db, request, recipient);
  if (request.fileId) await requireAttachableFile(db, request.fileId, conversationId);

  let message: AcceptedMessage = {
    message_id: uuidv7(),
    conversation_id: conversationId,
    sender_id: request.senderId,
    recipient: resolvedRecipient,
    channel: channelOf(recipient),
    content: request.content ?? null,
    file_id: request.fileId ?? null,
    created_at: new Date().toISOString(),
  };

  if (request.idempotencyKey) {
    const type = typeOf(request.type, request.fileId);
    const claim = await claimIdempotencyKey(db, request.senderId, request.idempotencyKey, message, type);
    if (!claim.fresh) {
      if (claim.published)
        return {
          message_id: claim.message.message_id,
          status: 'ACCEPTED',
          conversation_id: claim.message.conversation_id,
        };
      message = claim.message; // the first attempt never got its ack: publish the same message now
    }
  }

  await publishOrUnavailable({
    [TOPICS.messages]: [
      { key: message.conversation_id, value: message, headers: { correlation_id: request.correlationId } },
    ],
  });
  if (request.idempotencyKey) await markKeyPublished(db, request.senderId, request.idempotencyKey);
  counter('messages_accepted_total', 'Messages acknowledged by Kafka and answered 202').inc();
  return { message_id: message.message_id, status: 'ACCEPTED', conversation_id: message.conversation_id };
}
