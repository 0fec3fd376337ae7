import type { CassandraClient } from '../../clients/cassandra.js';
import { config } from '../../config.js';
import { DomainError } from '../../errors/domain.js';
import { addressKey, canonicalIp } from './address.js';
import { attemptsToMaxDelay, retryAfterSeconds, throttlePolicy, waitMs, type ThrottlePolicy } from './policy.js';
import { forgetAttempts, readAttempts, recordAttempt, type Attempt, type AttemptRow } from './store.js';

/** Failed logins per account and per client address; registrations per client address. */
export type ScopeName = 'account' | 'address' | 'register';

export interface Scope {
  name: ScopeName;
  /** The row key in auth_throttle, e.g. `account:user_a`. */
  key: string;
  policy: ThrottlePolicy;
}

export interface ThrottleSettings {
  account: ThrottlePolicy;
  address: ThrottlePolicy;
  register: ThrottlePolicy;
  /** Addresses never throttled (canonical spelling, see canonicalIp). */
  exemptAddresses: ReadonlySet<string>;
}

const policies = config.authThrottle;
export const defaultSettings: ThrottleSettings = {
  account: throttlePolicy(policies.account),
  address: throttlePolicy(policies.address),
  register: throttlePolicy(policies.register),
  exemptAddresses: new Set(policies.exemptAddresses.map((ip) => canonicalIp(ip) ?? ip)),
};

/** Registration allows no longer name: a longer one is nobody's. */
export const MAX_USERNAME = 50;
// The users repository's key: the same account whatever the case or surrounding spaces of its name.
const accountName = (username: string) => username.trim().toLowerCase();

function addressScopeKey(ip: string | undefined, settings: ThrottleSettings): string | undefined {
  const canonical = ip === undefined ? undefined : canonicalIp(ip);
  if (canonical === undefined || settings.exemptAddresses.has(canonical)) return undefined;
  return addressKey(canonical);
}

/**
 * A login's scopes: its account (whether or not it exists, so that throttling does not tell which names exist;
 * none for a name too long to be anyone's) and its client address (none when unknown or exempt).
 */
export function loginScopes(username: string, ip: string | undefined, settings = defaultSettings): Scope[] {
  const scopes: Scope[] = [];
  const name = accountName(username);
  if (name !== '' && username.length <= MAX_USERNAME)
    scopes.push({ name: 'account', key: `account:${name}`, policy: settings.account });
  const address = addressScopeKey(ip, settings);
  if (address !== undefined) scopes.push({ name: 'address', key: `address:${address}`, policy: settings.address });
  return scopes;
}

/** A registration's scope: its client address (none when unknown or exempt). */
export function registrationScopes(ip: string | undefined, settings = defaultSettings): Scope[] {
  const address = addressScopeKey(ip, settings);
  return address === undefined ? [] : [{ name: 'register', key: `register:${address}`, policy: settings.register }];
}

export interface Verdict {
  allowed: boolean;
  /** How long the client should wait before its next attempt (0: no wait). */
  retryAfterMs: number;
  /** The scope that holds the client back longest. */
  scope?: ScopeName;
  /** The attempts seen, by key. */
  attempts: Map<string, Attempt[]>;
}

/**
 * Reads the scopes' recent attempts (one query) and judges them. `exclude`: the caller's own attempt rows, which
 * count for whoever comes next but do not hold back the caller itself.
 */
export async function assess(
  db: CassandraClient,
  scopes: readonly Scope[],
  { exclude = [], now = Date.now }: { exclude?: readonly AttemptRow[]; now?: () => number } = {},
): Promise<Verdict> {
  // One row more than a policy needs: the caller's own row may be among those read.
  const limit = Math.max(0, ...scopes.map((scope) => attemptsToMaxDelay(scope.policy))) + 1;
  const attempts = await readAttempts(
    db,
    scopes.map((scope) => scope.key),
    limit,
  );
  const own = new Set(exclude.map((row) => row.id));
  const at = now();
  let retryAfterMs = 0;
  let scopeName: ScopeName | undefined;
  for (const scope of scopes) {
    const others = (attempts.get(scope.key) ?? []).filter((attempt) => !own.has(attempt.id));
    const wait = waitMs(
      others.map((attempt) => attempt.at),
      at,
      scope.policy,
    );
    if (wait > retryAfterMs) [retryAfterMs, scopeName] = [wait, scope.name];
  }
  return { allowed: retryAfterMs === 0, retryAfterMs, ...(scopeName ? { scope: scopeName } : {}), attempts };
}

/** Counts one attempt against every scope, each for its policy's window; returns the new rows. */
export const countAttempt = (db: CassandraClient, scopes: readonly Scope[]): Promise<AttemptRow[]> =>
  recordAttempt(
    db,
    scopes.map((scope) => ({ key: scope.key, ttlSeconds: Math.ceil(scope.policy.windowMs / 1000) })),
  );

/**
 * Judges an attempt again once it was counted (`mine`, none for an attempt that does not count), seeing whatever
 * other attempts any API instance counted meanwhile. Every attempt counts itself before it reads, so of N
 * simultaneous ones the k-th to read sees at least the k − 1 before it that went ahead: a burst gets no more through
 * than the same attempts one after the other would (it may get fewer). A refused attempt's rows are forgotten:
 * refused attempts never count, so waiting out Retry-After always works.
 */
export async function recheck(db: CassandraClient, scopes: readonly Scope[], mine: AttemptRow[]): Promise<Verdict> {
  const verdict = await assess(db, scopes, { exclude: mine });
  if (!verdict.allowed && mine.length > 0) await forgetAttempts(db, mine);
  return verdict;
}

/**
 * Admits an attempt whose every try counts (a registration): refused at once, without a write, while the scopes
 * wait; else counted first and then rechecked.
 */
export async function admit(db: CassandraClient, scopes: readonly Scope[]): Promise<Verdict> {
  const before = await assess(db, scopes);
  if (!before.allowed || scopes.length === 0) return before;
  return recheck(db, scopes, await countAttempt(db, scopes));
}

/** The refusal of a throttled attempt, with its retry-after in whole seconds. */
export function throttledError(code: string, what: string, retryAfterMs: number): DomainError {
  const seconds = retryAfterSeconds(retryAfterMs);
  return new DomainError('rate_limited', `too many ${what}; retry in ${seconds} s`, code, {
    retryAfterSeconds: seconds,
  });
}
