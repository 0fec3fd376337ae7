import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ensureUp } from '../../infra/stack/native.js';
import { runningPid, stopProcess } from '../../infra/stack/processes.js';
import { kafkaService } from '../../infra/stack/services/kafka.js';
import { assertNothingLost } from './expectations.js';
import { runFaultScenario } from './scenario.js';

describe('fault: the Kafka broker restarted', { timeout: 600_000 }, () => {
  it('the API answers 503 with Retry-After while it is down, and nothing that got a 202 is lost', async (t) => {
    if (runningPid('kafka') === undefined) {
      t.skip('Kafka is not a process of the native stack here (compose or external): cannot restart it');
      return;
    }
    const outcome = await runFaultScenario({
      name: 'kafka-restart',
      fault: 'Kafka stopped (SIGTERM) under load and started again',
      inject: async () => {
        await stopProcess('kafka');
        await ensureUp(
          kafkaService(() => undefined),
          () => undefined,
        );
      },
    });
    assert.ok((outcome.result.answers['503'] ?? 0) > 0, 'the outage was felt: some sends were answered 503');
    assertNothingLost(outcome, { noHangs: true });
  });
});
