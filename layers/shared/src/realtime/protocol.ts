import type { StatusUpdate } from '../contracts/records.js';

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

/** Also the `update` of a status_update record on `notifications`, pushed as it is. */
export type StatusUpdatePush = StatusUpdate;
