import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ensureUp } from '../../infra/stack/native.js';
import { runningPid, stopProcess } from '../../infra/stack/processes.js';
import { cassandraService } from '../../infra/stack/services/cassandra.js';
import { eventually, request } from '../helpers/api.js';

interface Health {
  status: string;
  down?: string[];
}

describe('GET /health while Cassandra is down', () => {
  it(
    'answers 503 naming cassandra within 5 s, and the API recovers after stack:up',
    { timeout: 180_000 },
    async (t) => {
      if (runningPid('cassandra') === undefined) {
        t.skip(
          'Cassandra is not a process of the native stack here (compose or external): cannot stop it from the test',
        );
        return;
      }
      await stopProcess('cassandra');
      const detectedMs = await eventually(
        'health reports cassandra down',
        async () => {
          const response = await request<Health>('GET', '/health');
          return response.status === 503 && (response.body.down ?? []).includes('cassandra');
        },
        { timeoutMs: 5000 },
      );
      assert.ok(detectedMs <= 5000);
      const response = await request<Health>('GET', '/health');
      assert.equal(response.headers.get('retry-after'), '5');
      assert.deepEqual(response.body.down, ['cassandra'], 'only cassandra is named');

      await ensureUp(
        cassandraService(() => undefined),
        () => undefined,
      );
      await eventually('health recovers', async () => (await request('GET', '/health')).status === 200, {
        timeoutMs: 30_000,
      });
      // Each function has its own Cassandra pool, reconnecting on its own schedule: /health answering says nothing of
      // the others. Recovered means a user can log in again (and the tests after this one find a working stack).
      await eventually(
        'logins work again',
        async () =>
          (await request('POST', '/auth/token', { body: { username: 'user_a', password: 'pass_a' } })).status === 200,
        { timeoutMs: 30_000, intervalMs: 500 },
      );
    },
  );
});
