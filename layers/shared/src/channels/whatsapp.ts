import { config } from '../config.js';
import type { MessageStatus } from '../contracts/records.js';
import { CHANNEL_TOPICS } from '../contracts/topics.js';
import {
  asArray,
  describeGraphError,
  graphError,
  NotAWebhookError,
  type ChannelDefinition,
  type InboundMessage,
  type Media,
  type ProviderFailure,
  type ProviderStatus,
} from './types.js';

/**
 * WhatsApp Cloud API (graph.facebook.com): POST /{version}/{phone_number_id}/messages with a bearer token, answered
 * {messaging_product, contacts:[{input, wa_id}], messages:[{id: "wamid..."}]}; status receipts and inbound messages
 * arrive on the `whatsapp_business_account` webhook.
 */
const settings = config.channels.whatsapp;

/** Graph API / Cloud API error codes that mean "too fast, try later" (throughput, pair rate, spam rate, app rate). */
const RATE_LIMITED = new Set([4, 17, 32, 613, 80007, 130429, 131048, 131056]);
/** Codes of a provider-side failure: try again. */
const TRANSIENT = new Set([1, 2, 131000, 131016, 133004]);

const WHATSAPP_STATUS: Record<string, MessageStatus> = {
  sent: 'SENT',
  delivered: 'DELIVERED',
  read: 'READ',
  failed: 'FAILED',
};

/** The media message type WhatsApp accepts for a content type (anything else goes as a document). */
function mediaType(contentType: string): 'image' | 'video' | 'audio' | 'document' {
  const essence = contentType.split(';')[0]!.trim().toLowerCase();
  if (essence === 'image/jpeg' || essence === 'image/png') return 'image';
  if (essence === 'video/mp4' || essence === 'video/3gpp') return 'video';
  if (['audio/aac', 'audio/amr', 'audio/mpeg', 'audio/mp4', 'audio/ogg'].includes(essence)) return 'audio';
  return 'document';
}

function mediaMessage(media: Media, caption: string | null): Record<string, unknown> {
  const type = mediaType(media.contentType);
  const object: Record<string, unknown> = { link: media.url };
  if (caption && type !== 'audio') object.caption = caption;
  if (type === 'document') object.filename = media.filename;
  return { type, [type]: object };
}

const isoFromSeconds = (seconds: unknown): string => {
  const value = Number(seconds) * 1000;
  // Beyond ±8.64e15 ms a Date is invalid and toISOString() throws.
  return new Date(Number.isFinite(value) && value > 0 && value <= 8.64e15 ? value : Date.now()).toISOString();
};

interface WaStatus {
  id?: string;
  status?: string;
  timestamp?: string;
  recipient_id?: string;
  biz_opaque_callback_data?: string;
  errors?: { code?: number; title?: string; message?: string; error_data?: { details?: string } }[];
}

interface WaMessage {
  id?: string;
  from?: string;
  timestamp?: string;
  type?: string;
  text?: { body?: string };
  context?: { id?: string };
  [media: string]: unknown;
}

function readStatus(status: WaStatus): ProviderStatus | undefined {
  const ours = status.status ? WHATSAPP_STATUS[status.status] : undefined;
  if (!ours || typeof status.id !== 'string') return undefined; // e.g. "deleted": nothing of ours changes
  const reason =
    ours === 'FAILED'
      ? asArray(status.errors)
          .map((raw) => {
            const error = raw as NonNullable<WaStatus['errors']>[number];
            const details = error.error_data?.details ? ` (${error.error_data.details})` : '';
            return `whatsapp (#${error.code ?? '?'}) ${error.title ?? error.message ?? 'failed'}${details}`;
          })
          .join('; ') || 'whatsapp reported the message failed'
      : undefined;
  return {
    providerMessageId: status.id,
    status: ours,
    at: isoFromSeconds(status.timestamp),
    ...(reason ? { reason } : {}),
    ...(status.biz_opaque_callback_data ? { messageIdHint: status.biz_opaque_callback_data } : {}),
  };
}

function readMessage(message: WaMessage): InboundMessage | undefined {
  if (typeof message.id !== 'string' || typeof message.from !== 'string' || !/^\d{7,15}$/.test(message.from))
    return undefined;
  let text: string;
  if (message.type === 'text') text = message.text?.body ?? '';
  else {
    const media = message[message.type ?? ''] as { caption?: string } | undefined;
    text = media?.caption ?? `[${message.type ?? 'unsupported'} message]`;
  }
  return {
    providerMessageId: message.id,
    identity: `whatsapp:+${message.from}`,
    senderId: message.from,
    text,
    at: isoFromSeconds(message.timestamp),
    ...(message.context?.id ? { replyTo: message.context.id } : {}),
  };
}

export const whatsapp: ChannelDefinition = {
  channel: 'whatsapp',
  topic: CHANNEL_TOPICS.whatsapp,
  account: settings.phoneNumberId,
  ratePerSecond: settings.ratePerSecond,
  appSecret: settings.appSecret,
  verifyToken: settings.verifyToken,

  request(message, media) {
    const content = media
      ? mediaMessage(media, message.content)
      : { type: 'text', text: { preview_url: false, body: message.content ?? '' } };
    return {
      url: `${settings.apiUrl}/${settings.apiVersion}/${settings.phoneNumberId}/messages`,
      headers: { Authorization: `Bearer ${settings.accessToken}` },
      body: {
        messaging_product: 'whatsapp',
        recipient_type: 'individual',
        to: message.to,
        ...content,
        // Echoed in every status webhook of this message: our id, should a receipt outrun the id mapping.
        biz_opaque_callback_data: message.message_id,
      },
    };
  },

  providerMessageId(body) {
    const id = (body as { messages?: { id?: unknown }[] } | null)?.messages?.[0]?.id;
    return typeof id === 'string' && id.length > 0 ? id : undefined;
  },

  classify(status, body): ProviderFailure {
    const error = graphError(body);
    const reason = describeGraphError('whatsapp', status, error);
    const code = error.code ?? -1;
    if (status === 401 || code === 190) return { kind: 'permanent', reason };
    if (status === 429 || RATE_LIMITED.has(code)) return { kind: 'rate_limited', reason };
    if (status >= 500 || status === 408 || TRANSIENT.has(code)) return { kind: 'transient', reason };
    return { kind: 'permanent', reason }; // 131026 undeliverable, 100 invalid parameter, 131047 re-engagement, ...
  },

  parseWebhook(payload) {
    const body = payload as { object?: unknown; entry?: unknown } | null;
    if (body?.object !== 'whatsapp_business_account')
      throw new NotAWebhookError('not a whatsapp_business_account webhook');
    const statuses: ProviderStatus[] = [];
    const inbound: InboundMessage[] = [];
    for (const entry of asArray(body.entry)) {
      for (const change of asArray((entry as { changes?: unknown }).changes)) {
        const { field, value } = change as { field?: string; value?: { statuses?: unknown; messages?: unknown } };
        if (field !== 'messages' || !value) continue;
        for (const status of asArray(value.statuses)) {
          const read = readStatus(status as WaStatus);
          if (read) statuses.push(read);
        }
        for (const message of asArray(value.messages)) {
          const read = readMessage(message as WaMessage);
          if (read) inbound.push(read);
        }
      }
    }
    return { statuses, inbound };
  },
};
