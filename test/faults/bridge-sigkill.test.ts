import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { runningBridges, startBridge } from '../../infra/bridge/process.js';
import { STACK_DIR } from '../../infra/stack/paths.js';
import { assertNothingLost } from './expectations.js';
import { runFaultScenario } from './scenario.js';

describe('fault: a bridge killed mid-batch', { timeout: 600_000 }, () => {
  it('a second bridge in the same groups takes its partitions over from the committed offsets', async () => {
    // The second bridge joins before the load, so the kill hits a group of two with work in flight.
    const dir = path.join(STACK_DIR, 'bridge');
    fs.mkdirSync(dir, { recursive: true });
    const survivor = await startBridge(fs.openSync(path.join(dir, 'faults-survivor.log'), 'a'), { detached: true });
    const outcome = await runFaultScenario({
      name: 'bridge-sigkill',
      fault: 'SIGKILL of one of two bridges under load',
      inject: async () => {
        for (const pid of runningBridges()) if (pid !== survivor.pid) process.kill(pid, 'SIGKILL');
      },
    });
    assertNothingLost(outcome);
  });
});
