import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runningPid } from '../../infra/stack/processes.js';
import { assertNothingLost } from './expectations.js';
import { runFaultScenario } from './scenario.js';
import { stallProcesses } from './stall.js';

const STALL_S = 30;

describe('fault: the Kafka broker stalled (SIGSTOP)', { timeout: 600_000 }, () => {
  it('sends are answered 503 while the broker is silent, and nothing that got a 202 is lost', async (t) => {
    const pid = runningPid('kafka');
    if (pid === undefined) {
      t.skip('Kafka is not a process of the native stack here (compose or external): cannot stall it');
      return;
    }
    const outcome = await runFaultScenario({
      name: 'kafka-stall',
      fault: `Kafka stopped (SIGSTOP) for ${STALL_S} s under load, then continued`,
      inject: () => stallProcesses([pid], STALL_S * 1000),
    });
    assertNothingLost(outcome, { noHangs: true });
    assert.ok((outcome.result.answers['503'] ?? 0) > 0, 'the stall was felt: some sends were answered 503');
  });
});
