import type { CassandraClient } from '../clients/cassandra.js';
import { DomainError } from '../errors/domain.js';
import { uuidv7 } from '../ids.js';
import { resolveUser } from '../users/resolve.js';
import { isPrivateNamespace, requireOwnConversationId } from './private-id.js';
import {
  deleteMember,
  findConversation,
  findMember,
  insertConversation,
  listMembers,
  putMember,
  type Conversation,
  type ConversationType,
  type Member,
} from './repository.js';

export const MAX_MEMBERS = 256;
export const CONVERSATION_ID = /^[A-Za-z0-9_:.+@-]{1,128}$/;

export interface ConversationView extends Conversation {
  members: Member[];
}

export interface NewConversation {
  conversationId?: string | undefined;
  type: ConversationType;
  name?: string | undefined;
  /** Usernames or user ids, besides the creator. */
  memberRefs: string[];
  externalParticipant?: string | undefined;
}

/** Creates a private or group conversation; the creator is its first admin. */
export async function createConversation(
  db: CassandraClient,
  creatorId: string,
  input: NewConversation,
): Promise<ConversationView> {
  const others = await Promise.all([...new Set(input.memberRefs)].map((ref) => resolveUser(db, ref)));
  const otherIds = [...new Set(others.map((user) => user.userId))].filter((id) => id !== creatorId);
  if (input.type === 'private' && otherIds.length + (input.externalParticipant ? 1 : 0) !== 1) {
    throw new DomainError('invalid', 'a private conversation has exactly one other participant', 'invalid_members');
  }
  if (input.conversationId !== undefined && isPrivateNamespace(input.conversationId)) {
    if (input.type !== 'private')
      throw new DomainError(
        'invalid',
        'conversation ids starting with "private:" are reserved for private conversations',
        'reserved_conversation_id',
      );
    requireOwnConversationId(input.conversationId, creatorId, otherIds[0] ?? input.externalParticipant);
  }
  if (otherIds.length + 1 > MAX_MEMBERS) {
    throw new DomainError('conflict', `a conversation has at most ${MAX_MEMBERS} members`, 'member_limit_reached');
  }
  const now = new Date().toISOString();
  const conversation: Conversation = {
    conversation_id: input.conversationId ?? uuidv7(),
    type: input.type,
    name: input.name ?? null,
    created_by: creatorId,
    created_at: now,
    external_participant: input.externalParticipant ?? null,
  };
  if (!(await insertConversation(db, conversation))) {
    throw new DomainError(
      'conflict',
      `conversation ${conversation.conversation_id} already exists`,
      'conversation_exists',
    );
  }
  const members: Member[] = [
    { user_id: creatorId, role: 'admin', joined_at: now },
    ...otherIds.map((userId): Member => ({
      user_id: userId,
      role: input.type === 'private' ? 'admin' : 'member',
      joined_at: now,
    })),
  ];
  await Promise.all(members.map((member) => putMember(db, conversation, member)));
  return { ...conversation, members };
}

/** The conversation when `userId` is a member: 404 when it does not exist, 403 when not a member. */
export async function requireMembership(
  db: CassandraClient,
  conversationId: string,
  userId: string,
): Promise<{ conversation: Conversation; member: Member }> {
  const [conversation, member] = await Promise.all([
    findConversation(db, conversationId),
    findMember(db, conversationId, userId),
  ]);
  if (!conversation) throw new DomainError('not_found', `no conversation ${conversationId}`, 'conversation_not_found');
  if (!member) throw new DomainError('forbidden', 'you are not a member of this conversation', 'not_a_member');
  return { conversation, member };
}

async function requireGroupAdmin(db: CassandraClient, conversationId: string, actorId: string): Promise<Conversation> {
  const { conversation, member } = await requireMembership(db, conversationId, actorId);
  if (conversation.type !== 'group')
    throw new DomainError('conflict', 'a private conversation has fixed members', 'not_a_group');
  if (member.role !== 'admin') throw new DomainError('forbidden', 'only admins change membership', 'not_an_admin');
  return conversation;
}

export async function getConversation(
  db: CassandraClient,
  conversationId: string,
  userId: string,
): Promise<ConversationView> {
  const { conversation } = await requireMembership(db, conversationId, userId);
  return { ...conversation, members: await listMembers(db, conversationId) };
}

export async function addMembers(
  db: CassandraClient,
  conversationId: string,
  actorId: string,
  refs: string[],
): Promise<ConversationView> {
  const conversation = await requireGroupAdmin(db, conversationId, actorId);
  const users = await Promise.all([...new Set(refs)].map((ref) => resolveUser(db, ref)));
  const current = await listMembers(db, conversationId);
  const currentIds = new Set(current.map((member) => member.user_id));
  const newcomers = [...new Set(users.map((user) => user.userId))].filter((id) => !currentIds.has(id));
  if (current.length + newcomers.length > MAX_MEMBERS) {
    throw new DomainError('conflict', `a conversation has at most ${MAX_MEMBERS} members`, 'member_limit_reached');
  }
  const now = new Date().toISOString();
  const added = newcomers.map((userId): Member => ({ user_id: userId, role: 'member', joined_at: now }));
  await Promise.all(added.map((member) => putMember(db, conversation, member)));
  return { ...conversation, members: [...current, ...added] };
}

/** Admins remove anyone; any member may remove themself (leave). */
export async function removeMember(
  db: CassandraClient,
  conversationId: string,
  actorId: string,
  userId: string,
): Promise<void> {
  if (userId !== actorId) await requireGroupAdmin(db, conversationId, actorId);
  else await requireMembership(db, conversationId, actorId);
  if (!(await findMember(db, conversationId, userId)))
    throw new DomainError('not_found', 'that user is not a member', 'member_not_found');
  await deleteMember(db, conversationId, userId);
}

export async function promoteAdmin(
  db: CassandraClient,
  conversationId: string,
  actorId: string,
  userRef: string,
): Promise<Member> {
  const conversation = await requireGroupAdmin(db, conversationId, actorId);
  const user = await resolveUser(db, userRef);
  const member = await findMember(db, conversationId, user.userId);
  if (!member) throw new DomainError('not_found', 'that user is not a member', 'member_not_found');
  const promoted: Member = { ...member, role: 'admin' };
  await putMember(db, conversation, promoted);
  return promoted;
}
