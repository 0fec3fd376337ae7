import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { instagram } from '@chat4all/shared/channels/instagram.js';
import { NotAWebhookError } from '@chat4all/shared/channels/types.js';
import { whatsapp } from '@chat4all/shared/channels/whatsapp.js';
import { config } from '@chat4all/shared/config.js';
import { identityOf, normalizeIdentity } from '@chat4all/shared/identities/service.js';
import type { OutboundMessage } from '@chat4all/shared/messages/model.js';
import { signBody, verifySignature } from '@chat4all/shared/webhooks/signature.js';
import { metaJson, signature as emulatorSignature } from '../../infra/emulators/common.js';

const message: OutboundMessage = {
  message_id: '0193aaaa-0000-7000-8000-000000000001',
  conversation_id: 'c-1',
  sender_id: '11111111-1111-4111-8111-111111111111',
  recipient: 'whatsapp:+5511999999999',
  channel: 'whatsapp',
  content: 'olá',
  file_id: null,
  created_at: '2026-01-01T00:00:00.000Z',
  to: '+5511999999999',
};

describe('WhatsApp channel', () => {
  it('sends text and media in the Cloud API shape, with our id as biz_opaque_callback_data', () => {
    const text = whatsapp.request(message, undefined);
    assert.equal(
      text.url,
      `${config.channels.whatsapp.apiUrl}/${config.channels.whatsapp.apiVersion}/${config.channels.whatsapp.phoneNumberId}/messages`,
    );
    assert.equal(text.headers.Authorization, `Bearer ${config.channels.whatsapp.accessToken}`);
    assert.deepEqual(text.body, {
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: '+5511999999999',
      type: 'text',
      text: { preview_url: false, body: 'olá' },
      biz_opaque_callback_data: message.message_id,
    });
    const image = whatsapp.request(message, { url: 'https://s3/x', contentType: 'image/png', filename: 'a.png' });
    assert.deepEqual((image.body as Record<string, unknown>).image, { link: 'https://s3/x', caption: 'olá' });
    const pdf = whatsapp.request(message, { url: 'https://s3/y', contentType: 'application/pdf', filename: 'b.pdf' });
    assert.deepEqual((pdf.body as Record<string, unknown>).document, {
      link: 'https://s3/y',
      caption: 'olá',
      filename: 'b.pdf',
    });
    assert.equal(whatsapp.providerMessageId({ messages: [{ id: 'wamid.X' }] }), 'wamid.X');
  });

  it('tells permanent refusals from rate limits and provider failures by status and error code', () => {
    const error = (code: number) => ({ error: { code, message: `(#${code})` } });
    assert.equal(whatsapp.classify(400, error(131026)).kind, 'permanent');
    assert.equal(whatsapp.classify(401, error(190)).kind, 'permanent');
    assert.equal(whatsapp.classify(400, error(100)).kind, 'permanent');
    assert.equal(whatsapp.classify(400, error(130429)).kind, 'rate_limited');
    assert.equal(whatsapp.classify(400, error(131056)).kind, 'rate_limited');
    assert.equal(whatsapp.classify(429, {}).kind, 'rate_limited');
    assert.equal(whatsapp.classify(500, error(131000)).kind, 'transient');
    assert.equal(whatsapp.classify(503, null).kind, 'transient');
    assert.equal(whatsapp.classify(400, error(131026)).reason, 'whatsapp 400: (#131026)');
    assert.equal(
      whatsapp.classify(400, { error: { code: 100, message: 'Invalid parameter' } }).reason,
      'whatsapp 400: (#100) Invalid parameter',
    );
  });

  it('reads status receipts (failed with its errors) and inbound messages from the whatsapp_business_account envelope', () => {
    const payload = {
      object: 'whatsapp_business_account',
      entry: [
        {
          id: '1',
          changes: [
            {
              field: 'messages',
              value: {
                messaging_product: 'whatsapp',
                statuses: [
                  { id: 'wamid.A', status: 'delivered', timestamp: '1700000000', biz_opaque_callback_data: 'm-1' },
                  {
                    id: 'wamid.B',
                    status: 'failed',
                    timestamp: '1700000001',
                    errors: [{ code: 131026, title: 'Message undeliverable' }],
                  },
                  { id: 'wamid.C', status: 'deleted', timestamp: '1700000002' },
                ],
                messages: [
                  {
                    from: '5511988887777',
                    id: 'wamid.IN',
                    timestamp: '1700000003',
                    type: 'text',
                    text: { body: 'oi' },
                    context: { id: 'wamid.A' },
                  },
                ],
              },
            },
          ],
        },
      ],
    };
    const { statuses, inbound } = whatsapp.parseWebhook(payload);
    assert.deepEqual(statuses[0], {
      providerMessageId: 'wamid.A',
      status: 'DELIVERED',
      at: '2023-11-14T22:13:20.000Z',
      messageIdHint: 'm-1',
    });
    assert.equal(statuses[1]!.status, 'FAILED');
    assert.match(statuses[1]!.reason!, /131026.*undeliverable/);
    assert.equal(statuses.length, 2, 'a deleted receipt changes nothing of ours');
    assert.deepEqual(inbound, [
      {
        providerMessageId: 'wamid.IN',
        identity: 'whatsapp:+5511988887777',
        senderId: '5511988887777',
        text: 'oi',
        at: '2023-11-14T22:13:23.000Z',
        replyTo: 'wamid.A',
      },
    ]);
    assert.throws(() => whatsapp.parseWebhook({ object: 'instagram', entry: [] }), NotAWebhookError);
  });
});

