import type { CassandraClient } from '../clients/cassandra.js';
import { notFound } from '../http/errors.js';
import { UUID_PATTERN } from '../ids.js';
import { findUserById, findUserByUsername, type User } from './repository.js';

/** A user named by id or by username; 404 user_not_found otherwise. */
export async function resolveUser(db: CassandraClient, ref: string): Promise<User> {
  const user = UUID_PATTERN.test(ref) ? await findUserById(db, ref.toLowerCase()) : await findUserByUsername(db, ref);
  if (!user) throw notFound(`no user ${ref}`, 'user_not_found');
  return user;
}
