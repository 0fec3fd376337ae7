import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { before, describe, it } from 'node:test';
import { TOPICS } from '@chat4all/shared/contracts/topics.js';
import { uuidv7 } from '@chat4all/shared/ids.js';
import type { AcceptedMessage, OutboundMessage, StatusEvent } from '@chat4all/shared/messages/model.js';
import { eventually, request } from '../helpers/api.js';
import { devUsers } from '../helpers/auth.js';
import { newPerson } from '../helpers/people.js';
import { endOffsets, produce, readAfter } from '../helpers/kafka.js';

type Users = Awaited<ReturnType<typeof devUsers>>;
interface History {
  messages: { message_id: string; content: string; sender_id: string; status: string }[];
  next_cursor: string | null;
}
interface Receipt {
  message_id: string;
  status: string;
  conversation_id: string;
}

let users: Users;
before(async () => {
  users = await devUsers();
});

const newConversationId = () => `it-${crypto.randomUUID()}`;

async function send(from: 'a' | 'b' | 'c', body: Record<string, unknown>, headers: Record<string, string> = {}) {
  return request<Receipt>('POST', '/v1/messages', { body, headers: { ...users[from].headers, ...headers } });
}

async function history(as: 'a' | 'b' | 'c', conversationId: string, query = '') {
  return request<History>('GET', `/v1/conversations/${encodeURIComponent(conversationId)}/messages${query}`, {
    headers: users[as].headers,
  });
}

async function waitForHistory(as: 'a' | 'b' | 'c', conversationId: string, count: number) {
  let last: History | undefined;
  await eventually(
    `${count} messages in history`,
    async () => {
      const response = await history(as, conversationId, '?limit=100');
      last = response.body;
      return response.status === 200 && response.body.messages.length >= count;
    },
    { timeoutMs: 30_000, intervalMs: 200 },
  );
  return last!;
}

async function messageStatus(as: 'a' | 'b' | 'c', messageId: string) {
  return request<Record<string, string | null>>('GET', `/v1/messages/${messageId}`, { headers: users[as].headers });
}

