import { describe, it } from 'node:test';
import { ensureUp } from '../../infra/stack/native.js';
import { runningPid, stopProcess } from '../../infra/stack/processes.js';
import { cassandraService } from '../../infra/stack/services/cassandra.js';
import { assertNothingLost } from './expectations.js';
import { runFaultScenario } from './scenario.js';

describe('fault: Cassandra restarted', { timeout: 600_000 }, () => {
  it('sends are answered 503 while it is down, the router and status functions wait, nothing is lost', async (t) => {
    if (runningPid('cassandra') === undefined) {
      t.skip('Cassandra is not a process of the native stack here (compose or external): cannot restart it');
      return;
    }
    const outcome = await runFaultScenario({
      name: 'cassandra-restart',
      fault: 'Cassandra stopped (SIGTERM) under load and started again',
      inject: async () => {
        await stopProcess('cassandra');
        await ensureUp(
          cassandraService(() => undefined),
          () => undefined,
        );
      },
    });
    assertNothingLost(outcome);
  });
});
