import type { MessageStatus } from '../messages/model.js';

/** What the server pushes to a WebSocket client. */
export interface NewMessagePush {
  type: 'new_message';
  message_id: string;
  conversation_id: string;
  sender_id: string;
  content: string | null;
  file?: unknown;
  created_at: string;
}

export interface StatusUpdatePush {
  type: 'status_update';
  message_id: string;
  conversation_id: string;
  status: MessageStatus;
  at: string;
}

/** Records on the `notifications` topic besides the router's messages (which carry no `kind`). */
export type NotificationCommand =
  | { kind: 'status_update'; to: string; update: StatusUpdatePush }
  | { kind: 'replay'; to: string; connection_id: string };

/** What a client may send. */
export type ClientMessage = { type: 'ping' } | { type: 'ack'; message_id: string };
