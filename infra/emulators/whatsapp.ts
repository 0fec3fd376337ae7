/**
 * WhatsApp Cloud API emulator: POST /{version}/{phone_number_id}/messages as graph.facebook.com answers it, its
 * error codes, and status webhooks (sent, delivered, read; failed with errors[]) in the `whatsapp_business_account`
 * envelope, signed with X-Hub-Signature-256. Control API: see common.ts and docs/channels.md.
 */
import crypto from 'node:crypto';
import { config } from '@chat4all/shared/config.js';
import { bearerToken, Emulator, graphError, HttpAnswer, type ApiRequest, type Json } from './common.js';

const settings = config.channels.whatsapp;
const WABA_ID = '100000000000009';
const DISPLAY_PHONE = '15550001234';
const MEDIA_TYPES = ['image', 'video', 'audio', 'document'] as const;

const waId = (to: string): string => to.replace(/^\+/, '');
const wamid = (): string =>
  `wamid.${Buffer.from(`HBgN${crypto.randomBytes(6).toString('hex')}FQIAERgS${crypto.randomBytes(9).toString('hex').toUpperCase()}`).toString('base64')}`;
const unixSeconds = (): string => String(Math.floor(Date.now() / 1000));

const envelope = (value: Json): Json => ({
  object: 'whatsapp_business_account',
  entry: [
    {
      id: WABA_ID,
      changes: [
        {
          value: {
            messaging_product: 'whatsapp',
            metadata: { display_phone_number: DISPLAY_PHONE, phone_number_id: settings.phoneNumberId },
            ...value,
          },
          field: 'messages',
        },
      ],
    },
  ],
});

function statusPayload(id: string, to: string, kind: string, opaque: string | undefined): Json | undefined {
  if (!['sent', 'delivered', 'read', 'failed'].includes(kind)) return undefined;
  const status: Json = {
    id,
    status: kind,
    timestamp: unixSeconds(),
    recipient_id: waId(to),
    ...(opaque ? { biz_opaque_callback_data: opaque } : {}),
  };
  if (kind === 'sent' || kind === 'delivered') {
    status.conversation = { id: crypto.createHash('md5').update(to).digest('hex'), origin: { type: 'service' } };
    status.pricing = { billable: true, pricing_model: 'CBP', category: 'service' };
  }
  if (kind === 'failed') {
    status.errors = [
      {
        code: 131026,
        title: 'Message undeliverable',
        message: 'Message undeliverable',
        error_data: { details: 'Message could not be delivered to the recipient' },
      },
    ];
  }
  return envelope({ statuses: [status] });
}

/** Validates a send; an error answer, or the recipient and type. */
function validate(body: Json): HttpAnswer | { to: string; type: string } {
  const invalid = (message: string) => graphError(400, 100, `(#100) ${message}`, { error_subcode: 2494010 });
  if (body.messaging_product !== 'whatsapp') return invalid('The parameter messaging_product is required.');
  const to = body.to;
  if (typeof to !== 'string' || !/^\+?[1-9]\d{6,14}$/.test(to)) return invalid('Invalid parameter: to');
  const type = (body.type as string | undefined) ?? 'text';
  if (type === 'text') {
    const text = (body.text as { body?: unknown } | undefined)?.body;
    if (typeof text !== 'string' || text.length === 0) return invalid("The parameter text['body'] is required.");
    if (text.length > 4096) return invalid("Param text['body'] must be at most 4096 characters long.");
  } else if ((MEDIA_TYPES as readonly string[]).includes(type)) {
    const media = body[type] as { link?: unknown; id?: unknown } | undefined;
    if (typeof media?.link !== 'string' && typeof media?.id !== 'string')
      return invalid(`Param ${type}['link'] or ${type}['id'] is required.`);
  } else return invalid(`Invalid parameter: type ${type}`);
  return { to, type };
}

