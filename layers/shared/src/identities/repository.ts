import type { CassandraClient } from '../clients/cassandra.js';

export interface IdentityLink {
  identity: string;
  userId: string;
  linkedAt: Date;
}

/** Claims the identity for the user (lightweight transaction): the holder afterwards, this user or another. */
export async function claimIdentity(db: CassandraClient, identity: string, userId: string): Promise<IdentityLink> {
  const linkedAt = new Date();
  const result = await db.execute(
    'INSERT INTO identities_by_value (identity, user_id, linked_at) VALUES (?, ?, ?) IF NOT EXISTS',
    [identity, userId, linkedAt],
  );
  if (!result.wasApplied()) {
    const row = result.first();
    return { identity, userId: String(row.get('user_id')), linkedAt: row.get('linked_at') };
  }
  await db.execute('INSERT INTO identities_by_user (user_id, identity, linked_at) VALUES (?, ?, ?)', [
    userId,
    identity,
    linkedAt,
  ]);
  return { identity, userId, linkedAt };
}

export async function findIdentity(db: CassandraClient, identity: string): Promise<IdentityLink | undefined> {
  const row = (
    await db.execute('SELECT identity, user_id, linked_at FROM identities_by_value WHERE identity = ?', [identity])
  ).first();
  return row ? { identity, userId: String(row.get('user_id')), linkedAt: row.get('linked_at') } : undefined;
}

export async function listIdentitiesOfUser(db: CassandraClient, userId: string): Promise<IdentityLink[]> {
  const result = await db.execute('SELECT identity, linked_at FROM identities_by_user WHERE user_id = ?', [userId]);
  return result.rows.map((row) => ({ identity: row.get('identity'), userId, linkedAt: row.get('linked_at') }));
}

/** Releases the identity if this user holds it; false when they do not. */
export async function releaseIdentity(db: CassandraClient, identity: string, userId: string): Promise<boolean> {
  const result = await db.execute('DELETE FROM identities_by_value WHERE identity = ? IF user_id = ?', [
    identity,
    userId,
  ]);
  // Whatever the guard said, this user's own list must not keep it.
  await db.execute('DELETE FROM identities_by_user WHERE user_id = ? AND identity = ?', [userId, identity]);
  return result.wasApplied();
}
