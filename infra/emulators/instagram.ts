/**
 * Instagram Messaging API emulator: POST /{version}/me/messages {recipient:{id}, message:{text | attachment}} →
 * {recipient_id, message_id}, Graph API errors, the User Profile API (GET /{version}/{igsid}?fields=username), and
 * webhooks in the `object: "instagram"` envelope: the echo of each sent message and a `read` event. Instagram has no
 * per-message delivered receipt, and this emulator does not invent one.
 */
import crypto from 'node:crypto';
import { config } from '@chat4all/shared/config.js';
import { bearerToken, Emulator, graphError, HttpAnswer, type ApiRequest, type Json } from './common.js';

const settings = config.channels.instagram;
const ATTACHMENT_TYPES = ['image', 'video', 'audio', 'file'];

/** A stable Instagram-scoped id per handle (the real API assigns one per person and account). */
const igsidFor = (handle: string): string =>
  `1${BigInt(`0x${crypto.createHash('sha256').update(handle.toLowerCase()).digest('hex').slice(0, 13)}`)
    .toString()
    .padStart(16, '0')
    .slice(0, 16)}`;
const mid = (): string =>
  Buffer.from(
    `ig_message_item:1:IGMessageThread:${settings.accountId}:${crypto.randomBytes(12).toString('hex')}`,
  ).toString('base64url');

const envelope = (messaging: Json): Json => ({
  object: 'instagram',
  entry: [{ time: Date.now(), id: settings.accountId, messaging: [messaging] }],
});

function injectedError(status: number, retryAfterSeconds: number | undefined): HttpAnswer {
  const retryAfter: Record<string, string> = retryAfterSeconds ? { 'Retry-After': String(retryAfterSeconds) } : {};
  if (status === 429) return graphError(429, 613, 'Calls to this api have exceeded the rate limit.', {}, retryAfter);
  if (status === 503)
    return graphError(
      503,
      2,
      'An unexpected error has occurred. Please retry your request later.',
      { is_transient: true },
      retryAfter,
    );
  if (status >= 500) return graphError(status, 1, 'An unknown error occurred', { is_transient: true });
  return graphError(status, 100, 'Invalid parameter');
}

export function instagramEmulator(
  port: number,
  webhookUrl: string,
): { emulator: Emulator; start: () => Promise<number> } {
  const emulator = new Emulator({
    name: 'instagram',
    port,
    webhookUrl,
    appSecret: settings.appSecret,
    defaultWebhooks: { order: ['echo', 'read'], delaysMs: [100, 3000] },
  });
  /** IGSID → handle, for the profile API and for recipients addressed by IGSID. */
  const handles = new Map<string, string>();
  const handleOf = (id: string): string => handles.get(id) ?? id.replace(/^@/, '').toLowerCase();

  const api = async (request: ApiRequest) => {
    const profile = /^\/v\d+\.\d+\/(\d+)$/.exec(request.path);
    if (request.method === 'GET' && profile) {
      if (bearerToken(request) !== settings.accessToken) return graphError(401, 190, 'Invalid OAuth access token.');
      const handle = handles.get(profile[1]!);
      if (!handle)
        return graphError(400, 100, `Unsupported get request. Object with ID '${profile[1]}' does not exist.`, {
          error_subcode: 33,
        });
      return new HttpAnswer(200, { username: handle, id: profile[1] });
    }
    if (request.method !== 'POST' || !/^\/v\d+\.\d+\/me\/messages$/.test(request.path)) return undefined;
    if (emulator.outage())
      return emulator.faults.outageMode === 'reset'
        ? ('reset' as const)
        : injectedError(503, emulator.faults.retryAfterSeconds);
    if (bearerToken(request) !== settings.accessToken) return graphError(401, 190, 'Invalid OAuth access token.');
    const body = (request.body ?? {}) as {
      recipient?: { id?: unknown };
      message?: { text?: unknown; attachment?: { type?: unknown; payload?: { url?: unknown } } };
    };
    const recipient = body.recipient?.id;
    if (typeof recipient !== 'string' || !recipient)
      return graphError(400, 100, '(#100) The parameter recipient is required');
    const message = body.message;
    const text = message?.text;
    const attachment = message?.attachment;
    if (typeof text === 'string') {
      if (!text || text.length > 1000)
        return graphError(400, 100, '(#100) Length of param message[text] must be less than or equal to 1000');
    } else if (
      !attachment ||
      !ATTACHMENT_TYPES.includes(String(attachment.type)) ||
      typeof attachment.payload?.url !== 'string'
    )
      return graphError(400, 100, '(#100) The parameter message must contain text or an attachment');
    const handle = handleOf(recipient);
    const fault = await emulator.injected(handle);
    if (fault === 'timeout') return 'timeout' as const;
    if (fault !== undefined) return injectedError(fault, emulator.faults.retryAfterSeconds);
    if (emulator.faults.rejectRecipients?.includes(handle))
      return graphError(400, 551, "This person isn't available right now.", { error_subcode: 1545041 });

    const igsid = igsidFor(handle);
    handles.set(igsid, handle);
    const id = mid();
    emulator.record({ id, to: handle, payload: body });
    emulator.scheduleWebhooks(handle, (kind) => {
      const timestamp = Date.now();
      if (kind === 'echo')
        return envelope({
          sender: { id: settings.accountId },
          recipient: { id: igsid },
          timestamp,
          message: {
            mid: id,
            is_echo: true,
            ...(typeof text === 'string'
              ? { text }
              : { attachments: [{ type: attachment!.type, payload: { url: attachment!.payload!.url } }] }),
          },
        });
      if (kind === 'read')
        return envelope({ sender: { id: igsid }, recipient: { id: settings.accountId }, timestamp, read: { mid: id } });
      return undefined; // no delivered receipt on Instagram
    });
    return new HttpAnswer(200, { recipient_id: igsid, message_id: id });
  };

  /** A person sends us a message: {from: "maria_silva", text} → the messaging webhook (the sender by IGSID). */
  const inbound = async (body: Json): Promise<HttpAnswer> => {
    const handle = typeof body.from === 'string' ? body.from.replace(/^@/, '').toLowerCase() : '';
    if (!/^[a-z0-9._]{1,30}$/.test(handle)) return new HttpAnswer(400, { error: 'from is an Instagram handle' });
    const igsid = igsidFor(handle);
    handles.set(igsid, handle);
    const id = mid();
    const status = await emulator.sendWebhook(
      'message',
      envelope({
        sender: { id: igsid },
        recipient: { id: settings.accountId },
        timestamp: Date.now(),
        message: { mid: id, text: typeof body.text === 'string' ? body.text : '' },
      }),
    );
    return new HttpAnswer(200, { id, sender_id: igsid, webhook_status: status });
  };

  return { emulator, start: () => emulator.listen(api, inbound) };
}