describe('send and history', { timeout: 120_000 }, () => {
  it('delivers 20 messages from user_a to user_b into user_b’s history in send order', async () => {
    const conversationId = newConversationId();
    const sent: string[] = [];
    for (let i = 0; i < 20; i++) {
      const response = await send('a', {
        conversation_id: conversationId,
        recipient_id: 'user_b',
        content: `hello ${i}`,
      });
      assert.equal(response.status, 202, JSON.stringify(response.body));
      assert.deepEqual(Object.keys(response.body).sort(), ['conversation_id', 'message_id', 'status']);
      assert.equal(response.body.status, 'ACCEPTED');
      assert.equal(response.body.conversation_id, conversationId);
      sent.push(response.body.message_id);
    }
    assert.deepEqual([...sent].sort(), sent, 'message ids sort in send order');
    const page = await waitForHistory('b', conversationId, 20);
    assert.deepEqual(
      page.messages.map((m) => m.message_id),
      sent,
    );
    assert.deepEqual(
      page.messages.map((m) => m.content),
      sent.map((_, i) => `hello ${i}`),
    );
    assert.ok(page.messages.every((m) => m.sender_id === users.a.id && m.status === 'ACCEPTED'));
  });

  it('pages history with an opaque cursor and still accepts the Java offset form', async () => {
    const conversationId = newConversationId();
    for (let i = 0; i < 5; i++)
      assert.equal(
        (await send('a', { conversation_id: conversationId, recipient_id: 'user_b', content: `m${i}` })).status,
        202,
      );
    await waitForHistory('b', conversationId, 5);
    const first = await history('b', conversationId, '?limit=2');
    assert.deepEqual(
      first.body.messages.map((m) => m.content),
      ['m0', 'm1'],
    );
    assert.ok(first.body.next_cursor);
    const second = await history('b', conversationId, `?limit=2&cursor=${first.body.next_cursor}`);
    assert.deepEqual(
      second.body.messages.map((m) => m.content),
      ['m2', 'm3'],
    );
    const last = await history('b', conversationId, `?limit=2&cursor=${second.body.next_cursor}`);
    assert.deepEqual(
      last.body.messages.map((m) => m.content),
      ['m4'],
    );
    assert.equal(last.body.next_cursor, null);
    const byOffset = await history('b', conversationId, '?limit=2&offset=3');
    assert.deepEqual(
      byOffset.body.messages.map((m) => m.content),
      ['m3', 'm4'],
    );
    for (const bad of ['?limit=0', '?limit=101', '?limit=abc', '?cursor=garbage!']) {
      const response = await history('b', conversationId, bad);
      assert.equal(response.status, 400, bad);
      assert.equal(typeof (response.body as unknown as { code: unknown }).code, 'string');
    }
  });

  it('stores one message for one Idempotency-Key, also under concurrent retries', async () => {
    const conversationId = newConversationId();
    const key = crypto.randomUUID();
    const body = { conversation_id: conversationId, recipient_id: 'user_b', content: 'once' };
    const first = await send('a', body, { 'Idempotency-Key': key });
    const again = await send('a', body, { 'Idempotency-Key': key });
    assert.equal(first.status, 202);
    assert.equal(again.body.message_id, first.body.message_id);

    const concurrentKey = crypto.randomUUID();
    const racing = await Promise.all(
      Array.from({ length: 6 }, () => send('a', { ...body, content: 'racing' }, { 'Idempotency-Key': concurrentKey })),
    );
    assert.ok(racing.every((response) => response.status === 202));
    assert.equal(new Set(racing.map((response) => response.body.message_id)).size, 1);

    await waitForHistory('b', conversationId, 2);
    const page = (await history('b', conversationId)).body;
    assert.deepEqual(page.messages.map((m) => m.content).sort(), ['once', 'racing']);
  });

  for (const named of ['by its parties', 'by a client-chosen conversation_id'])
    it(`accepts concurrent first sends to someone new, the conversation named ${named}: created once, no 403`, async () => {
      const [sender, recipient] = await Promise.all([newPerson('race_from'), newPerson('race_to')]);
      const conversationId = named.startsWith('by its') ? undefined : newConversationId();
      const answers = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          request<Receipt>('POST', '/v1/messages', {
            headers: sender.headers,
            body: {
              conversation_id: conversationId,
              recipient_id: i % 2 ? recipient.id : recipient.username,
              content: `race ${i}`,
            },
          }),
        ),
      );
      assert.deepEqual(
        answers.map((answer) => answer.status),
        answers.map(() => 202),
        JSON.stringify(answers.filter((answer) => answer.status !== 202).map((answer) => answer.body)),
      );
      assert.equal(new Set(answers.map((answer) => answer.body.conversation_id)).size, 1, 'one conversation');
    });

  it('refuses non-members with 403 and bad input with 4xx JSON', async () => {
    const conversationId = newConversationId();
    assert.equal(
      (await send('a', { conversation_id: conversationId, recipient_id: 'user_b', content: 'private' })).status,
      202,
    );
    assert.equal((await history('c', conversationId)).status, 403);
    const intruder = await send('c', { conversation_id: conversationId, content: 'let me in' });
    assert.equal(intruder.status, 403);
    assert.deepEqual(Object.keys(intruder.body).sort(), ['code', 'error']);
    assert.equal(
      (await send('a', { conversation_id: conversationId, content: 'x', sender_id: users.b.id })).status,
      403,
    );
    assert.equal((await send('a', { conversation_id: conversationId, content: 'x'.repeat(10_241) })).status, 400);
    assert.equal(
      (await send('a', { conversation_id: conversationId, content: 'é'.repeat(5_121) })).status,
      400,
      'bytes, not characters',
    );
    assert.equal((await send('a', { conversation_id: conversationId, content: 'x', colour: 'red' })).status, 400);
    assert.equal((await send('a', { conversation_id: conversationId })).status, 400);
    assert.equal(
      (await send('a', { conversation_id: conversationId, recipient_id: 'whatsapp:12345', content: 'x' })).status,
      400,
    );
    assert.equal((await send('a', { conversation_id: newConversationId(), content: 'nobody' })).status, 404);
    const huge = await request('POST', '/v1/messages', {
      body: { content: 'x'.repeat(1_100_000) },
      headers: users.a.headers,
    });
    assert.equal(huge.status, 413);
  });

  it('refuses a missing or tampered token with 401', async () => {
    const conversationId = newConversationId();
    assert.equal(
      (await request('POST', '/v1/messages', { body: { conversation_id: conversationId, content: 'x' } })).status,
      401,
    );
    const [header, payload, signature] = users.a.token.split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString('utf8'));
    const forged = Buffer.from(JSON.stringify({ ...claims, sub: users.b.id })).toString('base64url');
    const tampered = await request('GET', `/v1/conversations/${conversationId}/messages`, {
      headers: { Authorization: `Bearer ${header}.${forged}.${signature}` },
    });
    assert.equal(tampered.status, 401);
  });
});

