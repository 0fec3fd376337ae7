import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runningPid } from '../../infra/stack/processes.js';
import { assertNothingLost } from './expectations.js';
import { runFaultScenario } from './scenario.js';
import { stallProcesses } from './stall.js';

const STALL_S = 30;

describe('fault: Cassandra stalled (SIGSTOP)', { timeout: 600_000 }, () => {
  it('requests answer 503 while the node is silent, and nothing acknowledged is lost', async (t) => {
    // Opt-in until it is understood (issue 16): in one of two fresh-clone runs, Cassandra never served again after the
    // SIGCONT (722 acknowledged messages undelivered at the audit, every later scenario failed at once).
    if (process.env.FAULTS_CASSANDRA_STALL !== '1') {
      t.skip('FAULTS_CASSANDRA_STALL=1 runs it');
      return;
    }
    const pid = runningPid('cassandra');
    if (pid === undefined) {
      t.skip('Cassandra is not a process of the native stack here (compose or external): cannot stall it');
      return;
    }
    const outcome = await runFaultScenario({
      name: 'cassandra-stall',
      fault: `Cassandra stopped (SIGSTOP) for ${STALL_S} s under load, then continued`,
      inject: () => stallProcesses([pid], STALL_S * 1000),
    });
    assertNothingLost(outcome);
    assert.ok((outcome.result.answers['503'] ?? 0) > 0, 'the stall was felt: some sends were answered 503');
    // Known gap (issue 16): while the node is silent every answer is a quick 503, but in the ~20 s after SIGCONT the
    // clients' retries all come back at once, faster than this one serverless-offline process and a Cassandra still
    // catching up can serve them, and some wait longer than 15 s (none is lost). Reported, not yet required.
    await t.test('no answer slower than 15 s', { todo: 'the retry wave after the stall (issue 16)' }, () => {
      assert.equal(outcome.result.answers.hang ?? 0, 0);
    });
  });
});
