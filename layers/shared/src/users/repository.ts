import type { CassandraClient } from '../clients/cassandra.js';

export interface User {
  userId: string;
  username: string;
  email: string;
  passwordHash: string;
  createdAt: Date;
}

/** A claim of a unique key (a username or an email): taken by this call, or held by `holder`. */
export type Claim = { claimed: true } | { claimed: false; holder: string };

/** Usernames and emails are unique regardless of case and surrounding spaces. */
export const uniqueKey = (value: string): string => value.trim().toLowerCase();

export async function insertUser(db: CassandraClient, user: User): Promise<void> {
  await db.execute('INSERT INTO users (user_id, username, email, password_hash, created_at) VALUES (?, ?, ?, ?, ?)', [
    user.userId,
    user.username,
    user.email,
    user.passwordHash,
    user.createdAt,
  ]);
}

export async function deleteUser(db: CassandraClient, userId: string): Promise<void> {
  await db.execute('DELETE FROM users WHERE user_id = ?', [userId]);
}

/** Claims the username for `userId` with a lightweight transaction. */
export async function claimUsername(db: CassandraClient, username: string, userId: string): Promise<Claim> {
  return claim(
    db,
    'INSERT INTO users_by_username (username_key, user_id) VALUES (?, ?) IF NOT EXISTS',
    uniqueKey(username),
    userId,
  );
}

/** Claims the email for `userId` with a lightweight transaction. */
export async function claimEmail(db: CassandraClient, email: string, userId: string): Promise<Claim> {
  return claim(
    db,
    'INSERT INTO users_by_email (email_key, user_id) VALUES (?, ?) IF NOT EXISTS',
    uniqueKey(email),
    userId,
  );
}

/** Moves a username's claim from `from` to `to`, only if `from` still holds it. */
export async function moveUsername(db: CassandraClient, username: string, from: string, to: string): Promise<boolean> {
  const result = await db.execute('UPDATE users_by_username SET user_id = ? WHERE username_key = ? IF user_id = ?', [
    to,
    uniqueKey(username),
    from,
  ]);
  return result.wasApplied();
}

/** Releases the username, only if `userId` holds it. */
export async function releaseUsername(db: CassandraClient, username: string, userId: string): Promise<void> {
  await db.execute('DELETE FROM users_by_username WHERE username_key = ? IF user_id = ?', [
    uniqueKey(username),
    userId,
  ]);
}

export async function findUserById(db: CassandraClient, userId: string): Promise<User | undefined> {
  const row = (
    await db.execute('SELECT user_id, username, email, password_hash, created_at FROM users WHERE user_id = ?', [
      userId,
    ])
  ).first();
  if (!row) return undefined;
  return {
    userId: row.get('user_id').toString(),
    username: row.get('username'),
    email: row.get('email'),
    passwordHash: row.get('password_hash'),
    createdAt: row.get('created_at'),
  };
}

export async function findUserByUsername(db: CassandraClient, username: string): Promise<User | undefined> {
  if (uniqueKey(username) === '') return undefined; // no such user, and Cassandra refuses an empty key
  const row = (
    await db.execute('SELECT user_id FROM users_by_username WHERE username_key = ?', [uniqueKey(username)])
  ).first();
  return row ? findUserById(db, row.get('user_id').toString()) : undefined;
}

async function claim(db: CassandraClient, insertIfNotExists: string, key: string, userId: string): Promise<Claim> {
  const result = await db.execute(insertIfNotExists, [key, userId]);
  if (result.wasApplied()) return { claimed: true };
  // A lightweight transaction that did not apply answers with the row that stopped it.
  return { claimed: false, holder: String(result.first().get('user_id')) };
}
