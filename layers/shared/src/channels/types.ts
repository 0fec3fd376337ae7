import type { MessageStatus, OutboundMessage } from '../contracts/records.js';

/** The channels a connector sends to through a provider's API (Chat4All users are reached over WebSocket). */
export type ExternalChannel = 'whatsapp' | 'instagram';

/** One call to a provider's send API. */
export interface ProviderRequest {
  url: string;
  headers: Record<string, string>;
  body: unknown;
}

/** A file attached to a message, as the provider fetches it: a presigned S3 GET. */
export interface Media {
  url: string;
  contentType: string;
  filename: string;
}

/**
 * What a failed call means: `permanent`, the provider refused this message for good (dead-letter it);
 * `rate_limited`, try again later (Retry-After honoured), the provider is fine; `transient`, the provider failed
 * (5xx, timeout): try again, and count toward opening the circuit.
 */
export interface ProviderFailure {
  kind: 'permanent' | 'rate_limited' | 'transient';
  reason: string;
}

/** A status receipt from a webhook, in our terms. */
export interface ProviderStatus {
  providerMessageId: string;
  status: MessageStatus;
  /** ISO time the provider says it happened. */
  at: string;
  reason?: string;
  /** Our message id when the provider echoes it back (WhatsApp's biz_opaque_callback_data). */
  messageIdHint?: string;
  /** The provider's echo of a message we sent, when it names only its recipient and text (Instagram). */
  echo?: EchoKey;
}

/** A sent message as a provider's echo names it: the recipient as we addressed them, and the text. */
export interface EchoKey {
  recipient: string;
  text: string;
}

/** A message a person sent to our account, from a webhook. */
export interface InboundMessage {
  providerMessageId: string;
  /** The sender's channel identity, e.g. whatsapp:+5511999999999, or undefined when it must be looked up. */
  identity?: string;
  /** The provider's id of the sender when `identity` is not known yet (Instagram's IGSID). */
  senderId: string;
  text: string;
  at: string;
  /** The provider id of the message this one replies to (WhatsApp's context.id). */
  replyTo?: string;
}

/**
 * Everything channel-specific, in one file per channel (layers/shared/src/channels/<channel>.ts): how a message
 * becomes a provider call, what the provider's answers mean, and how its webhooks read. The machinery around it
 * (retries, circuit breaker, rate limit, dead letters, deduplication, statuses) is shared: see docs/channels.md.
 */
export interface ChannelDefinition {
  channel: ExternalChannel;
  /** The Kafka topic its connector consumes. */
  topic: string;
  /** The sending account the token bucket is kept for (a WhatsApp phone number id, an Instagram account id). */
  account: string;
  ratePerSecond: number;
  /** Webhook signatures (X-Hub-Signature-256) are HMAC-SHA256 with this key. */
  appSecret: string;
  /** The hub.verify_token the provider's subscription handshake must present. */
  verifyToken: string;
  request(message: OutboundMessage, media: Media | undefined): ProviderRequest;
  /** The provider's message id in a 2xx answer. */
  providerMessageId(body: unknown): string | undefined;
  /** What a non-2xx answer means. */
  classify(status: number, body: unknown): ProviderFailure;
  /** Status receipts and inbound messages of a (verified) webhook payload; throws NotAWebhookError when it is not one. */
  parseWebhook(payload: unknown): { statuses: ProviderStatus[]; inbound: InboundMessage[] };
  /**
   * For a provider whose receipts never carry our message id: the key its echo of this message will have, so that an
   * interrupted send can be found again from the echo (undefined when the echo cannot be matched, e.g. a file).
   */
  echoKey?(message: OutboundMessage): EchoKey | undefined;
  /** The recipient as we address them, for an id the provider put in an echo (Instagram: IGSID → handle). */
  resolveRecipient?(providerId: string, fetcher: typeof fetch): Promise<string | undefined>;
  /** Looks up the channel identity of an inbound sender known only by a provider id. */
  resolveSender?(senderId: string, fetcher: typeof fetch): Promise<string | undefined>;
}

/** The Graph API error body: {error: {message, type, code, error_subcode, error_data, fbtrace_id}}. */
export interface GraphError {
  message?: string;
  type?: string;
  code?: number;
  error_subcode?: number;
  error_data?: { details?: string };
}

export const graphError = (body: unknown): GraphError =>
  ((body as { error?: GraphError } | null)?.error ?? {}) as GraphError;

/** `whatsapp 400: (#131026) Message undeliverable (details)`: the provider's words, with its code once. */
export function describeGraphError(channel: string, status: number, error: GraphError): string {
  const text = error.message ?? 'no error message';
  const code = error.code !== undefined && !text.startsWith(`(#${error.code})`) ? `(#${error.code}) ` : '';
  const details = error.error_data?.details ? ` (${error.error_data.details})` : '';
  return `${channel} ${status}: ${code}${text}${details}`;
}

/** The objects of a payload's list (a signed payload is still arbitrary JSON: nulls and scalars are skipped). */
export const asArray = (value: unknown): unknown[] =>
  Array.isArray(value) ? value.filter((item) => typeof item === 'object' && item !== null) : [];

/** A signed payload that is not the channel's webhook envelope. */
export class NotAWebhookError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotAWebhookError';
  }
}
