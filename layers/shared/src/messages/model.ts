import type { Channel } from './recipient.js';

export type MessageStatus = 'ACCEPTED' | 'PENDING' | 'SENT' | 'FAILED' | 'DELIVERED' | 'READ';

/** The value of a record on the `messages` topic (key: conversation_id). */
export interface AcceptedMessage {
  message_id: string;
  conversation_id: string;
  sender_id: string;
  /** A resolved user id, whatsapp:+E164, instagram:@handle, or null for every member but the sender. */
  recipient: string | null;
  channel: Channel;
  content: string | null;
  file_id: string | null;
  created_at: string;
}

/** The value of a record on a channel topic: the message plus the one recipient it is for. */
export interface OutboundMessage extends AcceptedMessage {
  /** For notifications: the Chat4All user it goes to; for connectors: the provider address. */
  to: string;
}

/** The value of a record on `status-updates` (key: message_id). */
export interface StatusEvent {
  message_id: string;
  conversation_id?: string;
  status: MessageStatus;
  /** ISO time the status happened (the provider's time when it gives one). */
  at: string;
  source: string;
  reason?: string;
  provider_message_id?: string;
}
