import fs from 'node:fs';
import { describe, it } from 'node:test';
import { runningApiPid, startApi } from '../../infra/api.js';
import { serviceDir } from '../../infra/stack/paths.js';
import { isAlive } from '../../infra/stack/processes.js';
import { eventually } from '../helpers/api.js';
import { assertNothingLost } from './expectations.js';
import { runFaultScenario } from './scenario.js';

describe('fault: serverless-offline restarted', { timeout: 600_000 }, () => {
  it('clients see errors they retry, WebSocket clients reconnect, nothing acknowledged is lost', async (t) => {
    const pid = runningApiPid();
    if (!process.env.CHAT4ALL_API_LOG || pid === undefined) {
      t.skip('the API was not started by npm test (it may be your npm start): not killing it');
      return;
    }
    const outcome = await runFaultScenario({
      name: 'api-restart',
      fault: 'serverless-offline killed (SIGKILL) under load and started again',
      inject: async () => {
        process.kill(pid, 'SIGKILL');
        await eventually('serverless-offline gone', async () => !isAlive(pid), { timeoutMs: 10_000 });
        // The bundles are there already: a restart, not a rebuild. It meets the whole load's retries at once.
        await startApi(fs.openSync(serviceDir('api', 'restarted.log'), 'a'), {
          detached: true,
          build: false,
          readyTimeoutMs: 240_000,
        });
      },
    });
    // An Instagram send interrupted by the kill is settled by Instagram's echo (recipient and text, docs/channels.md):
    // assertNothingLost requires no copy at either provider.
    assertNothingLost(outcome);
  });
});
