import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { before, describe, it } from 'node:test';
import { TOPICS } from '@chat4all/shared/contracts/topics.js';
import { request } from '../helpers/api.js';
import { devUsers } from '../helpers/auth.js';
import { endOffsets, readAfter } from '../helpers/kafka.js';

type Users = Awaited<ReturnType<typeof devUsers>>;
interface ConversationView {
  conversation_id: string;
  type: string;
  name: string | null;
  members: { user_id: string; role: string }[];
}

let users: Users;
before(async () => {
  users = await devUsers();
});

const as = (who: 'a' | 'b' | 'c') => ({ headers: users[who].headers });
const roleOf = (view: ConversationView, userId: string) => view.members.find((m) => m.user_id === userId)?.role;

describe('conversations', { timeout: 60_000 }, () => {
  it('creates a group whose creator is admin; only admins change membership', async () => {
    const conversationId = `it-group-${crypto.randomUUID()}`;
    const created = await request<ConversationView>('POST', '/v1/conversations', {
      body: { type: 'group', name: 'team', member_ids: ['user_b'], conversation_id: conversationId },
      ...as('a'),
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.type, 'group');
    assert.equal(roleOf(created.body, users.a.id), 'admin');
    assert.equal(roleOf(created.body, users.b.id), 'member');

    const duplicate = await request('POST', '/v1/conversations', {
      body: { type: 'group', member_ids: ['user_b'], conversation_id: conversationId },
      ...as('a'),
    });
    assert.equal(duplicate.status, 409);

    const byMember = await request('POST', `/v1/conversations/${conversationId}/members`, {
      body: { member_ids: ['user_c'] },
      ...as('b'),
    });
    assert.equal(byMember.status, 403, 'a plain member cannot add');
    assert.equal(
      (await request('GET', `/v1/conversations/${conversationId}`, as('c'))).status,
      403,
      'not yet a member',
    );

    const added = await request<ConversationView>('POST', `/v1/conversations/${conversationId}/members`, {
      body: { member_ids: ['user_c'] },
      ...as('a'),
    });
    assert.equal(added.status, 200);
    assert.equal(roleOf(added.body, users.c.id), 'member');
    assert.equal((await request('GET', `/v1/conversations/${conversationId}`, as('c'))).status, 200);

    const promoted = await request<{ role: string }>('POST', `/v1/conversations/${conversationId}/admins`, {
      body: { user_id: 'user_b' },
      ...as('a'),
    });
    assert.equal(promoted.status, 200);
    assert.equal(promoted.body.role, 'admin');
    const removed = await request('DELETE', `/v1/conversations/${conversationId}/members/${users.c.id}`, as('b'));
    assert.equal(removed.status, 204, 'the new admin removes a member');
    assert.equal((await request('GET', `/v1/conversations/${conversationId}`, as('c'))).status, 403);
    assert.equal(
      (await request('POST', '/v1/messages', { body: { conversation_id: conversationId, content: 'x' }, ...as('c') }))
        .status,
      403,
    );

    assert.equal((await request('GET', `/v1/conversations/it-missing-${crypto.randomUUID()}`, as('a'))).status, 404);
    assert.equal(
      (
        await request('POST', '/v1/conversations', {
          body: { type: 'group', member_ids: ['nobody_here_123'] },
          ...as('a'),
        })
      ).status,
      404,
    );
    assert.equal(
      (
        await request('POST', '/v1/conversations', {
          body: { type: 'private', member_ids: ['user_b', 'user_c'] },
          ...as('a'),
        })
      ).status,
      400,
    );
    assert.equal(
      (await request('POST', '/v1/conversations', { body: { type: 'channel', member_ids: ['user_b'] }, ...as('a') }))
        .status,
      400,
    );
  });

  it('fans a group message without recipient out to every member but the sender', async () => {
    const conversationId = `it-fanout-${crypto.randomUUID()}`;
    const created = await request('POST', '/v1/conversations', {
      body: { type: 'group', member_ids: ['user_b', 'user_c'], conversation_id: conversationId },
      ...as('a'),
    });
    assert.equal(created.status, 201);
    const from = await endOffsets(TOPICS.notifications);
    const sent = await request<{ message_id: string }>('POST', '/v1/messages', {
      body: { conversation_id: conversationId, content: 'hi all' },
      ...as('a'),
    });
    assert.equal(sent.status, 202);
    const notifications = await readAfter<{ message_id: string; to: string }>(
      TOPICS.notifications,
      from,
      (values) => values.filter((n) => n.message_id === sent.body.message_id).length >= 2,
    );
    const recipients = notifications
      .filter((n) => n.message_id === sent.body.message_id)
      .map((n) => n.to)
      .sort();
    assert.deepEqual(recipients, [users.b.id, users.c.id].sort());
  });

  it('lists my conversations with a cursor', async () => {
    const prefix = `it-list-${crypto.randomUUID()}`;
    for (let i = 0; i < 3; i++) {
      const response = await request('POST', '/v1/conversations', {
        body: { type: 'group', member_ids: ['user_c'], conversation_id: `${prefix}-${i}` },
        ...as('c'),
      });
      assert.equal(response.status, 201);
    }
    const seen = new Set<string>();
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: {
        status: number;
        body: { conversations: { conversation_id: string }[]; next_cursor: string | null };
      } = await request('GET', `/v1/conversations?limit=2${cursor ? `&cursor=${cursor}` : ''}`, as('c'));
      assert.equal(page.status, 200);
      assert.ok(page.body.conversations.length <= 2);
      for (const conversation of page.body.conversations) {
        assert.ok(!seen.has(conversation.conversation_id), 'no conversation twice');
        seen.add(conversation.conversation_id);
      }
      cursor = page.body.next_cursor;
      pages++;
    } while (cursor && pages < 1000);
    for (let i = 0; i < 3; i++) assert.ok(seen.has(`${prefix}-${i}`));
  });
});
