import crypto from 'node:crypto';
import type { CassandraClient } from '../clients/cassandra.js';
import { findUserByUsername, type User } from '../users/repository.js';
import { hashPassword, verifyPassword } from './password.js';
import { clearAttempts } from './throttle/store.js';
import {
  assess,
  countAttempt,
  loginScopes,
  MAX_USERNAME,
  recheck,
  type ScopeName,
  type ThrottleSettings,
} from './throttle/throttle.js';

export type LoginResult =
  | { outcome: 'ok'; user: User }
  | { outcome: 'invalid' }
  | { outcome: 'throttled'; retryAfterMs: number; scope: ScopeName | undefined };

// Unknown users still cost one scrypt verification, so the answer's timing does not tell who exists.
// Hashed at cold start with the current cost parameters.
const dummyHash = hashPassword(crypto.randomBytes(16).toString('base64url'));

/**
 * Checks a username and password, throttled per account and per client address (see throttle/throttle.ts):
 * 1. the scopes' state is read once; while they wait, the answer is `throttled` without checking the password
 *    (a right password included, or throttling would not slow down guessing);
 * 2. the password is checked; a failure is counted against both scopes;
 * 3. the state is read again (see recheck), counting what other attempts on any API instance counted meanwhile, and
 *    the answer is `throttled` if they used up the allowance: a burst of simultaneous guesses gets no more answers
 *    than guesses one after the other would, and a right and a wrong password are refused alike;
 * 4. a success clears the account's failures (never the address's: a login of one's own account must not buy
 *    guesses at others').
 */
export async function logIn(
  db: CassandraClient,
  { username, password, ip }: { username: string; password: string; ip: string | undefined },
  settings?: ThrottleSettings,
): Promise<LoginResult> {
  const scopes = loginScopes(username, ip, settings);
  const before = await assess(db, scopes);
  if (!before.allowed) return { outcome: 'throttled', retryAfterMs: before.retryAfterMs, scope: before.scope };

  const user = username.length <= MAX_USERNAME ? await findUserByUsername(db, username) : undefined;
  const valid = await verifyPassword(password, user?.passwordHash ?? (await dummyHash));
  const succeeded = user !== undefined && valid;

  const after = await recheck(db, scopes, succeeded ? [] : await countAttempt(db, scopes));
  if (!after.allowed) return { outcome: 'throttled', retryAfterMs: after.retryAfterMs, scope: after.scope };
  if (!succeeded) return { outcome: 'invalid' };

  const account = scopes.find((scope) => scope.name === 'account');
  if (account && after.attempts.has(account.key)) await clearAttempts(db, account.key);
  return { outcome: 'ok', user };
}
