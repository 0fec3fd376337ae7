import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { healthReport } from '@chat4all/shared/health/checks.js';

describe('health report', () => {
  it('is up when every dependency answers, with a latency for each', async () => {
    const report = await healthReport({ kafka: async () => undefined, s3: async () => undefined });
    assert.equal(report.status, 'up');
    assert.deepEqual(Object.keys(report.dependencies), ['kafka', 's3']);
    assert.equal(report.dependencies.kafka!.status, 'up');
    assert.equal(typeof report.dependencies.kafka!.latency_ms, 'number');
    assert.equal(report.down, undefined);
  });

  it('names what is down, with the reason', async () => {
    const report = await healthReport({
      kafka: async () => undefined,
      cassandra: async () => {
        throw new Error('All host(s) tried for query failed.');
      },
    });
    assert.equal(report.status, 'down');
    assert.deepEqual(report.down, ['cassandra']);
    assert.equal(report.dependencies.cassandra!.error, 'All host(s) tried for query failed.');
  });

  it('counts a dependency that hangs as down once its deadline passes', async () => {
    const report = await healthReport({ s3: () => new Promise<void>(() => undefined) });
    assert.equal(report.status, 'down');
    assert.match(report.dependencies.s3!.error!, /did not answer within 2000 ms/);
  });
});
