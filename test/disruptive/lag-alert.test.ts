import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { runningBridges, startBridge } from '../../infra/bridge/process.js';
import { loadTriggers } from '../../infra/bridge/triggers.js';
import { STACK_DIR } from '../../infra/stack/paths.js';
import { isAlive } from '../../infra/stack/processes.js';
import { eventually, request } from '../helpers/api.js';
import { devUsers } from '../helpers/auth.js';

const PROMETHEUS = 'http://127.0.0.1:9090';

async function routerLagAlert(): Promise<string | undefined> {
  const query = encodeURIComponent('ALERTS{alertname="ConsumerLagHigh",group="chat4all-router"}');
  const body = (await (await fetch(`${PROMETHEUS}/api/v1/query?query=${query}`)).json()) as {
    data: { result: { metric: { alertstate: string } }[] };
  };
  return body.data.result[0]?.metric.alertstate;
}

async function stopAllBridges(): Promise<void> {
  for (const pid of runningBridges()) process.kill(pid, 'SIGTERM');
  await eventually('bridges stopped', async () => runningBridges().every((pid) => !isAlive(pid)), {
    timeoutMs: 30_000,
  });
}

describe('the consumer lag alert', { timeout: 420_000 }, () => {
  it('fires while the router does not consume, and resolves once it does again', async () => {
    const users = await devUsers();
    const log = () => fs.openSync(path.join(STACK_DIR, 'bridge', 'lag-alert.log'), 'a');
    fs.mkdirSync(path.join(STACK_DIR, 'bridge'), { recursive: true });

    // Stop the router's consumer only: a bridge for every other function keeps reporting lag.
    await stopAllBridges();
    const others = loadTriggers()
      .filter((trigger) => trigger.name !== 'router')
      .map((trigger) => trigger.name);
    const partial = await startBridge(log(), { detached: true, env: { BRIDGE_FUNCTIONS: others.join(',') } });

    const conversationId = `it-lag-${crypto.randomUUID()}`;
    for (let i = 0; i < 150; i++) {
      const response = await request('POST', '/v1/messages', {
        body: { conversation_id: conversationId, recipient_id: 'user_b', content: `lagging ${i}` },
        headers: users.a.headers,
      });
      assert.equal(response.status, 202);
    }
    const firedAfter = await eventually('ConsumerLagHigh firing', async () => (await routerLagAlert()) === 'firing', {
      timeoutMs: 240_000,
      intervalMs: 2_000,
    });
    console.log(
      `# ConsumerLagHigh fired ${Math.round(firedAfter / 1000)} s after the backlog built up (rule: > 100 for 2m)`,
    );

    partial.kill('SIGTERM');
    await eventually('partial bridge stopped', async () => !isAlive(partial.pid!), { timeoutMs: 30_000 });
    await startBridge(log(), { detached: true });
    const resolvedAfter = await eventually(
      'ConsumerLagHigh resolved',
      async () => (await routerLagAlert()) === undefined,
      {
        timeoutMs: 120_000,
        intervalMs: 2_000,
      },
    );
    console.log(`# ConsumerLagHigh resolved ${Math.round(resolvedAfter / 1000)} s after the router consumed again`);
  });
});
