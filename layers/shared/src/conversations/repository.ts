import type { CassandraClient } from '../clients/cassandra.js';

export type ConversationType = 'private' | 'group';
export type MemberRole = 'admin' | 'member';

export interface Conversation {
  conversation_id: string;
  type: ConversationType;
  name: string | null;
  created_by: string;
  created_at: string;
  external_participant: string | null;
}

export interface Member {
  user_id: string;
  role: MemberRole;
  joined_at: string;
}

export async function findConversation(db: CassandraClient, conversationId: string): Promise<Conversation | undefined> {
  const row = (await db.execute('SELECT * FROM conversations WHERE conversation_id = ?', [conversationId])).first();
  if (!row) return undefined;
  return {
    conversation_id: row.get('conversation_id'),
    type: row.get('type'),
    name: row.get('name'),
    created_by: row.get('created_by')?.toString(),
    created_at: row.get('created_at')?.toISOString(),
    external_participant: row.get('external_participant'),
  };
}

/** Creates the conversation unless the id is taken (lightweight transaction); true when created. */
export async function insertConversation(db: CassandraClient, conversation: Conversation): Promise<boolean> {
  const result = await db.execute(
    'INSERT INTO conversations (conversation_id, type, name, created_by, created_at, external_participant) VALUES (?, ?, ?, ?, ?, ?) IF NOT EXISTS',
    [
      conversation.conversation_id,
      conversation.type,
      conversation.name,
      conversation.created_by,
      new Date(conversation.created_at),
      conversation.external_participant,
    ],
  );
  return result.wasApplied();
}

export async function findMember(
  db: CassandraClient,
  conversationId: string,
  userId: string,
): Promise<Member | undefined> {
  const row = (
    await db.execute(
      'SELECT user_id, role, joined_at FROM conversation_members WHERE conversation_id = ? AND user_id = ?',
      [conversationId, userId],
    )
  ).first();
  return row
    ? { user_id: row.get('user_id').toString(), role: row.get('role'), joined_at: row.get('joined_at').toISOString() }
    : undefined;
}

export async function listMembers(db: CassandraClient, conversationId: string): Promise<Member[]> {
  const result = await db.execute(
    'SELECT user_id, role, joined_at FROM conversation_members WHERE conversation_id = ?',
    [conversationId],
  );
  return result.rows.map((row) => ({
    user_id: row.get('user_id').toString(),
    role: row.get('role'),
    joined_at: row.get('joined_at').toISOString(),
  }));
}

/** Adds (or re-roles) a member in both the conversation's member list and the user's conversation list. */
export async function putMember(db: CassandraClient, conversation: Conversation, member: Member): Promise<void> {
  const joinedAt = new Date(member.joined_at);
  await db.batch(
    [
      {
        query: 'INSERT INTO conversation_members (conversation_id, user_id, role, joined_at) VALUES (?, ?, ?, ?)',
        params: [conversation.conversation_id, member.user_id, member.role, joinedAt],
      },
      {
        query:
          'INSERT INTO conversations_by_user (user_id, conversation_id, type, name, joined_at) VALUES (?, ?, ?, ?, ?)',
        params: [member.user_id, conversation.conversation_id, conversation.type, conversation.name, joinedAt],
      },
    ],
    { prepare: true, logged: true },
  );
}

export async function deleteMember(db: CassandraClient, conversationId: string, userId: string): Promise<void> {
  await db.batch(
    [
      {
        query: 'DELETE FROM conversation_members WHERE conversation_id = ? AND user_id = ?',
        params: [conversationId, userId],
      },
      {
        query: 'DELETE FROM conversations_by_user WHERE user_id = ? AND conversation_id = ?',
        params: [userId, conversationId],
      },
    ],
    { prepare: true, logged: true },
  );
}

export interface ConversationSummary {
  conversation_id: string;
  type: ConversationType;
  name: string | null;
  joined_at: string;
}

/** The user's conversations in id order, after `afterId` when paging. */
export async function listConversationsOfUser(
  db: CassandraClient,
  userId: string,
  { afterId, limit }: { afterId?: string | undefined; limit: number },
): Promise<ConversationSummary[]> {
  const columns = 'conversation_id, type, name, joined_at';
  const result = afterId
    ? await db.execute(
        `SELECT ${columns} FROM conversations_by_user WHERE user_id = ? AND conversation_id > ? LIMIT ?`,
        [userId, afterId, limit],
      )
    : await db.execute(`SELECT ${columns} FROM conversations_by_user WHERE user_id = ? LIMIT ?`, [userId, limit]);
  return result.rows.map((row) => ({
    conversation_id: row.get('conversation_id'),
    type: row.get('type'),
    name: row.get('name'),
    joined_at: row.get('joined_at').toISOString(),
  }));
}
