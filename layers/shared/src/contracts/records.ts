import * as z from 'zod/mini';

/*
 * The value of every record on the pipeline's topics. Objects are loose: a field a newer producer adds reaches the
 * consumer and whatever it forwards. The schemas hold what producers write; a reader needs nothing more.
 * zod/mini rather than zod: the same schemas at under a tenth of the bundle size (every function carries them).
 */

export const CHANNELS = ['chat4all', 'whatsapp', 'instagram'] as const;
export const channelSchema = z.enum(CHANNELS);
export type Channel = z.infer<typeof channelSchema>;

/** In the order a message's status advances (the highest wins, see messages/status.ts). */
export const MESSAGE_STATUSES = ['ACCEPTED', 'PENDING', 'SENT', 'FAILED', 'DELIVERED', 'READ'] as const;
export const messageStatusSchema = z.enum(MESSAGE_STATUSES);
export type MessageStatus = z.infer<typeof messageStatusSchema>;

const isoTime = z.string().check(z.refine((text) => !Number.isNaN(Date.parse(text)), 'Invalid date'));
const nonEmpty = z.string().check(z.minLength(1));
/** Written as null when absent; a record without the field reads as null too. */
const nullableText = z._default(z.nullable(z.string()), null);

/** The value of a record on `messages` (key: conversation_id). */
export const acceptedMessageSchema = z.looseObject({
  message_id: z.string(),
  conversation_id: z.string(),
  sender_id: z.string(),
  /** A resolved user id, whatsapp:+E164, instagram:@handle, or null for every member but the sender. */
  recipient: nullableText,
  channel: channelSchema,
  content: nullableText,
  file_id: nullableText,
  created_at: z.string(),
});
export type AcceptedMessage = z.infer<typeof acceptedMessageSchema>;

/** The value of a record on a connector topic (whatsapp-outbound, instagram-outbound): one recipient's copy. */
export const outboundMessageSchema = z
  .extend(acceptedMessageSchema, {
    /** For notifications: the Chat4All user it goes to; for connectors: the provider address. */
    to: nonEmpty,
  })
  .check(
    z.refine((message) => message.content !== null || message.file_id !== null, {
      message: 'content or file_id is required',
      path: ['content'],
    }),
  );
export type OutboundMessage = z.infer<typeof outboundMessageSchema>;

/** The value of a record on `status-updates` (key: message_id). */
export const statusEventSchema = z.looseObject({
  message_id: z.string(),
  conversation_id: z.optional(z.string()),
  status: messageStatusSchema,
  /** ISO time the status happened (the provider's time when it gives one). */
  at: isoTime,
  source: z.string(),
  reason: z.optional(z.string()),
  provider_message_id: z.optional(z.string()),
});
export type StatusEvent = z.infer<typeof statusEventSchema>;

/** A message's current status, as its sender's devices hear it. */
export const statusUpdateSchema = z.looseObject({
  type: z.literal('status_update'),
  message_id: z.string(),
  conversation_id: z.string(),
  status: messageStatusSchema,
  at: z.string(),
});
export type StatusUpdate = z.infer<typeof statusUpdateSchema>;

/** A new message for one Chat4All user: the router's outbound message. */
export const newMessageNotificationSchema = z.extend(acceptedMessageSchema, {
  kind: z.literal('new_message'),
  to: nonEmpty,
});
export type NewMessageNotification = z.infer<typeof newMessageNotificationSchema>;

/**
 * A message's status for its sender. `connection_ids`: the sender's connections when the status was applied (only
 * senders with one get a record), pushed to without looking them up again; without it (older records), every
 * connection the user has when the record is handled.
 */
export const statusUpdateNotificationSchema = z.looseObject({
  kind: z.literal('status_update'),
  to: nonEmpty,
  update: statusUpdateSchema,
  connection_ids: z.optional(z.array(z.string())),
});
export type StatusUpdateNotification = z.infer<typeof statusUpdateNotificationSchema>;

/** A connection that just opened ($connect) asks for whatever its user has not acknowledged. */
export const replayNotificationSchema = z.looseObject({
  kind: z.literal('replay'),
  to: nonEmpty,
  connection_id: z.string(),
});
export type ReplayNotification = z.infer<typeof replayNotificationSchema>;

/** Before `kind` was written, a new message was the record without one: such records may still wait in Kafka. */
const LEGACY_KIND = 'new_message';

const withLegacyKind = (value: unknown): unknown =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && !('kind' in value)
    ? { kind: LEGACY_KIND, ...value }
    : value;

/** The value of a record on `notifications` (key: the user it goes to). */
export const notificationSchema = z.pipe(
  z.transform(withLegacyKind),
  z.discriminatedUnion('kind', [
    newMessageNotificationSchema,
    statusUpdateNotificationSchema,
    replayNotificationSchema,
  ]),
);
export type Notification = z.infer<typeof notificationSchema>;
