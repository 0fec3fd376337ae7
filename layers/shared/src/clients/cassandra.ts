import cassandra from 'cassandra-driver';
import { config } from '../config.js';

const { Client, policies } = cassandra;

export type CassandraClient = InstanceType<typeof Client>;

export interface CassandraOptions {
  /** Omit to connect without a keyspace (migrations create it). */
  keyspace?: string | undefined;
}

/** A new client with the stack's settings; the handlers share one through getCassandra(). */
export function createCassandraClient(options: CassandraOptions = {}): CassandraClient {
  return new Client({
    contactPoints: config.cassandra.contactPoints,
    localDataCenter: config.cassandra.localDataCenter,
    ...(options.keyspace ? { keyspace: options.keyspace } : {}),
    socketOptions: { connectTimeout: 3000, readTimeout: 5000 },
    // Reconnect quickly once a node comes back: the default waits up to 10 minutes.
    policies: { reconnection: new policies.reconnection.ExponentialReconnectionPolicy(250, 2000, false) },
    queryOptions: { prepare: true, consistency: cassandra.types.consistencies.localQuorum },
  });
}

/**
 * A missing value bound as "unset" rather than null: a null written by an INSERT is a tombstone cell, which every
 * later read of the row scans and compaction carries (the hot tables got one to three per message).
 */
export const unsetIfNull = <T>(value: T | null | undefined): T | undefined => value ?? undefined;

let shared: CassandraClient | undefined;

/** The process-wide client bound to the chat4all keyspace (one per process, connects on first query). */
export function getCassandra(): CassandraClient {
  shared ??= createCassandraClient({ keyspace: config.cassandra.keyspace });
  return shared;
}
