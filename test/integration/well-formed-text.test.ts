import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { before, describe, it } from 'node:test';
import { eventually, request } from '../helpers/api.js';
import { devUsers } from '../helpers/auth.js';

/**
 * A JSON string may spell a lone UTF-16 surrogate (`"\ud800"`), which is no text: stored as UTF-8 it silently became
 * U+FFFD. Wherever user text enters, it is a 400 invalid_text instead, and nothing is stored.
 * Bodies are sent as raw JSON text, exactly as a client would write the escape.
 */

type Users = Awaited<ReturnType<typeof devUsers>>;
let users: Users;
let group: string;

before(async () => {
  users = await devUsers();
  const created = await request<{ conversation_id: string }>('POST', '/v1/conversations', {
    headers: users.a.headers,
    body: { type: 'group', name: 'text', member_ids: ['user_b'] },
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  group = created.body.conversation_id;
});

const LONE = ['\\ud800', '\\udfff', 'a\\udc00b', '\\ude00\\ud83d'];

/** `template` with LONE's escapes in place of `%s`, as raw JSON. */
const raw = (template: string, lone: string) => template.replace('%s', lone);

async function refused(
  method: string,
  path: string,
  template: string,
  headers: Record<string, string> = users.a.headers,
): Promise<void> {
  for (const lone of LONE) {
    const answer = await request<{ error: string; code: string }>(method, path, { body: raw(template, lone), headers });
    assert.equal(answer.status, 400, `${path} ${raw(template, lone)}: ${JSON.stringify(answer.body)}`);
    assert.equal(answer.body.code, 'invalid_text', `${path} ${raw(template, lone)}`);
    assert.equal(typeof answer.body.error, 'string');
  }
}

describe('lone surrogates are refused wherever user text enters', { timeout: 60_000 }, () => {
  it('message content: 400 invalid_text, nothing stored; a real astral character passes', async () => {
    await refused('POST', '/v1/messages', `{"conversation_id":"${group}","content":"%s"}`);
    const emoji = `ok \\ud83d\\ude00 ${crypto.randomBytes(3).toString('hex')}`;
    const fine = await request<{ message_id: string }>('POST', '/v1/messages', {
      body: `{"conversation_id":"${group}","content":"${emoji}"}`,
      headers: users.a.headers,
    });
    assert.equal(fine.status, 202, JSON.stringify(fine.body));
    const expected = JSON.parse(`"${emoji}"`) as string;
    let contents: string[] = [];
    await eventually(
      'the well-formed message stored',
      async () => {
        const page = await request<{ messages: { content: string }[] }>(
          'GET',
          `/v1/conversations/${encodeURIComponent(group)}/messages?limit=100`,
          { headers: users.b.headers },
        );
        contents = page.body.messages?.map((m) => m.content) ?? [];
        return contents.includes(expected);
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    assert.ok(!contents.some((content) => content?.includes('\ufffd')), 'no U+FFFD was stored');
  });

  it('conversation names and member references', async () => {
    await refused('POST', '/v1/conversations', '{"type":"group","name":"team %s","member_ids":["user_b"]}');
    await refused('POST', '/v1/conversations', '{"type":"group","member_ids":["user_b%s"]}');
    await refused('POST', `/v1/conversations/${group}/members`, '{"member_ids":["%s"]}');
    await refused('POST', `/v1/conversations/${group}/admins`, '{"user_id":"user_b%s"}');
  });

  it('filenames', async () => {
    await refused(
      'POST',
      '/v1/files',
      `{"conversation_id":"${group}","filename":"photo%s.png","content_type":"image/png","size_bytes":10}`,
    );
  });

  it('usernames, emails and passwords at registration, and channel identities', async () => {
    const name = `text_${crypto.randomBytes(3).toString('hex')}`;
    const register = async (body: string) => {
      const answer = await request<{ code: string }>('POST', '/auth/register', { body });
      assert.equal(answer.status, 400, `${body}: ${JSON.stringify(answer.body)}`);
      assert.equal(answer.body.code, 'invalid_text', body);
    };
    await register(`{"username":"${name}\\ud800","password":"correct horse","email":"${name}@example.com"}`);
    await register(`{"username":"${name}","password":"correct horse","email":"${name}\\udc00@example.com"}`);
    await register(`{"username":"${name}","password":"correct \\ud800 horse","email":"${name}@example.com"}`);
    await refused('POST', '/v1/users/identities', '{"identity":"instagram:@x%s"}');
  });
});
