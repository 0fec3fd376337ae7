import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { loadMigrations, splitStatements } from '../../infra/provision/cassandra-migrations.js';
import { ROOT } from '../../infra/stack/paths.js';

describe('cassandra migrations', () => {
  it('splits CQL into statements without comments', () => {
    const statements = splitStatements(`-- a comment; with a semicolon
CREATE TABLE a (id int PRIMARY KEY);  -- trailing
CREATE TABLE b (
  id int PRIMARY KEY -- inline
);
`);
    assert.deepEqual(statements, ['CREATE TABLE a (id int PRIMARY KEY)', 'CREATE TABLE b (\n  id int PRIMARY KEY \n)']);
  });

  it('has unique, increasing versions and only idempotent DDL', () => {
    const migrations = loadMigrations(path.join(ROOT, 'infra/cassandra/migrations'));
    assert.ok(migrations.length > 0);
    const versions = migrations.map((migration) => migration.version);
    assert.deepEqual(
      versions,
      [...new Set(versions)].sort((a, b) => a - b),
    );
    for (const migration of migrations) {
      for (const statement of migration.statements) {
        if (/^CREATE (TABLE|INDEX|TYPE|CUSTOM INDEX)/i.test(statement)) {
          assert.match(statement, /IF NOT EXISTS/i, `${migration.name}: ${statement.slice(0, 60)}`);
        }
      }
    }
  });
});
