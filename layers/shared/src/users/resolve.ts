import type { CassandraClient } from '../clients/cassandra.js';
import { DomainError } from '../errors/domain.js';
import { UUID_PATTERN } from '../ids.js';
import { findUserById, findUserByUsername, type User } from './repository.js';

/** Longer than any username (50) or user id (36): nobody, and never a query (Cassandra refuses keys over 64 KiB). */
const MAX_REF_LENGTH = 100;

/** A user named by id or by username; 404 user_not_found otherwise. */
export async function resolveUser(db: CassandraClient, ref: string): Promise<User> {
  if (ref.length > MAX_REF_LENGTH)
    throw new DomainError('not_found', `no user ${ref.slice(0, MAX_REF_LENGTH)}…`, 'user_not_found');
  const user = UUID_PATTERN.test(ref) ? await findUserById(db, ref.toLowerCase()) : await findUserByUsername(db, ref);
  if (!user) throw new DomainError('not_found', `no user ${ref}`, 'user_not_found');
  return user;
}
