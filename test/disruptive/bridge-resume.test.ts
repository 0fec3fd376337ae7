import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { runningBridges, startBridge } from '../../infra/bridge/process.js';
import { STACK_DIR } from '../../infra/stack/paths.js';
import { isAlive } from '../../infra/stack/processes.js';
import { eventually, request } from '../helpers/api.js';
import { devUsers } from '../helpers/auth.js';

type Users = Awaited<ReturnType<typeof devUsers>>;
let users: Users;
before(async () => {
  users = await devUsers();
});

describe('event-source bridge', { timeout: 180_000 }, () => {
  it('resumes from committed offsets after every bridge was killed, losing and duplicating nothing', async () => {
    const conversationId = `it-${crypto.randomUUID()}`;
    const send = (content: string) =>
      request<{ message_id: string }>('POST', '/v1/messages', {
        body: { conversation_id: conversationId, recipient_id: 'user_b', content },
        headers: users.a.headers,
      });
    const before = await send('before the crash');
    assert.equal(before.status, 202);

    // Crash: SIGKILL every bridge, mid-flight, with no chance to commit or leave its groups.
    for (const pid of runningBridges()) process.kill(pid, 'SIGKILL');
    await eventually('bridges gone', async () => runningBridges().every((pid) => !isAlive(pid)), { timeoutMs: 10_000 });

    const sent: string[] = [before.body.message_id];
    for (let i = 0; i < 30; i++) {
      const response = await send(`while no bridge runs ${i}`);
      assert.equal(response.status, 202, 'the API keeps accepting while consumers are down');
      sent.push(response.body.message_id);
    }

    // A new bridge joins the same groups and must pick up exactly where the committed offsets are.
    fs.mkdirSync(path.join(STACK_DIR, 'bridge'), { recursive: true });
    await startBridge(fs.openSync(path.join(STACK_DIR, 'bridge', 'resumed.log'), 'a'), { detached: true });
    let ids: string[] = [];
    await eventually(
      'all 31 messages routed',
      async () => {
        const response = await request<{ messages: { message_id: string }[] }>(
          'GET',
          `/v1/conversations/${conversationId}/messages?limit=100`,
          { headers: users.b.headers },
        );
        ids = response.body.messages.map((m) => m.message_id);
        return ids.length >= sent.length;
      },
      { timeoutMs: 90_000, intervalMs: 250 },
    );
    assert.deepEqual(ids, sent, 'every acknowledged message, once, in order');
  });
});
