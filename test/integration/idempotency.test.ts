import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { before, describe, it } from 'node:test';
import { eventually, request } from '../helpers/api.js';
import { devUsers } from '../helpers/auth.js';

/**
 * Idempotency-Key of POST /v1/messages: the same key with the same request is the same message,
 * also under concurrency; the same key with a different request (conversation, recipient, content, file or type) is a
 * 422 idempotency_key_reused, and the second request's message is not silently dropped behind a 202.
 */

type Users = Awaited<ReturnType<typeof devUsers>>;
interface Receipt {
  message_id: string;
  status: string;
  conversation_id: string;
}
interface History {
  messages: { message_id: string; content: string | null }[];
}

let users: Users;
before(async () => {
  users = await devUsers();
});

const newConversationId = () => `it-idem-${crypto.randomUUID()}`;

const send = (key: string, body: Record<string, unknown>) =>
  request<Receipt & { error?: string; code?: string }>('POST', '/v1/messages', {
    headers: { ...users.a.headers, 'Idempotency-Key': key },
    body,
  });

async function settledHistory(conversationId: string, atLeast: number): Promise<History> {
  let page: History | undefined;
  await eventually(
    `${atLeast} message(s) stored`,
    async () => {
      const response = await request<History>(
        'GET',
        `/v1/conversations/${encodeURIComponent(conversationId)}/messages?limit=100`,
        { headers: users.b.headers },
      );
      page = response.body;
      return response.status === 200 && response.body.messages.length >= atLeast;
    },
    { timeoutMs: 30_000, intervalMs: 200 },
  );
  return page!;
}

function assertReused(answer: { status: number; body: { code?: unknown; error?: unknown } }, label: string) {
  assert.equal(answer.status, 422, `${label}: ${JSON.stringify(answer.body)}`);
  assert.deepEqual(Object.keys(answer.body).sort(), ['code', 'error'], label);
  assert.equal(answer.body.code, 'idempotency_key_reused', label);
}

async function uploadedFile(conversationId: string): Promise<string> {
  const bytes = Buffer.from('idempotency\n');
  const declared = await request<{ file_id: string; upload: { url: string; headers: Record<string, string> } }>(
    'POST',
    '/v1/files',
    {
      headers: users.a.headers,
      body: {
        conversation_id: conversationId,
        filename: 'k.txt',
        content_type: 'text/plain',
        size_bytes: bytes.length,
      },
    },
  );
  assert.equal(declared.status, 201, JSON.stringify(declared.body));
  const put = await fetch(declared.body.upload.url, {
    method: 'PUT',
    headers: declared.body.upload.headers,
    body: bytes,
  });
  assert.equal(put.status, 200, await put.text());
  const completed = await request('POST', `/v1/files/${declared.body.file_id}/complete`, { headers: users.a.headers });
  assert.equal(completed.status, 200, JSON.stringify(completed.body));
  return declared.body.file_id;
}

describe('Idempotency-Key', { timeout: 120_000 }, () => {
  it('refuses the reproduced reuse: same key, different content → 422, and the first message stays the only one', async () => {
    const conversationId = newConversationId();
    const key = crypto.randomUUID();
    const first = await send(key, { conversation_id: conversationId, recipient_id: 'user_b', content: 'first' });
    assert.equal(first.status, 202, JSON.stringify(first.body));
    assertReused(
      await send(key, { conversation_id: conversationId, recipient_id: 'user_b', content: 'second' }),
      'content',
    );
    const retry = await send(key, { conversation_id: conversationId, recipient_id: 'user_b', content: 'first' });
    assert.equal(retry.status, 202, 'the first request can still be retried');
    assert.equal(retry.body.message_id, first.body.message_id);
    const page = await settledHistory(conversationId, 1);
    assert.deepEqual(
      page.messages.map((m) => m.content),
      ['first'],
    );
  });

  it('counts the conversation, the recipient, the file and the type as part of the request', async () => {
    const group = await request<{ conversation_id: string }>('POST', '/v1/conversations', {
      headers: users.a.headers,
      body: { type: 'group', name: 'idempotency', member_ids: ['user_b'] },
    });
    assert.equal(group.status, 201, JSON.stringify(group.body));
    const conversationId = group.body.conversation_id;
    const fileId = await uploadedFile(conversationId);
    const key = crypto.randomUUID();
    const base = { conversation_id: conversationId, content: 'base' };
    assert.equal((await send(key, base)).status, 202);
    assertReused(
      await send(key, { ...base, conversation_id: newConversationId(), recipient_id: 'user_b' }),
      'conversation',
    );
    assertReused(await send(key, { ...base, recipient_id: 'user_b' }), 'recipient');
    assertReused(await send(key, { ...base, file_id: fileId }), 'file');
    assertReused(await send(key, { ...base, type: 'file' }), 'type');

    // The same request spelled differently is the same request: explicit type "text", a user named by id or name.
    assert.equal((await send(key, { ...base, type: 'text' })).status, 202, 'type "text" is the default');
    const byName = crypto.randomUUID();
    const first = await send(byName, { ...base, recipient_id: 'user_b' });
    const second = await send(byName, { ...base, recipient_id: users.b.id });
    assert.equal(second.status, 202, JSON.stringify(second.body));
    assert.equal(second.body.message_id, first.body.message_id);
  });

  it('keeps one message for 20 parallel identical requests, and refuses the different ones racing them', async () => {
    const conversationId = newConversationId();
    const opened = await send(crypto.randomUUID(), {
      conversation_id: conversationId,
      recipient_id: 'user_b',
      content: 'open',
    });
    assert.equal(opened.status, 202, JSON.stringify(opened.body));

    const same = crypto.randomUUID();
    const identical = await Promise.all(
      Array.from({ length: 20 }, () => send(same, { conversation_id: conversationId, content: 'twenty as one' })),
    );
    assert.deepEqual(
      identical.map((answer) => answer.status),
      identical.map(() => 202),
      JSON.stringify(identical.filter((answer) => answer.status !== 202).map((answer) => answer.body)),
    );
    assert.equal(new Set(identical.map((answer) => answer.body.message_id)).size, 1, 'one message id');

    const contested = crypto.randomUUID();
    const mixed = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        send(contested, { conversation_id: conversationId, content: `racer ${i % 2}` }),
      ),
    );
    const accepted = mixed.filter((answer) => answer.status === 202);
    const refused = mixed.filter((answer) => answer.status === 422);
    assert.equal(accepted.length + refused.length, 20, JSON.stringify(mixed.map((answer) => answer.body)));
    assert.equal(accepted.length, 10, 'the requests equal to the winner');
    assert.equal(new Set(accepted.map((answer) => answer.body.message_id)).size, 1);
    for (const answer of refused) assertReused(answer, 'racing');

    const page = await settledHistory(conversationId, 3);
    const contents = page.messages.map((m) => m.content);
    assert.equal(contents.filter((c) => c === 'twenty as one').length, 1);
    assert.equal(contents.filter((c) => c?.startsWith('racer')).length, 1, 'one of the two racing contents, once');
    assert.equal(contents.length, 3);
  });
});
