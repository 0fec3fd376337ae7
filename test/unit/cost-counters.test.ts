import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';

// A Cassandra nobody listens on: every statement fails at once, after the client counted it. Set before the shared
// layer reads its configuration.
process.env.CASSANDRA_CONTACT_POINTS = '127.0.0.1:1';
process.env.LOG_LEVEL = 'info';

const { registry } = await import('@chat4all/shared/metrics/registry.js');
const { createCassandraClient } = await import('@chat4all/shared/clients/cassandra.js');
const { logger } = await import('@chat4all/shared/logger.js');

/** The value of one series of the process's registry (0 when absent). */
async function value(name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (!metric) return 0;
  const { values } = await metric.get();
  return values
    .filter((v) => Object.entries(labels).every(([key, expected]) => v.labels[key] === expected))
    .reduce((sum, v) => sum + v.value, 0);
}

describe('cost counters, counted at the source', () => {
  before(() => registry.resetMetrics());

  it('counts every execute as one statement, every batch as one batch and each of its statements', async () => {
    const client = createCassandraClient();
    try {
      const [single, batched] = [
        await value('cassandra_statements_total', { kind: 'single' }),
        await value('cassandra_statements_total', { kind: 'batched' }),
      ];
      await assert.rejects(client.execute('SELECT now() FROM system.local'));
      await assert.rejects(client.execute('SELECT now() FROM system.local', [], { prepare: true }));
      await assert.rejects(
        client.batch(
          [
            { query: 'INSERT INTO t (k) VALUES (?)', params: [1] },
            { query: 'INSERT INTO t (k) VALUES (?)', params: [2] },
            { query: 'INSERT INTO t (k) VALUES (?)', params: [3] },
          ],
          { prepare: true },
        ),
      );
      assert.equal((await value('cassandra_statements_total', { kind: 'single' })) - single, 2);
      assert.equal((await value('cassandra_statements_total', { kind: 'batched' })) - batched, 3);
      assert.equal(await value('cassandra_batches_total'), 1);
    } finally {
      await client.shutdown();
    }
  });

  it('keeps the driver’s callback form working', async () => {
    const client = createCassandraClient();
    try {
      const error = await new Promise<unknown>((resolve) => {
        client.execute('SELECT now() FROM system.local', (err: unknown) => resolve(err));
      });
      assert.ok(error instanceof Error);
    } finally {
      await client.shutdown();
    }
  });

  it('counts the log lines written, by level, child loggers included, and none of a disabled level', async () => {
    const [info, warn, debug] = [
      await value('log_lines_total', { level: 'info' }),
      await value('log_lines_total', { level: 'warn' }),
      await value('log_lines_total', { level: 'debug' }),
    ];
    logger.info({ function: 'cost-counters-test' }, 'one info line');
    logger.child({ component: 'child' }).info('another info line');
    logger.warn('a warning');
    logger.debug('below the level: not written, not counted');
    assert.equal((await value('log_lines_total', { level: 'info' })) - info, 2);
    assert.equal((await value('log_lines_total', { level: 'warn' })) - warn, 1);
    assert.equal((await value('log_lines_total', { level: 'debug' })) - debug, 0);
  });
});