describe('Instagram channel', () => {
  it('sends {recipient:{id}, message:{text | attachment}} and reads {recipient_id, message_id}', () => {
    const text = instagram.request({ ...message, to: 'maria_silva' }, undefined);
    assert.match(text.url, /\/me\/messages$/);
    assert.deepEqual(text.body, {
      recipient: { id: 'maria_silva' },
      messaging_type: 'RESPONSE',
      message: { text: 'olá' },
    });
    const file = instagram.request(message, { url: 'https://s3/v', contentType: 'video/mp4', filename: 'v.mp4' });
    assert.deepEqual((file.body as { message: unknown }).message, {
      attachment: { type: 'video', payload: { url: 'https://s3/v', is_reusable: false } },
    });
    assert.equal(instagram.providerMessageId({ recipient_id: '1', message_id: 'mid.1' }), 'mid.1');
    assert.equal(instagram.classify(400, { error: { code: 551 } }).kind, 'permanent');
    assert.equal(instagram.classify(400, { error: { code: 613 } }).kind, 'rate_limited');
    assert.equal(instagram.classify(500, { error: { code: 1 } }).kind, 'transient');
  });

  it('reads echoes as SENT and reads as READ, never a delivered receipt, and inbound messages by IGSID', () => {
    const { statuses, inbound } = instagram.parseWebhook({
      object: 'instagram',
      entry: [
        {
          id: 'ig',
          time: 1,
          messaging: [
            {
              sender: { id: 'ig' },
              recipient: { id: '17' },
              timestamp: 1700000000000,
              message: { mid: 'm1', is_echo: true, text: 'x' },
            },
            { sender: { id: '17' }, recipient: { id: 'ig' }, timestamp: 1700000001000, read: { mid: 'm1' } },
            {
              sender: { id: '17' },
              recipient: { id: 'ig' },
              timestamp: 1700000002000,
              message: { mid: 'm2', text: 'hi' },
            },
          ],
        },
      ],
    });
    assert.deepEqual(
      statuses.map((s) => [s.providerMessageId, s.status]),
      [
        ['m1', 'SENT'],
        ['m1', 'READ'],
      ],
    );
    assert.equal(inbound[0]!.senderId, '17');
    assert.equal(inbound[0]!.identity, undefined, 'resolved through the profile API');
    assert.deepEqual(statuses[0]!.echo, { recipient: '17', text: 'x' }, 'an echo names recipient and text');
  });

  it('keys a text send as its echo will name it; a file send has no key (its echo carries no text)', () => {
    const base = {
      message_id: 'm',
      conversation_id: 'c',
      sender_id: 's',
      recipient: 'instagram:@Maria_Silva',
      channel: 'instagram' as const,
      created_at: new Date().toISOString(),
      to: '@Maria_Silva',
    };
    assert.deepEqual(instagram.echoKey!({ ...base, content: 'oi', file_id: null }), {
      recipient: 'maria_silva',
      text: 'oi',
    });
    assert.equal(instagram.echoKey!({ ...base, content: null, file_id: 'f' }), undefined);
  });
});

describe('webhook signatures', () => {
  it('verifies X-Hub-Signature-256 over the exact bytes, as the emulator (and Meta) sign them', () => {
    const body = metaJson({ text: 'olá / ünïcode' });
    assert.match(body, /\\u00e1/, 'Meta escapes non-ASCII');
    const header = emulatorSignature(body, 'secret');
    assert.equal(header, signBody(body, 'secret'));
    assert.equal(verifySignature(Buffer.from(body), header, 'secret'), true);
    assert.equal(verifySignature(Buffer.from(body), header.toUpperCase().replace('SHA256', 'sha256'), 'secret'), true);
    assert.equal(verifySignature(Buffer.from(`${body} `), header, 'secret'), false, 'one more byte');
    assert.equal(verifySignature(Buffer.from(body), header, 'other secret'), false);
    assert.equal(verifySignature(Buffer.from(body), undefined, 'secret'), false);
    assert.equal(verifySignature(Buffer.from(body), 'sha256=abc', 'secret'), false);
    assert.equal(verifySignature(Buffer.from(body), `sha1=${'0'.repeat(40)}`, 'secret'), false);
  });
});

describe('identities', () => {
  it('has one spelling per identity and refuses what is none', () => {
    assert.equal(normalizeIdentity('whatsapp:+5511999999999'), 'whatsapp:+5511999999999');
    assert.equal(normalizeIdentity('instagram:@Maria_Silva'), 'instagram:@maria_silva');
    assert.equal(normalizeIdentity('instagram:maria_silva'), 'instagram:@maria_silva');
    for (const bad of [
      'user_a',
      'whatsapp:5511999999999',
      'whatsapp:+0123',
      'instagram:@no spaces',
      'sms:+5511999999999',
    ])
      assert.throws(() => normalizeIdentity(bad), /identity is whatsapp/, bad);
    assert.equal(identityOf('user_b'), undefined);
    assert.equal(identityOf(null), undefined);
  });
});
