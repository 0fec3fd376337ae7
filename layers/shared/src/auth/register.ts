import crypto from 'node:crypto';
import { hashPassword, verifyPassword } from './password.js';
import type { CassandraClient } from '../clients/cassandra.js';
import {
  claimEmail,
  claimUsername,
  deleteUser,
  findUserById,
  insertUser,
  moveUsername,
  releaseUsername,
  uniqueKey,
  type User,
} from '../users/repository.js';

export interface Registration {
  username: string;
  email: string;
  password: string;
}

/** `resumed`: this completed an earlier attempt of the same registration (same name, email and password). */
export type RegistrationResult =
  { registered: true; user: User; resumed: boolean } | { registered: false; conflict: 'username' | 'email' };

/**
 * Writes the user, then claims its username and its email with lightweight transactions.
 *
 * The row comes first because any step can time out after it took effect (a 503 to the client): a row no claim
 * points to is harmless, while a claim pointing to no row would lock the name for good. So a retry of the same
 * registration finds the name held by its earlier attempt's user, proves it is the same (email and password), and
 * finishes that attempt instead of answering 409.
 */
export async function registerUser(db: CassandraClient, input: Registration): Promise<RegistrationResult> {
  const user: User = {
    userId: crypto.randomUUID(),
    username: input.username,
    email: input.email,
    passwordHash: await hashPassword(input.password),
    createdAt: new Date(),
  };
  await insertUser(db, user);
  const name = await claimUsername(db, user.username, user.userId);
  if (name.claimed) return claimEmailOrGiveUp(db, user, false);

  const holder = await findUserById(db, name.holder);
  if (!holder && (await moveUsername(db, user.username, name.holder, user.userId))) {
    // The name was left claimed by an attempt cut off before its row existed (the order before this one).
    return claimEmailOrGiveUp(db, user, false);
  }
  await deleteUser(db, user.userId);
  if (holder && (await isSameRegistration(holder, input))) return claimEmailOrGiveUp(db, holder, true);
  return { registered: false, conflict: 'username' };
}

async function isSameRegistration(earlier: User, input: Registration): Promise<boolean> {
  return uniqueKey(earlier.email) === uniqueKey(input.email) && verifyPassword(input.password, earlier.passwordHash);
}

/** The last step. When the email is someone else's, the attempt is undone: the name is free again. */
async function claimEmailOrGiveUp(db: CassandraClient, user: User, resumed: boolean): Promise<RegistrationResult> {
  const email = await claimEmail(db, user.email, user.userId);
  if (email.claimed || email.holder === user.userId) return { registered: true, user, resumed };
  await releaseUsername(db, user.username, user.userId);
  await deleteUser(db, user.userId);
  return { registered: false, conflict: 'email' };
}
