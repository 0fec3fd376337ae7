import type { CassandraClient } from '@chat4all/shared/clients/cassandra.js';
import { registerUser } from '@chat4all/shared/auth/register.js';
import { findUserByUsername } from '@chat4all/shared/users/repository.js';

/**
 * The Java system's development users. Local and test stacks only: the provisioning that
 * seeds them never runs in a deploy.
 */
export const DEV_USERS = [
  { username: 'user_a', password: 'pass_a', email: 'user_a@chat4all.local' },
  { username: 'user_b', password: 'pass_b', email: 'user_b@chat4all.local' },
  { username: 'user_c', password: 'pass_c', email: 'user_c@chat4all.local' },
] as const;

export async function seedDevUsers(db: CassandraClient): Promise<string[]> {
  const created: string[] = [];
  for (const user of DEV_USERS) {
    if (await findUserByUsername(db, user.username)) continue;
    const result = await registerUser(db, user);
    if (result.registered) created.push(user.username);
  }
  return created;
}
