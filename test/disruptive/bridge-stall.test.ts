/**
 * A bridge stalled (SIGSTOP) for longer than the session timeout while its router is in the middle of a
 * batch. The coordinator drops every consumer of the stalled process; on SIGCONT the router's batch finishes and its
 * commit is refused (UNKNOWN_MEMBER_ID). Before the fix, kafkajs then crashed that consumer for good (restart=false)
 * and the live process consumed nothing more: the group stayed Empty with its backlog.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, describe, it } from 'node:test';
import { getKafka } from '@chat4all/shared/clients/kafka.js';
import { SESSION_TIMEOUT_MS } from '../../infra/bridge/consumer.js';
import { bridgeGroupsStable, runningBridges } from '../../infra/bridge/process.js';
import { readBridgeStatus } from '../../infra/bridge/status-file.js';
import { loadTriggers } from '../../infra/bridge/triggers.js';
import { delay } from '../../infra/stack/processes.js';
import { eventually, request, requestWithinRateLimit } from '../helpers/api.js';
import { devUsers } from '../helpers/auth.js';

const ROUTER = loadTriggers().find((trigger) => trigger.name === 'router')!;
/** Twice the session timeout, and a little more: every member of the stalled process has been dropped by then. */
const STALL_MS = 2 * SESSION_TIMEOUT_MS + 5_000;
const MESSAGES = 1200;
/** Spread over partitions (the key is the conversation), so the router has batches in flight on several. */
const CONVERSATIONS = 12;

const signalAll = (pids: number[], signal: NodeJS.Signals) => {
  for (const pid of pids) process.kill(pid, signal);
};

async function routerCommitted(): Promise<number> {
  const admin = getKafka().admin();
  await admin.connect();
  try {
    const [topic] = await admin.fetchOffsets({ groupId: ROUTER.groupId, topics: [ROUTER.topic] });
    return topic!.partitions.reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
  } finally {
    await admin.disconnect();
  }
}

let stalled: number[] = [];
after(() => signalAll(stalled, 'SIGCONT')); // never leave a bridge stopped, whatever failed

describe('a bridge stalled past the session timeout', { timeout: 420_000 }, () => {
  it('rejoins every group by itself and drains the backlog, reporting its liveness', async () => {
    const bridges = runningBridges();
    assert.ok(bridges.length > 0, 'a bridge runs (npm test or npm start started it)');
    const users = await devUsers();
    const conversations = Array.from({ length: CONVERSATIONS }, () => `it-stall-${crypto.randomUUID()}`);

    // A backlog, built while the bridges are briefly stopped (well under the session timeout: nobody is dropped).
    stalled = bridges;
    signalAll(bridges, 'SIGSTOP');
    const sent = new Map<string, string[]>(conversations.map((id) => [id, []]));
    for (let i = 0; i < MESSAGES; i += 50) {
      await Promise.all(
        Array.from({ length: 50 }, async (_, j) => {
          const conversationId = conversations[(i + j) % CONVERSATIONS]!;
          const response = await requestWithinRateLimit<{ message_id: string }>('POST', '/v1/messages', {
            body: { conversation_id: conversationId, recipient_id: 'user_b', content: `stall ${i + j}` },
            headers: users.a.headers,
          });
          assert.equal(response.status, 202);
          sent.get(conversationId)!.push(response.body.message_id);
        }),
      );
    }
    const committedBefore = await routerCommitted();
    signalAll(bridges, 'SIGCONT');

    // The stall proper hits the router in the middle of that backlog: once it committed a first chunk of it.
    await eventually(
      'the router is working through the backlog',
      async () => (await routerCommitted()) > committedBefore,
      {
        timeoutMs: 60_000,
        intervalMs: 50,
      },
    );
    signalAll(bridges, 'SIGSTOP');
    const committedAtStall = await routerCommitted();
    assert.ok(committedAtStall < committedBefore + MESSAGES, 'the stall began with part of the backlog unrouted');
    await delay(STALL_MS); // the fault itself: the process is stopped this long
    signalAll(bridges, 'SIGCONT');
    stalled = [];
    const continuedAt = Date.now();

    for (const pid of bridges) {
      await eventually(`bridge ${pid} is a member of every group again`, () => bridgeGroupsStable({ pid }), {
        timeoutMs: 90_000,
        intervalMs: 500,
      });
    }
    await eventually(
      'every message of the backlog routed',
      async () => {
        for (const [conversationId, ids] of sent) {
          const history = await request<{ messages: { message_id: string }[] }>(
            'GET',
            `/v1/conversations/${conversationId}/messages?limit=100`,
            { headers: users.b.headers },
          );
          const stored = new Set(history.body.messages.map((m) => m.message_id));
          if (!ids.every((id) => stored.has(id))) return false;
        }
        return true;
      },
      { timeoutMs: 120_000, intervalMs: 1000 },
    );
    console.log(`# backlog routed ${Math.round((Date.now() - continuedAt) / 1000)} s after SIGCONT`);

    // Liveness as operators see it: the status file (npm run stack:status) and the metrics, renewed after the stall.
    const routerCommits: number[] = [];
    for (const pid of bridges) {
      await eventually(
        `bridge ${pid} reports every group as a member`,
        async () => {
          const status = readBridgeStatus(pid);
          return (
            status !== undefined &&
            Date.parse(status.updatedAt) > continuedAt &&
            status.groups.every((group) => group.member === true && group.lastFetchAt !== null)
          );
        },
        { timeoutMs: 30_000, intervalMs: 500 },
      );
      const status = readBridgeStatus(pid)!;
      const router = status.groups.find((group) => group.group === ROUTER.groupId);
      if (router?.lastCommitAt) routerCommits.push(Date.parse(router.lastCommitAt));
      const metrics = await (await fetch(`http://127.0.0.1:${status.metricsPort}/metrics`)).text();
      for (const group of status.groups)
        assert.match(
          metrics,
          new RegExp(`bridge_consumer_member\\{function="${group.function}",group="${group.group}"\\} 1`),
        );
    }
    assert.ok(
      routerCommits.some((at) => at > continuedAt),
      'a router consumer committed after the stall',
    );
  });
});
