import { parseRecipient } from '../channels/recipient.js';
import type { CassandraClient } from '../clients/cassandra.js';
import type { AcceptedMessage } from '../contracts/records.js';
import { privateConversationId } from '../conversations/private-id.js';
import { findConversation, findMember, putMember } from '../conversations/repository.js';
import { DomainError } from '../errors/domain.js';
import { claimIdentity, findIdentity, listIdentitiesOfUser, releaseIdentity, type IdentityLink } from './repository.js';

/** A channel identity as the API shows it. */
export interface IdentityView {
  identity: string;
  channel: 'whatsapp' | 'instagram';
  user_id: string;
  linked_at: string;
  /** The caller's conversation with this identity: where messages it sends to Chat4All land. */
  conversation_id: string;
}

/**
 * The one spelling of an identity: whatsapp:+<E.164>, or instagram:@<handle> in lower case (Instagram handles are
 * case-insensitive). 400 invalid_identity for anything else (a username is not a channel identity).
 */
export function normalizeIdentity(raw: string): string {
  let recipient;
  try {
    recipient = parseRecipient(raw.trim());
  } catch {
    recipient = undefined;
  }
  if (recipient?.kind === 'whatsapp') return `whatsapp:${recipient.phone}`;
  if (recipient?.kind === 'instagram') return `instagram:@${recipient.handle.toLowerCase()}`;
  throw new DomainError('invalid', 'identity is whatsapp:+<E.164 number> or instagram:@<handle>', 'invalid_identity');
}

/** Like normalizeIdentity, or undefined when `raw` is no channel identity. */
export function identityOf(raw: string | null | undefined): string | undefined {
  if (!raw) return undefined;
  try {
    return normalizeIdentity(raw);
  } catch {
    return undefined;
  }
}

const view = (link: IdentityLink): IdentityView => ({
  identity: link.identity,
  channel: link.identity.startsWith('whatsapp:') ? 'whatsapp' : 'instagram',
  user_id: link.userId,
  linked_at: link.linkedAt.toISOString(),
  conversation_id: privateConversationId(link.userId, link.identity),
});

/** Links the identity to the user: `created` false when they already held it; 409 identity_taken for another user. */
export async function linkIdentity(
  db: CassandraClient,
  userId: string,
  raw: string,
): Promise<{ created: boolean; identity: IdentityView }> {
  const identity = normalizeIdentity(raw);
  const existing = await findIdentity(db, identity);
  if (existing && existing.userId !== userId)
    throw new DomainError('conflict', `${identity} is linked to another user`, 'identity_taken');
  if (existing) return { created: false, identity: view(existing) };
  const holder = await claimIdentity(db, identity, userId);
  if (holder.userId !== userId)
    throw new DomainError('conflict', `${identity} is linked to another user`, 'identity_taken');
  return { created: true, identity: view(holder) };
}

export async function listIdentities(db: CassandraClient, userId: string): Promise<IdentityView[]> {
  return (await listIdentitiesOfUser(db, userId)).map(view);
}

/** 404 identity_not_found unless the user holds the identity. */
export async function unlinkIdentity(db: CassandraClient, userId: string, raw: string): Promise<void> {
  const identity = normalizeIdentity(raw);
  if (!(await releaseIdentity(db, identity, userId)))
    throw new DomainError('not_found', `you have not linked ${identity}`, 'identity_not_found');
}

/** Makes the user a member of the conversation (as a private conversation's second party) when they are not. */
export async function ensureMember(db: CassandraClient, conversationId: string, userId: string): Promise<void> {
  if (await findMember(db, conversationId, userId)) return;
  const conversation = await findConversation(db, conversationId);
  if (!conversation) return;
  await putMember(db, conversation, {
    user_id: userId,
    role: conversation.type === 'private' ? 'admin' : 'member',
    joined_at: new Date().toISOString(),
  });
}

/**
 * For the router: the Chat4All user who linked a message's channel recipient (not the sender themself), who then
 * receives it in the app instead of through the provider, as a member of the conversation. Undefined otherwise.
 */
export async function linkedRecipient(db: CassandraClient, message: AcceptedMessage): Promise<string | undefined> {
  const identity = message.channel === 'chat4all' ? undefined : identityOf(message.recipient);
  if (!identity) return undefined;
  const link = await findIdentity(db, identity);
  if (!link || link.userId === message.sender_id) return undefined;
  await ensureMember(db, message.conversation_id, link.userId);
  return link.userId;
}
