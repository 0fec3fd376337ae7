import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { before, describe, it } from 'node:test';
import { privateConversationId } from '@chat4all/shared/conversations/private-id.js';
import { emulator, newPhoneNumber } from '../../infra/emulators/control.js';
import { eventually, request } from '../helpers/api.js';
import { devUsers } from '../helpers/auth.js';
import { newPerson, type Person } from '../helpers/people.js';

/**
 * Client-chosen ids cannot be claimed by someone they do not belong to. The `private:` namespace
 * of conversation ids is derived from the two parties: a client may name such an id only when it is the one derived
 * from itself and the recipient (400 reserved_conversation_id otherwise), in POST /v1/messages and in
 * POST /v1/conversations alike; that covers the conversation of a linked channel identity too. The other
 * client-chosen ids (a file's conversation, a message's file, a free conversation name) are checked here as well.
 * The victims are fresh users, so no earlier run can have squatted their private conversation already.
 */

type Users = Awaited<ReturnType<typeof devUsers>>;
interface Receipt {
  message_id: string;
  conversation_id: string;
}
interface History {
  messages: { content: string; sender_id: string }[];
}

let users: Users;
let alice: Person;
let bob: Person;
/** The conversation alice and bob reach by the README's own example: a send without conversation_id. */
let theirs: string;

before(async () => {
  users = await devUsers();
  [alice, bob] = await Promise.all([newPerson('squat_victim_a'), newPerson('squat_victim_b')]);
  theirs = privateConversationId(alice.id, bob.id);
});

const send = (headers: Record<string, string>, body: Record<string, unknown>) =>
  request<Receipt & { code?: string; error?: string }>('POST', '/v1/messages', { headers, body });
const createConversation = (headers: Record<string, string>, body: Record<string, unknown>) =>
  request<{ conversation_id: string; code?: string }>('POST', '/v1/conversations', { headers, body });
const history = (headers: Record<string, string>, conversationId: string) =>
  request<History>('GET', `/v1/conversations/${encodeURIComponent(conversationId)}/messages?limit=100`, { headers });

function assertReserved(answer: { status: number; body: { code?: unknown; error?: unknown } }, label: string) {
  assert.equal(answer.status, 400, `${label}: ${JSON.stringify(answer.body)}`);
  assert.equal(answer.body.code, 'reserved_conversation_id', label);
  assert.equal(typeof answer.body.error, 'string');
}

