import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { CassandraClient } from '@chat4all/shared/clients/cassandra.js';

export interface Migration {
  version: number;
  name: string;
  statements: string[];
  checksum: string;
}

/** Reads `NNNN_name.cql` files in version order and splits each into statements. */
export function loadMigrations(dir: string): Migration[] {
  return fs
    .readdirSync(dir)
    .filter((file) => /^\d{4}_[a-z0-9_]+\.cql$/.test(file))
    .sort()
    .map((file) => {
      const text = fs.readFileSync(path.join(dir, file), 'utf8');
      return {
        version: Number(file.slice(0, 4)),
        name: file.replace(/\.cql$/, ''),
        statements: splitStatements(text),
        checksum: crypto.createHash('sha256').update(text).digest('hex'),
      };
    });
}

/** Splits CQL on semicolons that end a line, dropping `--` comments. */
export function splitStatements(cql: string): string[] {
  const withoutComments = cql
    .split('\n')
    .map((line) => line.replace(/--.*$/, ''))
    .join('\n');
  return withoutComments
    .split(/;\s*(?:\n|$)/)
    .map((statement) => statement.trim())
    .filter(Boolean);
}

/**
 * Creates the keyspace, then applies each migration not yet recorded in schema_migrations.
 * A recorded migration whose file changed is an error: migrations are append-only.
 */
export async function migrate(
  db: CassandraClient,
  { keyspace, replicationFactor, dir }: { keyspace: string; replicationFactor: number; dir: string },
): Promise<string[]> {
  if (!/^[a-z][a-z0-9_]*$/.test(keyspace)) throw new Error(`invalid keyspace name: ${keyspace}`);
  await db.execute(
    `CREATE KEYSPACE IF NOT EXISTS ${keyspace} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': ${replicationFactor}}`,
  );
  await db.execute(
    `CREATE TABLE IF NOT EXISTS ${keyspace}.schema_migrations (version int PRIMARY KEY, name text, checksum text, applied_at timestamp)`,
  );
  // Migrations name their tables unqualified; USE switches every connection of this client.
  await db.execute(`USE ${keyspace}`);
  const applied = new Map<number, string>();
  for (const row of (await db.execute(`SELECT version, checksum FROM ${keyspace}.schema_migrations`)).rows) {
    applied.set(row.get('version'), row.get('checksum'));
  }
  const newlyApplied: string[] = [];
  for (const migration of loadMigrations(dir)) {
    const recorded = applied.get(migration.version);
    if (recorded !== undefined) {
      if (recorded !== migration.checksum) {
        throw new Error(`migration ${migration.name} was changed after it was applied; add a new migration instead`);
      }
      continue;
    }
    for (const statement of migration.statements) await db.execute(statement);
    await db.execute(
      `INSERT INTO ${keyspace}.schema_migrations (version, name, checksum, applied_at) VALUES (?, ?, ?, ?)`,
      [migration.version, migration.name, migration.checksum, new Date()],
    );
    newlyApplied.push(migration.name);
  }
  return newlyApplied;
}