describe('router and status', { timeout: 120_000 }, () => {
  it('stores and forwards a redelivered Kafka record once', async () => {
    const conversationId = newConversationId();
    const seed = await send('a', { conversation_id: conversationId, recipient_id: 'user_b', content: 'seed' });
    await waitForHistory('b', conversationId, 1);
    const notificationsFrom = await endOffsets(TOPICS.notifications);
    const message: AcceptedMessage = {
      message_id: uuidv7(),
      conversation_id: seed.body.conversation_id,
      sender_id: users.a.id,
      recipient: users.b.id,
      channel: 'chat4all',
      content: 'delivered twice by Kafka',
      file_id: null,
      created_at: new Date().toISOString(),
    };
    const record = { key: conversationId, value: message, headers: { correlation_id: crypto.randomUUID() } };
    await produce(TOPICS.messages, [record, record]);
    await produce(TOPICS.messages, [record]);
    const page = await waitForHistory('b', conversationId, 2);
    assert.equal(page.messages.filter((m) => m.message_id === message.message_id).length, 1);
    const notifications = await readAfter<OutboundMessage>(TOPICS.notifications, notificationsFrom, () => false, 5_000);
    assert.equal(notifications.filter((n) => n.message_id === message.message_id).length, 1, 'forwarded once');
  });

  it('ends at the highest status whatever the order and duplication of events', async () => {
    const conversationId = newConversationId();
    const { body } = await send('a', { conversation_id: conversationId, recipient_id: 'user_b', content: 'status' });
    await waitForHistory('b', conversationId, 1);
    const at = (offsetMs: number) => new Date(Date.now() + offsetMs).toISOString();
    const event = (status: StatusEvent['status'], when: string): { key: string; value: StatusEvent } => ({
      key: body.message_id,
      value: { message_id: body.message_id, status, at: when, source: 'test' },
    });
    const readAt = at(3000);
    await produce(TOPICS.statusUpdates, [
      event('READ', readAt),
      event('DELIVERED', at(2000)),
      event('READ', at(9000)),
      event('SENT', at(1000)),
      event('DELIVERED', at(2500)),
    ]);
    await eventually(
      'all status events applied',
      async () => {
        const message = (await messageStatus('a', body.message_id)).body;
        return message.status === 'READ' && Boolean(message.sent_at && message.delivered_at && message.read_at);
      },
      { timeoutMs: 20_000, intervalMs: 200 },
    );
    const message = (await messageStatus('b', body.message_id)).body;
    assert.equal(message.status, 'READ');
    assert.equal(message.read_at, readAt, 'a duplicate READ keeps the first read_at');
    await produce(TOPICS.statusUpdates, [event('SENT', at(10_000)), event('DELIVERED', at(11_000))]);
    const page = await waitForHistory('b', conversationId, 1);
    assert.equal(page.messages[0]!.status, 'READ');
    assert.equal((await messageStatus('a', body.message_id)).body.status, 'READ', 'late events never downgrade');
    assert.equal((await messageStatus('c', body.message_id)).status, 403);
  });

  it('marks a delivered message read for its recipient only, with a stable read_at', async () => {
    const conversationId = newConversationId();
    const { body } = await send('a', { conversation_id: conversationId, recipient_id: 'user_b', content: 'read me' });
    await waitForHistory('b', conversationId, 1);
    const early = await request<{ status: string; code: string }>('POST', `/v1/messages/${body.message_id}/read`, {
      headers: users.b.headers,
    });
    assert.equal(early.status, 409);
    assert.equal(early.body.status, 'ACCEPTED');
    await produce(TOPICS.statusUpdates, [
      {
        key: body.message_id,
        value: { message_id: body.message_id, status: 'DELIVERED', at: new Date().toISOString(), source: 'test' },
      },
    ]);
    await eventually('delivered', async () => (await messageStatus('b', body.message_id)).body.status === 'DELIVERED', {
      timeoutMs: 20_000,
    });
    assert.equal(
      (await request('POST', `/v1/messages/${body.message_id}/read`, { headers: users.a.headers })).status,
      403,
      'not the sender',
    );
    const first = await request<{ read_at: string; status: string }>('POST', `/v1/messages/${body.message_id}/read`, {
      headers: users.b.headers,
    });
    const second = await request<{ read_at: string; status: string }>('POST', `/v1/messages/${body.message_id}/read`, {
      headers: users.b.headers,
    });
    assert.equal(first.status, 200);
    assert.equal(first.body.status, 'READ');
    assert.equal(second.body.read_at, first.body.read_at);
  });
});
