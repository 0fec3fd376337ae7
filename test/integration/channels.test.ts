import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { config } from '@chat4all/shared/config.js';
import { DLQ_HEADERS } from '@chat4all/shared/contracts/headers.js';
import { deadLetterTopicOf, TOPICS } from '@chat4all/shared/contracts/topics.js';
import { signBody } from '@chat4all/shared/webhooks/signature.js';
import { readDeadLetters } from '../../infra/dlq.js';
import { ROOT } from '../../infra/stack/paths.js';
import { API_URL, eventually, request } from '../helpers/api.js';
import { devUsers } from '../helpers/auth.js';
import { emulator, newPhoneNumber, textsOf } from '../../infra/emulators/control.js';

/**
 * External channels on the real stack: connectors (through the bridge) → provider emulators → signed webhooks →
 * status-updates; identities; inbound messages; dead letters and their replay. Faults are scoped to this file's
 * recipients (`only`), so other tests' messages are not disturbed.
 */

type Users = Awaited<ReturnType<typeof devUsers>>;
type Letter = 'a' | 'b' | 'c';
interface Receipt {
  message_id: string;
  conversation_id: string;
}
interface StoredMessage {
  status: string;
  sent_at: string | null;
  delivered_at: string | null;
  read_at: string | null;
  failure_reason: string | null;
  provider_message_id: string | null;
}
interface Identity {
  identity: string;
  channel: string;
  user_id: string;
  conversation_id: string;
}

let users: Users;
const whatsapp = emulator('whatsapp');
const instagram = emulator('instagram');
const run = crypto.randomBytes(4).toString('hex');
/** A number of this run: +55 11 9 and 8 random digits. */
const AFTER_SENT = ['SENT', 'DELIVERED', 'READ'];

before(async () => {
  users = await devUsers();
});

after(async () => {
  await whatsapp.clearFaults();
  await instagram.clearFaults();
});

async function send(from: Letter, recipient: string, content: string): Promise<Receipt> {
  const response = await request<Receipt>('POST', '/v1/messages', {
    headers: users[from].headers,
    body: { recipient_id: recipient, content },
  });
  assert.equal(response.status, 202, JSON.stringify(response.body));
  return response.body;
}

const message = async (as: Letter, id: string) =>
  (await request<StoredMessage>('GET', `/v1/messages/${id}`, { headers: users[as].headers })).body;

async function waitForStatus(as: Letter, id: string, statuses: string[], timeoutMs = 30_000): Promise<StoredMessage> {
  let last: StoredMessage | undefined;
  await eventually(
    `${id} in ${statuses.join('/')} (last: ${JSON.stringify(last)})`,
    async () => statuses.includes((last = await message(as, id)).status),
    { timeoutMs, intervalMs: 150 },
  );
  return last!;
}