describe('reserved and derived ids cannot be squatted', { timeout: 120_000 }, () => {
  it('user_c cannot claim the private conversation of two others, in either order, case or endpoint', async () => {
    const [first, second] = theirs.slice('private:'.length).split(':');
    const attempts: [string, Record<string, unknown>][] = [
      ['the reproduced squat', { conversation_id: `private:${bob.id}:${alice.id}`, recipient_id: bob.id }],
      ['the derived order', { conversation_id: theirs, recipient_id: bob.id }],
      ['by username', { conversation_id: theirs, recipient_id: bob.username }],
      ['without a recipient', { conversation_id: theirs }],
      ['a look-alike in capitals', { conversation_id: `PRIVATE:${first}:${second}`, recipient_id: bob.id }],
      [
        'with user_c as one party',
        { conversation_id: privateConversationId(users.c.id, alice.id), recipient_id: bob.id },
      ],
    ];
    for (const [label, body] of attempts)
      assertReserved(await send(users.c.headers, { ...body, content: label }), label);

    assertReserved(
      await createConversation(users.c.headers, { type: 'private', conversation_id: theirs, member_ids: [bob.id] }),
      'POST /v1/conversations, private',
    );
    assertReserved(
      await createConversation(users.c.headers, {
        type: 'group',
        conversation_id: theirs,
        member_ids: [alice.id, bob.id],
      }),
      'POST /v1/conversations, a group',
    );
    assertReserved(
      await createConversation(alice.headers, { type: 'group', conversation_id: theirs, member_ids: [bob.id] }),
      'not even its parties make it a group',
    );

    // Nothing was created: alice reaches bob as the README says, and only the two of them are in it.
    const hello = await send(alice.headers, { recipient_id: bob.username, content: 'hello bob' });
    assert.equal(hello.status, 202, JSON.stringify(hello.body));
    assert.equal(hello.body.conversation_id, theirs);
    const reply = await send(bob.headers, { conversation_id: theirs, content: 'hello alice' });
    assert.equal(reply.status, 202, JSON.stringify(reply.body));
    let seen: History | undefined;
    await eventually(
      'both messages in bob’s history',
      async () => ((seen = (await history(bob.headers, theirs)).body).messages ?? []).length >= 2,
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    assert.deepEqual(seen!.messages.map((m) => m.content).sort(), ['hello alice', 'hello bob']);
    const view = await request<{ members: { user_id: string }[] }>(
      'GET',
      `/v1/conversations/${encodeURIComponent(theirs)}`,
      { headers: alice.headers },
    );
    assert.deepEqual(view.body.members.map((m) => m.user_id).sort(), [alice.id, bob.id].sort());
    assert.equal((await history(users.c.headers, theirs)).status, 403);
  });

  it('its parties may still name their derived id, with or without the recipient', async () => {
    const id = privateConversationId(alice.id, users.b.id);
    const first = await send(alice.headers, { conversation_id: id, recipient_id: 'user_b', content: 'named' });
    assert.equal(first.status, 202, JSON.stringify(first.body));
    assert.equal(first.body.conversation_id, id);
    const back = await send(users.b.headers, { conversation_id: id, recipient_id: alice.id, content: 'named back' });
    assert.equal(back.status, 202, JSON.stringify(back.body));
    const created = await createConversation(bob.headers, {
      type: 'private',
      conversation_id: privateConversationId(bob.id, users.b.id),
      member_ids: ['user_b'],
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
  });

  it('a linked identity’s conversation stays its owner’s: no squat before the first inbound message', async () => {
    const whatsapp = emulator('whatsapp');
    const number = newPhoneNumber();
    const identity = `whatsapp:${number}`;
    const linked = await request<{ conversation_id: string }>('POST', '/v1/users/identities', {
      headers: alice.headers,
      body: { identity },
    });
    assert.equal(linked.status, 201, JSON.stringify(linked.body));
    const owned = linked.body.conversation_id;
    assert.equal(owned, privateConversationId(alice.id, identity));

    assertReserved(
      await send(users.c.headers, { conversation_id: owned, recipient_id: identity, content: 'mine now' }),
      'send',
    );
    assertReserved(
      await createConversation(users.c.headers, { type: 'group', conversation_id: owned, member_ids: [alice.id] }),
      'create',
    );

    const text = `inbound for alice ${crypto.randomBytes(4).toString('hex')}`;
    assert.equal((await whatsapp.inbound({ from: number, text, name: 'Alice' })).webhook_status, 200);
    await eventually(
      'the inbound message in alice’s own conversation',
      async () => (await history(alice.headers, owned)).body.messages?.some((m) => m.content === text) ?? false,
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    assert.equal((await history(users.c.headers, owned)).status, 403, 'user_c cannot read it');
    await request('DELETE', `/v1/users/identities?identity=${encodeURIComponent(identity)}`, {
      headers: alice.headers,
    });
  });

  it('a party cannot bring a channel address (and whoever linked it) into a private conversation', async () => {
    const named = `it-private-${crypto.randomUUID()}`;
    const opened = await send(alice.headers, { conversation_id: named, recipient_id: bob.id, content: 'just us' });
    assert.equal(opened.status, 202, JSON.stringify(opened.body));
    const number = newPhoneNumber();
    const identity = `whatsapp:${number}`;
    assert.equal(
      (await request('POST', '/v1/users/identities', { headers: users.c.headers, body: { identity } })).status,
      201,
    );
    const third = await send(bob.headers, { conversation_id: named, recipient_id: identity, content: 'join us' });
    assert.equal(third.status, 403, JSON.stringify(third.body));
    assert.equal(third.body.code, 'recipient_not_member');
    assert.equal((await history(users.c.headers, named)).status, 403, 'user_c is not in it');
    // A channel conversation still takes its own participant.
    const channel = `it-channel-${crypto.randomUUID()}`;
    const out = await send(alice.headers, { conversation_id: channel, recipient_id: identity, content: 'to a number' });
    assert.equal(out.status, 202, JSON.stringify(out.body));
    const again = await send(alice.headers, { conversation_id: channel, recipient_id: identity, content: 'again' });
    assert.equal(again.status, 202, JSON.stringify(again.body));
    const other = await send(alice.headers, {
      conversation_id: channel,
      recipient_id: `whatsapp:${newPhoneNumber()}`,
      content: 'someone else',
    });
    assert.equal(other.status, 403, JSON.stringify(other.body));
    await request('DELETE', `/v1/users/identities?identity=${encodeURIComponent(identity)}`, {
      headers: users.c.headers,
    });
  });

  it('files: only members declare into a conversation, and a message attaches only its own conversation’s file', async () => {
    const outsider = await request<{ code: string }>('POST', '/v1/files', {
      headers: users.c.headers,
      body: { conversation_id: theirs, filename: 'x.txt', content_type: 'text/plain', size_bytes: 5 },
    });
    assert.equal(outsider.status, 403, JSON.stringify(outsider.body));
    assert.equal(outsider.body.code, 'not_a_member');

    const bytes = Buffer.from('alice and bob only\n');
    const declared = await request<{ file_id: string; upload: { url: string; headers: Record<string, string> } }>(
      'POST',
      '/v1/files',
      {
        headers: alice.headers,
        body: { conversation_id: theirs, filename: 'ours.txt', content_type: 'text/plain', size_bytes: bytes.length },
      },
    );
    assert.equal(declared.status, 201, JSON.stringify(declared.body));
    const put = await fetch(declared.body.upload.url, {
      method: 'PUT',
      headers: declared.body.upload.headers,
      body: bytes,
    });
    assert.equal(put.status, 200, await put.text());
    const fileId = declared.body.file_id;
    assert.equal((await request('POST', `/v1/files/${fileId}/complete`, { headers: alice.headers })).status, 200);

    // user_c names alice's file from a conversation of their own: refused, and cannot read it either.
    const own = await send(users.c.headers, { recipient_id: 'user_a', content: 'look', file_id: fileId });
    assert.equal(own.status, 403, JSON.stringify(own.body));
    assert.equal(own.body.code, 'file_not_in_conversation');
    assert.equal((await request('GET', `/v1/files/${fileId}`, { headers: users.c.headers })).status, 403);
    assert.equal((await request('GET', `/v1/files/${fileId}/download`, { headers: users.c.headers })).status, 403);
  });

  it('a free (non-reserved) conversation name is first come, first served, and never shared by accident', async () => {
    const name = `it-free-${crypto.randomUUID()}`;
    const first = await send(users.c.headers, { conversation_id: name, recipient_id: 'user_b', content: 'mine' });
    assert.equal(first.status, 202, JSON.stringify(first.body));
    const late = await send(alice.headers, { conversation_id: name, recipient_id: 'user_b', content: 'also mine?' });
    assert.equal(late.status, 403, 'taken: alice is told, and does not join it');
    assert.equal(late.body.code, 'not_a_member');
    assert.equal((await history(alice.headers, name)).status, 403);
  });
});
