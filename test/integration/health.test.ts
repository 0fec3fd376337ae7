import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { request } from '../helpers/api.js';

interface Health {
  status: string;
  dependencies: Record<string, { status: string; latency_ms: number }>;
}

describe('GET /health', () => {
  it('reports kafka, cassandra and s3 up, each checked for real with its latency', async () => {
    const response = await request<Health>('GET', '/health');
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'application/json; charset=utf-8');
    assert.equal(response.body.status, 'up');
    assert.deepEqual(Object.keys(response.body.dependencies).sort(), ['cassandra', 'kafka', 's3']);
    for (const [name, dependency] of Object.entries(response.body.dependencies)) {
      assert.equal(dependency.status, 'up', name);
      assert.ok(Number.isInteger(dependency.latency_ms) && dependency.latency_ms >= 0, `${name} latency`);
    }
  });
});