/** POSTs a webhook body as the provider would: these exact bytes, signed (or not) with `secret`. */
async function postWebhook(channel: 'whatsapp' | 'instagram', body: string, signature: string | undefined) {
  const response = await fetch(`${API_URL}/webhooks/${channel}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...(signature ? { 'X-Hub-Signature-256': signature } : {}) },
    body,
    signal: AbortSignal.timeout(15_000),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('external channels', { timeout: 300_000 }, () => {
  it('a message to whatsapp:+5511999999999 reaches DELIVERED, then READ, from signed webhooks', async () => {
    const to = '+5511999999999';
    await whatsapp.setWebhooks({
      recipients: { [to]: { order: ['sent', 'delivered', 'read'], delaysMs: [100, 300, 4000] } },
    });
    const content = `delivered then read ${run}`;
    const receipt = await send('a', `whatsapp:${to}`, content);

    const delivered = await waitForStatus('a', receipt.message_id, ['DELIVERED', 'READ']);
    assert.equal(delivered.status, 'DELIVERED', 'DELIVERED is seen before READ');
    assert.equal(delivered.read_at, null);
    assert.match(delivered.provider_message_id ?? '', /^wamid\./);
    const read = await waitForStatus('a', receipt.message_id, ['READ']);
    assert.ok(read.sent_at && read.delivered_at && read.read_at);
    assert.ok(read.delivered_at <= read.read_at);

    const received = (await whatsapp.received(to)).filter((entry) => textsOf([entry])[0] === content);
    assert.equal(received.length, 1, 'exactly once at the provider');
    assert.equal(received[0]!.id, read.provider_message_id);
    const payload = received[0]!.payload as Record<string, unknown>;
    assert.equal(payload.messaging_product, 'whatsapp');
    assert.equal(payload.biz_opaque_callback_data, receipt.message_id);
  });

  it('a message to instagram:@maria_silva reaches READ (and no delivered receipt is invented)', async () => {
    const content = `instagram read ${run}`;
    const receipt = await send('a', 'instagram:@maria_silva', content);
    const read = await waitForStatus('a', receipt.message_id, ['READ']);
    assert.ok(read.sent_at && read.read_at);
    assert.equal(read.delivered_at, null, 'Instagram has no per-message delivered receipt');
    const received = (await instagram.received('maria_silva')).filter((entry) => textsOf([entry])[0] === content);
    assert.equal(received.length, 1);
    assert.equal(read.provider_message_id, received[0]!.id);
  });

  it('with 20% 5xx and 10% 429 injected, every message arrives, exactly once at the provider', async () => {
    const recipients = [newPhoneNumber(), newPhoneNumber(), newPhoneNumber()];
    await whatsapp.setFaults({
      errorRates: { '500': 0.15, '503': 0.05, '429': 0.1 },
      retryAfterSeconds: 1,
      only: recipients,
    });
    const before = await whatsapp.stats();
    const sent: { id: string; content: string; to: string }[] = [];
    for (let i = 0; i < 30; i++) {
      const to = recipients[i % recipients.length]!;
      const content = `flaky ${run} ${i}`;
      sent.push({ id: (await send('a', `whatsapp:${to}`, content)).message_id, content, to });
    }
    const started = Date.now();
    for (const { id } of sent) await waitForStatus('a', id, AFTER_SENT, 60_000);
    const elapsed = Date.now() - started;
    const received = (await Promise.all(recipients.map((to) => whatsapp.received(to)))).flat();
    const texts = textsOf(received);
    for (const { content } of sent) assert.equal(texts.filter((text) => text === content).length, 1, content);
    assert.equal(received.length, sent.length, 'nothing else reached these numbers');
    const after = await whatsapp.stats();
    const delta = (status: string) => (after.calls.byStatus[status] ?? 0) - (before.calls.byStatus[status] ?? 0);
    const injected = delta('500') + delta('503') + delta('429');
    assert.ok(injected > 0, 'faults were injected');
    console.log(
      `# 30 messages through ${injected} injected failures (${delta('429')} × 429): all SENT within ${elapsed} ms`,
    );
    await whatsapp.clearFaults();
  });

  it('a permanent provider error gives FAILED with the reason and a dead letter that `dlq replay` re-drives', async () => {
    const to = newPhoneNumber();
    await whatsapp.setFaults({ rejectRecipients: [to] });
    const content = `permanent ${run}`;
    const receipt = await send('a', `whatsapp:${to}`, content);
    const failed = await waitForStatus('a', receipt.message_id, ['FAILED']);
    assert.match(failed.failure_reason ?? '', /131026/);

    let letter: Awaited<ReturnType<typeof readDeadLetters>>[number] | undefined;
    await eventually(
      'dead letter',
      async () =>
        (letter = (await readDeadLetters(deadLetterTopicOf(TOPICS.whatsappOutbound))).find(
          (r) => r.messageId === receipt.message_id,
        )) !== undefined,
      { timeoutMs: 20_000, intervalMs: 500 },
    );
    assert.match(letter!.reason, /131026/);
    assert.equal(letter!.sourceTopic, TOPICS.whatsappOutbound);
    assert.equal(letter!.headers[DLQ_HEADERS.function], 'connector-whatsapp');
    assert.equal((await whatsapp.received(to)).length, 0);

    await whatsapp.clearFaults();
    const replay = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        path.join(ROOT, 'infra/dlq.ts'),
        'replay',
        '--topic',
        deadLetterTopicOf(TOPICS.whatsappOutbound),
        '--message-id',
        receipt.message_id,
      ],
      { cwd: ROOT, encoding: 'utf8', timeout: 60_000 },
    );
    assert.equal(replay.status, 0, replay.stderr);
    assert.match(replay.stdout, /1 record\(s\) replayed/);
    await eventually(
      'the replayed message reaches the provider',
      async () => (await whatsapp.received(to)).length === 1,
      {
        timeoutMs: 30_000,
        intervalMs: 200,
      },
    );
    // FAILED outranks SENT, but the provider's receipts move it on.
    await waitForStatus('a', receipt.message_id, ['DELIVERED', 'READ']);
    assert.deepEqual(textsOf(await whatsapp.received(to)), [content]);
  });

  it('receipts in reverse order still end at READ; a message the provider fails later becomes FAILED with its errors', async () => {
    const reversed = newPhoneNumber();
    const failing = newPhoneNumber();
    await whatsapp.setWebhooks({
      recipients: { [reversed]: { order: ['read', 'delivered', 'sent'], delaysMs: [100, 300, 600] } },
    });
    await whatsapp.setFaults({ failAsyncRecipients: [failing] });
    const first = await send('a', `whatsapp:${reversed}`, `reversed ${run}`);
    const second = await send('a', `whatsapp:${failing}`, `fails later ${run}`);
    const read = await waitForStatus('a', first.message_id, ['READ']);
    await new Promise((resolve) => setTimeout(resolve, 1000)); // the late DELIVERED and SENT arrive
    assert.equal((await message('a', first.message_id)).status, 'READ', 'a late receipt never downgrades');
    assert.ok(read.read_at);
    const failed = await waitForStatus('a', second.message_id, ['FAILED']);
    assert.match(failed.failure_reason ?? '', /131026/);
    assert.equal((await whatsapp.received(failing)).length, 1, 'it was accepted, then failed');
    await whatsapp.clearFaults();
  });

  it('webhooks answer the hub.challenge handshake and refuse a bad or missing signature with 401', async () => {
    const query = (token: string) =>
      `hub.mode=subscribe&hub.verify_token=${encodeURIComponent(token)}&hub.challenge=1158201444`;
    for (const [channel, token] of [
      ['whatsapp', config.channels.whatsapp.verifyToken],
      ['instagram', config.channels.instagram.verifyToken],
    ] as const) {
      const ok = await fetch(`${API_URL}/webhooks/${channel}?${query(token)}`);
      assert.equal(ok.status, 200);
      assert.equal(await ok.text(), '1158201444');
      assert.equal((await fetch(`${API_URL}/webhooks/${channel}?${query('wrong')}`)).status, 403);
    }

    const body = JSON.stringify({ object: 'whatsapp_business_account', entry: [] });
    const secret = config.channels.whatsapp.appSecret;
    const good = await postWebhook('whatsapp', body, signBody(body, secret));
    assert.equal(good.status, 200);
    for (const signature of [
      undefined,
      signBody(body, 'not the app secret'),
      signBody(`${body} `, secret),
      'sha256=00',
    ]) {
      const refused = await postWebhook('whatsapp', body, signature);
      assert.equal(refused.status, 401, String(signature));
      assert.equal(refused.body.code, 'invalid_signature');
    }
    const instagramBody = JSON.stringify({ object: 'instagram', entry: [] });
    assert.equal((await postWebhook('instagram', instagramBody, signBody(instagramBody, secret))).status, 401);
    assert.equal(
      (await postWebhook('instagram', instagramBody, signBody(instagramBody, config.channels.instagram.appSecret)))
        .status,
      200,
    );
  });

  it('links identities (409 when another user holds one), and an inbound WhatsApp message from a linked number lands in the linked user’s conversation', async () => {
    const number = newPhoneNumber();
    const identity = `whatsapp:${number}`;
    const linked = await request<Identity>('POST', '/v1/users/identities', {
      headers: users.b.headers,
      body: { identity },
    });
    assert.equal(linked.status, 201, JSON.stringify(linked.body));
    assert.equal(linked.body.user_id, users.b.id);
    assert.equal(
      (await request('POST', '/v1/users/identities', { headers: users.b.headers, body: { identity } })).status,
      200,
    );
    const taken = await request('POST', '/v1/users/identities', { headers: users.c.headers, body: { identity } });
    assert.equal(taken.status, 409);
    assert.equal(taken.body.code, 'identity_taken');
    const list = await request<{ identities: Identity[] }>('GET', '/v1/users/identities', { headers: users.b.headers });
    const mine = list.body.identities.find((entry) => entry.identity === identity);
    assert.ok(mine);

    const text = `inbound ${run} olá`;
    const delivered = await whatsapp.inbound({ from: number, text, name: 'Bea' });
    assert.equal(delivered.webhook_status, 200);
    let history: { messages: { content: string; sender_id: string }[] } | undefined;
    await eventually(
      'the inbound message in user_b’s conversation',
      async () => {
        const response = await request<NonNullable<typeof history>>(
          'GET',
          `/v1/conversations/${encodeURIComponent(mine.conversation_id)}/messages?limit=100`,
          { headers: users.b.headers },
        );
        history = response.body;
        return response.status === 200 && response.body.messages.some((m) => m.content === text);
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    const landed = history!.messages.filter((m) => m.content === text);
    assert.equal(landed.length, 1);
    assert.equal(landed[0]!.sender_id, users.b.id);
    // Someone else cannot read it.
    const other = await request('GET', `/v1/conversations/${encodeURIComponent(mine.conversation_id)}/messages`, {
      headers: users.c.headers,
    });
    assert.equal(other.status, 403);

    const unlink = await request('DELETE', `/v1/users/identities?identity=${encodeURIComponent(identity)}`, {
      headers: users.b.headers,
    });
    assert.equal(unlink.status, 204);
    const again = await request('DELETE', `/v1/users/identities?identity=${encodeURIComponent(identity)}`, {
      headers: users.b.headers,
    });
    assert.equal(again.status, 404);
  });

  it('a message to a linked identity reaches that Chat4All user in the app, not through the provider', async () => {
    const number = newPhoneNumber();
    const identity = `whatsapp:${number}`;
    assert.equal(
      (await request('POST', '/v1/users/identities', { headers: users.c.headers, body: { identity } })).status,
      201,
    );
    const content = `to a linked number ${run}`;
    const receipt = await send('a', identity, content);
    await eventually(
      'user_c sees it',
      async () => {
        const response = await request<{ messages: { content: string }[] }>(
          'GET',
          `/v1/conversations/${encodeURIComponent(receipt.conversation_id)}/messages`,
          { headers: users.c.headers },
        );
        return response.status === 200 && response.body.messages.some((m) => m.content === content);
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    assert.equal((await whatsapp.received(number)).length, 0);
    await request('DELETE', `/v1/users/identities?identity=${encodeURIComponent(identity)}`, {
      headers: users.c.headers,
    });
  });
});