/** The answer of an injected status code, with WhatsApp's error body for it. */
function injectedError(status: number, retryAfterSeconds: number | undefined): HttpAnswer {
  const retryAfter: Record<string, string> = retryAfterSeconds ? { 'Retry-After': String(retryAfterSeconds) } : {};
  if (status === 429)
    return graphError(
      429,
      130429,
      '(#130429) Rate limit hit',
      { error_data: { messaging_product: 'whatsapp', details: 'Cloud API message throughput has been reached.' } },
      retryAfter,
    );
  if (status === 503)
    return graphError(
      503,
      131016,
      '(#131016) Service unavailable',
      { error_data: { messaging_product: 'whatsapp', details: 'A service is temporarily unavailable.' } },
      retryAfter,
    );
  if (status >= 500)
    return graphError(status, 131000, '(#131000) Something went wrong', {
      error_data: { messaging_product: 'whatsapp', details: 'Something went wrong' },
    });
  return graphError(status, 100, '(#100) Invalid parameter');
}

export function whatsappEmulator(
  port: number,
  webhookUrl: string,
): { emulator: Emulator; start: () => Promise<number> } {
  const emulator = new Emulator({
    name: 'whatsapp',
    port,
    webhookUrl,
    appSecret: settings.appSecret,
    defaultWebhooks: { order: ['sent', 'delivered', 'read'], delaysMs: [100, 400, 3000] },
  });

  const api = async (request: ApiRequest) => {
    const match = /^\/(v\d+\.\d+)\/([^/]+)\/messages$/.exec(request.path);
    if (request.method !== 'POST' || !match) return undefined;
    if (emulator.outage())
      return emulator.faults.outageMode === 'reset'
        ? ('reset' as const)
        : injectedError(503, emulator.faults.retryAfterSeconds);
    if (bearerToken(request) !== settings.accessToken)
      return graphError(401, 190, 'Invalid OAuth access token - Cannot parse access token', { error_subcode: 463 });
    if (match[2] !== settings.phoneNumberId)
      return graphError(
        400,
        100,
        `Unsupported post request. Object with ID '${match[2]}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.`,
        { error_subcode: 33 },
      );
    const body = (request.body ?? {}) as Json;
    const valid = validate(body);
    if (valid instanceof HttpAnswer) return valid;
    const fault = await emulator.injected(valid.to);
    if (fault === 'timeout') return 'timeout' as const;
    if (fault !== undefined) return injectedError(fault, emulator.faults.retryAfterSeconds);
    if (emulator.faults.rejectRecipients?.includes(valid.to))
      return graphError(400, 131026, '(#131026) Message undeliverable', {
        error_data: { messaging_product: 'whatsapp', details: 'Message could not be delivered to the recipient.' },
      });

    const id = wamid();
    emulator.record({ id, to: valid.to, payload: body });
    const opaque = typeof body.biz_opaque_callback_data === 'string' ? body.biz_opaque_callback_data : undefined;
    const plan = emulator.faults.failAsyncRecipients?.includes(valid.to)
      ? { order: ['sent', 'failed'], delaysMs: [100, 400] }
      : undefined;
    emulator.scheduleWebhooks(valid.to, (kind) => statusPayload(id, valid.to, kind, opaque), plan);
    return new HttpAnswer(200, {
      messaging_product: 'whatsapp',
      contacts: [{ input: valid.to, wa_id: waId(valid.to) }],
      messages: [{ id, message_status: 'accepted' }],
    });
  };

  /** A person sends us a message: {from: "+5511…", text, name?, context_id?} → the messages webhook. */
  const inbound = async (body: Json): Promise<HttpAnswer> => {
    const from = typeof body.from === 'string' ? waId(body.from) : '';
    if (!/^[1-9]\d{6,14}$/.test(from)) return new HttpAnswer(400, { error: 'from is an E.164 number' });
    const id = wamid();
    const message: Json = {
      from,
      id,
      timestamp: unixSeconds(),
      type: 'text',
      text: { body: typeof body.text === 'string' ? body.text : '' },
      ...(typeof body.context_id === 'string' ? { context: { from: DISPLAY_PHONE, id: body.context_id } } : {}),
    };
    const status = await emulator.sendWebhook(
      'message',
      envelope({
        contacts: [{ profile: { name: typeof body.name === 'string' ? body.name : 'WhatsApp user' }, wa_id: from }],
        messages: [message],
      }),
    );
    return new HttpAnswer(200, { id, webhook_status: status });
  };

  return { emulator, start: () => emulator.listen(api, inbound) };
}
