import type { CassandraClient } from '../clients/cassandra.js';

export interface Connection {
  connectionId: string;
  connectedAt: Date;
}

export async function addConnection(
  db: CassandraClient,
  userId: string,
  connectionId: string,
  at = new Date(),
): Promise<void> {
  await db.batch(
    [
      {
        query: 'INSERT INTO ws_connections_by_user (user_id, connection_id, connected_at) VALUES (?, ?, ?)',
        params: [userId, connectionId, at],
      },
      {
        query: 'INSERT INTO ws_connections (connection_id, user_id, connected_at) VALUES (?, ?, ?)',
        params: [connectionId, userId, at],
      },
    ],
    { prepare: true, logged: false },
  );
}

export async function userOfConnection(db: CassandraClient, connectionId: string): Promise<string | undefined> {
  const row = (await db.execute('SELECT user_id FROM ws_connections WHERE connection_id = ?', [connectionId])).first();
  return row?.get('user_id')?.toString();
}

const owners = new Map<string, string>();
const MAX_CACHED_OWNERS = 10_000;

/**
 * userOfConnection, remembered by this process: a connection id is given to one user at $connect and never to
 * another, so the answer cannot go stale (a closed connection sends no more frames). Saves a read per frame.
 */
export async function ownerOfConnection(db: CassandraClient, connectionId: string): Promise<string | undefined> {
  const known = owners.get(connectionId);
  if (known) return known;
  const userId = await userOfConnection(db, connectionId);
  if (userId) {
    if (owners.size >= MAX_CACHED_OWNERS) owners.clear();
    owners.set(connectionId, userId);
  }
  return userId;
}

export async function removeConnection(db: CassandraClient, connectionId: string, userId?: string): Promise<void> {
  const owner = userId ?? (await userOfConnection(db, connectionId));
  const statements = [{ query: 'DELETE FROM ws_connections WHERE connection_id = ?', params: [connectionId] }];
  if (owner)
    statements.push({
      query: 'DELETE FROM ws_connections_by_user WHERE user_id = ? AND connection_id = ?',
      params: [owner, connectionId],
    });
  await db.batch(statements, { prepare: true, logged: false });
}

export async function connectionsOf(db: CassandraClient, userId: string): Promise<Connection[]> {
  const result = await db.execute('SELECT connection_id, connected_at FROM ws_connections_by_user WHERE user_id = ?', [
    userId,
  ]);
  return result.rows.map((row) => ({ connectionId: row.get('connection_id'), connectedAt: row.get('connected_at') }));
}
