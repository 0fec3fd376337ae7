import crypto from 'node:crypto';
import type { CassandraClient } from '../clients/cassandra.js';

export interface User {
  userId: string;
  username: string;
  email: string;
  passwordHash: string;
  createdAt: Date;
}

export interface NewUser {
  username: string;
  email: string;
  passwordHash: string;
}

export type CreateUserResult = { created: true; user: User } | { created: false; conflict: 'username' | 'email' };

const key = (value: string): string => value.trim().toLowerCase();

/**
 * Claims the username and the email with lightweight transactions, then writes the user.
 * A lost race on either claim reports the conflict and releases what this call had claimed.
 */
export async function createUser(db: CassandraClient, input: NewUser): Promise<CreateUserResult> {
  const userId = crypto.randomUUID();
  const byName = await db.execute('INSERT INTO users_by_username (username_key, user_id) VALUES (?, ?) IF NOT EXISTS', [
    key(input.username),
    userId,
  ]);
  if (!byName.wasApplied()) return { created: false, conflict: 'username' };
  const byEmail = await db.execute('INSERT INTO users_by_email (email_key, user_id) VALUES (?, ?) IF NOT EXISTS', [
    key(input.email),
    userId,
  ]);
  if (!byEmail.wasApplied()) {
    await db.execute('DELETE FROM users_by_username WHERE username_key = ? IF user_id = ?', [
      key(input.username),
      userId,
    ]);
    return { created: false, conflict: 'email' };
  }
  const user: User = {
    userId,
    username: input.username,
    email: input.email,
    passwordHash: input.passwordHash,
    createdAt: new Date(),
  };
  await db.execute('INSERT INTO users (user_id, username, email, password_hash, created_at) VALUES (?, ?, ?, ?, ?)', [
    user.userId,
    user.username,
    user.email,
    user.passwordHash,
    user.createdAt,
  ]);
  return { created: true, user };
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
  if (key(username) === '') return undefined; // no such user, and Cassandra refuses an empty key
  const row = (
    await db.execute('SELECT user_id FROM users_by_username WHERE username_key = ?', [key(username)])
  ).first();
  return row ? findUserById(db, row.get('user_id').toString()) : undefined;
}
