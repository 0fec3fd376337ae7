import { config } from '../config.js';
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
 * Instagram Messaging API: POST /{version}/me/messages {recipient:{id}, message:{text | attachment}} with a bearer
 * token, answered {recipient_id, message_id}. The `object: "instagram"` webhook brings the echo of each sent message
 * and `read` events; Instagram has no per-message delivered receipt, so none is invented here.
 *
 * The real API addresses people by their Instagram-scoped id (IGSID), learnt when they message the account first;
 * Chat4All addresses them by handle, which the emulator accepts as the id (see docs/channels.md).
 */
const settings = config.channels.instagram;

const RATE_LIMITED = new Set([4, 17, 32, 613, 80002, 80006]);
const TRANSIENT = new Set([1, 2, 1200]);

function attachmentType(contentType: string): 'image' | 'video' | 'audio' | 'file' {
  const essence = contentType.split(';')[0]!.trim().toLowerCase();
  if (essence.startsWith('image/')) return 'image';
  if (essence.startsWith('video/')) return 'video';
  if (essence.startsWith('audio/')) return 'audio';
  return 'file';
}

const attachment = (media: Media) => ({
  attachment: { type: attachmentType(media.contentType), payload: { url: media.url, is_reusable: false } },
});

const isoFromMillis = (millis: unknown): string => {
  const value = Number(millis);
  // Beyond ±8.64e15 ms a Date is invalid and toISOString() throws.
  return new Date(Number.isFinite(value) && value > 0 && value <= 8.64e15 ? value : Date.now()).toISOString();
};

interface IgEvent {
  sender?: { id?: string };
  recipient?: { id?: string };
  timestamp?: number;
  message?: { mid?: string; text?: string; is_echo?: boolean; attachments?: { type?: string }[] };
  read?: { mid?: string };
}

export const instagram: ChannelDefinition = {
  channel: 'instagram',
  topic: CHANNEL_TOPICS.instagram,
  account: settings.accountId,
  ratePerSecond: settings.ratePerSecond,
  appSecret: settings.appSecret,
  verifyToken: settings.verifyToken,

  request(message, media) {
    // Instagram attachments carry no caption: a message with a file sends the file (its text stays in Chat4All).
    return {
      url: `${settings.apiUrl}/${settings.apiVersion}/me/messages`,
      headers: { Authorization: `Bearer ${settings.accessToken}` },
      body: {
        recipient: { id: message.to },
        messaging_type: 'RESPONSE',
        message: media ? attachment(media) : { text: message.content ?? '' },
      },
    };
  },

  providerMessageId(body) {
    const id = (body as { message_id?: unknown } | null)?.message_id;
    return typeof id === 'string' && id.length > 0 ? id : undefined;
  },

  classify(status, body): ProviderFailure {
    const error = graphError(body);
    const reason = describeGraphError('instagram', status, error);
    const code = error.code ?? -1;
    if (status === 401 || code === 190) return { kind: 'permanent', reason };
    if (status === 429 || RATE_LIMITED.has(code)) return { kind: 'rate_limited', reason };
    if (status >= 500 || status === 408 || TRANSIENT.has(code)) return { kind: 'transient', reason };
    return { kind: 'permanent', reason }; // 551 user unavailable, 10 outside the messaging window, 100 invalid, ...
  },

  parseWebhook(payload) {
    const body = payload as { object?: unknown; entry?: unknown } | null;
    if (body?.object !== 'instagram') throw new NotAWebhookError('not an instagram webhook');
    const statuses: ProviderStatus[] = [];
    const inbound: InboundMessage[] = [];
    for (const entry of asArray(body.entry)) {
      for (const raw of asArray((entry as { messaging?: unknown }).messaging)) {
        const event = raw as IgEvent;
        const at = isoFromMillis(event.timestamp);
        if (typeof event.read?.mid === 'string') {
          statuses.push({ providerMessageId: event.read.mid, status: 'READ', at });
        } else if (event.message?.is_echo && typeof event.message.mid === 'string') {
          // The echo of what we sent: by the provider's id, or by recipient and text when that id was never recorded.
          const recipient = event.recipient?.id;
          const text = event.message.text;
          statuses.push({
            providerMessageId: event.message.mid,
            status: 'SENT',
            at,
            ...(typeof recipient === 'string' && typeof text === 'string'
              ? { echo: { recipient: echoRecipient(recipient), text } }
              : {}),
          });
        } else if (typeof event.message?.mid === 'string' && typeof event.sender?.id === 'string') {
          const text =
            event.message.text ??
            (event.message.attachments?.length ? `[${event.message.attachments[0]!.type ?? 'attachment'}]` : '');
          inbound.push({ providerMessageId: event.message.mid, senderId: event.sender.id, text, at });
        }
      }
    }
    return { statuses, inbound };
  },

  echoKey(message) {
    return message.file_id === null && message.content !== null
      ? { recipient: echoRecipient(message.to), text: message.content }
      : undefined;
  },

  async resolveRecipient(providerId, fetcher) {
    const username = await profileUsername(providerId, fetcher);
    return username === undefined ? undefined : echoRecipient(username);
  },

  /** The Instagram User Profile API, for someone who messaged us. */
  async resolveSender(senderId, fetcher) {
    const username = await profileUsername(senderId, fetcher);
    return username === undefined ? undefined : `instagram:@${username.toLowerCase()}`;
  },
};

/** A recipient as echo keys hold it: a handle without its @, lower case (an IGSID stays as it is). */
const echoRecipient = (to: string): string => to.replace(/^@/, '').toLowerCase();

/** GET /{version}/{igsid}?fields=username. */
async function profileUsername(igsid: string, fetcher: typeof fetch): Promise<string | undefined> {
  const url = `${settings.apiUrl}/${settings.apiVersion}/${encodeURIComponent(igsid)}?fields=username`;
  const response = await fetcher(url, {
    headers: { Authorization: `Bearer ${settings.accessToken}` },
    signal: AbortSignal.timeout(config.channels.connector.requestTimeoutMs),
  });
  if (!response.ok) return undefined;
  const username = ((await response.json()) as { username?: unknown }).username;
  return typeof username === 'string' && username ? username : undefined;
}
