import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SESSION_TIMEOUT_MS } from '../../infra/bridge/consumer.js';
import { bridgeGroupsStable, runningBridges } from '../../infra/bridge/process.js';
import { eventually } from '../helpers/api.js';
import { assertNothingLost } from './expectations.js';
import { runFaultScenario } from './scenario.js';
import { stallProcesses } from './stall.js';

/** Past twice the session timeout: the coordinator has dropped every consumer of the stalled bridges. */
const STALL_MS = 2 * SESSION_TIMEOUT_MS + 5_000;

describe('fault: every bridge stalled (SIGSTOP)', { timeout: 600_000 }, () => {
  it('the bridges rejoin their groups by themselves after the stall and deliver every acknowledged message', async () => {
    const bridges = runningBridges();
    assert.ok(bridges.length > 0, 'a bridge runs');
    const outcome = await runFaultScenario({
      name: 'bridge-stall',
      fault: `every bridge stopped (SIGSTOP) for ${STALL_MS / 1000} s under load (twice the session timeout), then continued`,
      inject: () => stallProcesses(bridges, STALL_MS),
    });
    assertNothingLost(outcome, { noHangs: true });
    await eventually('every group has a member', () => bridgeGroupsStable(), { timeoutMs: 30_000, intervalMs: 500 });
  });
});
