/**
 * Instagram's receipts never carry our message id. When a connector stops between Instagram's answer and recording it
 * (a SIGKILL, a frozen invocation), the send stays SENDING; Instagram's echo of the sent message, naming only the
 * recipient (by IGSID) and the text, must still settle it, or the message is sent a second time after the grace period.
 * Here the connector's part is played step by step with its own code: the attempt is recorded, the provider call is
 * made, and nothing records the answer; the emulator's signed echo then reaches the API's webhook.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { instagram as instagramChannel } from '@chat4all/shared/channels/instagram.js';
import { getCassandra } from '@chat4all/shared/clients/cassandra.js';
import { cassandraSendStore } from '@chat4all/shared/connectors/repository.js';
import type { OutboundMessage } from '@chat4all/shared/contracts/records.js';
import { eventually, request } from '../helpers/api.js';
import { devUsers } from '../helpers/auth.js';

let users: Awaited<ReturnType<typeof devUsers>>;
before(async () => {
  users = await devUsers();
});
after(() => getCassandra().shutdown());

describe('an interrupted Instagram send', { timeout: 120_000 }, () => {
  it("is recorded from Instagram's echo (recipient and text), so it is not sent again", async () => {
    // A stored message: its sender can read it, and its status is what the echo moves on.
    const content = `echo settles ${crypto.randomUUID()}`;
    const accepted = await request<{ message_id: string; conversation_id: string }>('POST', '/v1/messages', {
      headers: users.a.headers,
      body: { recipient_id: users.b.id, content },
    });
    assert.equal(accepted.status, 202);
    const { message_id: messageId, conversation_id: conversationId } = accepted.body;
    await eventually(
      'the message is stored',
      async () => (await request('GET', `/v1/messages/${messageId}`, { headers: users.a.headers })).status === 200,
      { timeoutMs: 30_000 },
    );

    // The connector's attempt: SENDING, with the key its echo will have.
    const handle = `echo_${crypto.randomBytes(4).toString('hex')}`;
    const outbound = {
      message_id: messageId,
      conversation_id: conversationId,
      sender_id: users.a.id,
      recipient: `instagram:@${handle}`,
      channel: 'instagram',
      content,
      file_id: null,
      created_at: new Date().toISOString(),
      to: `@${handle}`,
    } as OutboundMessage;
    const store = cassandraSendStore(getCassandra());
    const key = instagramChannel.echoKey!(outbound)!;
    await store.recordAttempt(messageId, 'instagram', new Date(), {
      key,
      messageId,
      conversationId,
      identity: outbound.recipient,
    });

    // The provider call goes through; its answer is never recorded (the process "died").
    const call = instagramChannel.request(outbound, undefined);
    const answer = await fetch(call.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...call.headers },
      body: JSON.stringify(call.body),
    });
    assert.equal(answer.status, 200);
    const providerMessageId = instagramChannel.providerMessageId(await answer.json())!;

    // The echo (addressed to the IGSID, not the handle) reaches the webhook, which records the send.
    let state: unknown;
    await eventually(
      `the send recorded from the echo (last: ${JSON.stringify(state)})`,
      async () => {
        const record = (await store.findSends([messageId])).get(messageId);
        state = record;
        return record?.state === 'SENT' && record.providerMessageId === providerMessageId;
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    // And the status event it published reached the message its sender reads.
    await eventually(
      'the message shows the provider id',
      async () => {
        const reply = await request<{ provider_message_id: string | null }>('GET', `/v1/messages/${messageId}`, {
          headers: users.a.headers,
        });
        return reply.body.provider_message_id === providerMessageId;
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
  });
});
