import cassandra from 'cassandra-driver';
import type { CassandraClient } from '../../clients/cassandra.js';

const { TimeUuid } = cassandra.types;

/**
 * The auth_throttle table (migration 0007): one row per counted attempt, in the partition of its key
 * (`account:<name>`, `address:<ip>`, `register:<ip>`), newest first, gone when its TTL (the window) ends. Each attempt
 * writes a row of its own, so attempts made at once by any number of API instances are all counted (no
 * read-modify-write to lose, no counter column, which could not expire).
 */

/** One counted attempt of a key: its row id and when it was made (ms since the epoch). */
export interface Attempt {
  id: string;
  at: number;
}

/** The newest attempts of each key, at most `limit` per key, newest first. Keys without attempts are absent. */
export async function readAttempts(
  db: CassandraClient,
  keys: readonly string[],
  limit: number,
): Promise<Map<string, Attempt[]>> {
  const found = new Map<string, Attempt[]>();
  if (keys.length === 0) return found;
  const result = await db.execute(
    'SELECT scope_key, attempt_id FROM auth_throttle WHERE scope_key IN ? PER PARTITION LIMIT ?',
    [keys, limit],
  );
  for (const row of result.rows) {
    const id = row.get('attempt_id') as InstanceType<typeof TimeUuid>;
    const key = row.get('scope_key') as string;
    const attempts = found.get(key) ?? [];
    attempts.push({ id: id.toString(), at: id.getDate().getTime() });
    found.set(key, attempts);
  }
  return found;
}

/** One row of auth_throttle: an attempt counted against a key. */
export interface AttemptRow {
  key: string;
  id: string;
}

/** Counts one attempt against each key, for `ttlSeconds` each; returns the new rows. */
export async function recordAttempt(
  db: CassandraClient,
  keys: readonly { key: string; ttlSeconds: number }[],
): Promise<AttemptRow[]> {
  const rows = keys.map(({ key, ttlSeconds }) => ({ key, id: TimeUuid.now(), ttlSeconds }));
  await Promise.all(
    rows.map(({ key, id, ttlSeconds }) =>
      db.execute('INSERT INTO auth_throttle (scope_key, attempt_id) VALUES (?, ?) USING TTL ?', [key, id, ttlSeconds]),
    ),
  );
  return rows.map(({ key, id }) => ({ key, id: id.toString() }));
}

/** Forgets attempts that were counted and then refused after all. */
export async function forgetAttempts(db: CassandraClient, rows: readonly AttemptRow[]): Promise<void> {
  await Promise.all(
    rows.map(({ key, id }) =>
      db.execute('DELETE FROM auth_throttle WHERE scope_key = ? AND attempt_id = ?', [key, TimeUuid.fromString(id)]),
    ),
  );
}

/** Forgets every attempt of a key (one partition tombstone). */
export async function clearAttempts(db: CassandraClient, key: string): Promise<void> {
  await db.execute('DELETE FROM auth_throttle WHERE scope_key = ?', [key]);
}
