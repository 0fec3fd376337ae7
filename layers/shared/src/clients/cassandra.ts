import cassandra from 'cassandra-driver';
import { config } from '../config.js';
import { counter } from '../metrics/registry.js';

const { Client, policies } = cassandra;

export type CassandraClient = InstanceType<typeof Client>;

export interface CassandraOptions {
  /** Omit to connect without a keyspace (migrations create it). */
  keyspace?: string | undefined;
}

/** A new client with the stack's settings; the handlers share one through getCassandra(). */
export function createCassandraClient(options: CassandraOptions = {}): CassandraClient {
  const client = new Client({
    contactPoints: config.cassandra.contactPoints,
    localDataCenter: config.cassandra.localDataCenter,
    ...(options.keyspace ? { keyspace: options.keyspace } : {}),
    socketOptions: { connectTimeout: 3000, readTimeout: 5000 },
    // Reconnect quickly once a node comes back: the default waits up to 10 minutes.
    policies: { reconnection: new policies.reconnection.ExponentialReconnectionPolicy(250, 2000, false) },
    queryOptions: { prepare: true, consistency: cassandra.types.consistencies.localQuorum },
  });
  return countingStatements(client);
}

/**
 * The cost counters of the per-message budget, counted where the statements leave our code: every
 * execute() is one statement (kind `single`), every batch() one batch and as many statements (kind `batched`) as it
 * holds. Per process (per function bundle), so the Pushgateway's `function` grouping label names the function that
 * ran them. A counter increment per call, nothing awaited: the hot path sends thousands of statements a second.
 */
const statementsTotal = () =>
  counter(
    'cassandra_statements_total',
    'CQL statements sent to Cassandra: single (execute) or batched (each statement of a batch)',
    ['kind'],
  );
const batchesTotal = () => counter('cassandra_batches_total', 'CQL batches sent to Cassandra');
const SINGLE = { kind: 'single' } as const;
const BATCHED = { kind: 'batched' } as const;

type AnyCall = (this: unknown, ...args: unknown[]) => unknown;

function countingStatements(client: CassandraClient): CassandraClient {
  const execute = client.execute as AnyCall;
  const batch = client.batch as AnyCall;
  client.execute = function (this: unknown, ...args: unknown[]) {
    statementsTotal().inc(SINGLE);
    return execute.apply(this, args);
  } as CassandraClient['execute'];
  client.batch = function (this: unknown, ...args: unknown[]) {
    const queries = args[0];
    batchesTotal().inc();
    if (Array.isArray(queries) && queries.length > 0) statementsTotal().inc(BATCHED, queries.length);
    return batch.apply(this, args);
  } as CassandraClient['batch'];
  return client;
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
