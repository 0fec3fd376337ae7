import crypto from 'node:crypto';
import { ApiClient, registerUser, type LoadUser } from './client.js';
import type { Outcome } from './open-model.js';

export interface SendFixture {
  senders: LoadUser[];
  recipients: LoadUser[];
  /** conversation id → [sender index, recipient index] */
  conversations: { id: string; sender: number; recipient: string }[];
}

/**
 * Fresh senders and recipients with one private conversation per pair (created by the first
 * send). Several senders: the per-user send rate limit is per user, like in production.
 */
export async function sendFixture(client: ApiClient, { senders = 8, recipients = 8 } = {}): Promise<SendFixture> {
  const sendUsers = await Promise.all(Array.from({ length: senders }, () => registerUser(client, 'load_from')));
  const recvUsers = await Promise.all(Array.from({ length: recipients }, () => registerUser(client, 'load_to')));
  const conversations = sendUsers.map((_, i) => ({
    id: `load-${crypto.randomUUID()}`,
    sender: i,
    recipient: recvUsers[i % recvUsers.length]!.id,
  }));
  return { senders: sendUsers, recipients: recvUsers, conversations };
}

/** One send through POST /v1/messages; `onAccepted` gets the message id of a 202. */
export function sender(
  client: ApiClient,
  fixture: SendFixture,
  onAccepted?: (messageId: string, startedAt: number) => void,
) {
  let next = 0;
  return async (): Promise<Outcome> => {
    const conversation = fixture.conversations[next++ % fixture.conversations.length]!;
    const startedAt = Date.now();
    try {
      const response = await client.call<{ message_id: string }>('POST', '/v1/messages', {
        headers: fixture.senders[conversation.sender]!.headers,
        body: { conversation_id: conversation.id, recipient_id: conversation.recipient, content: `load ${startedAt}` },
      });
      if (response.status !== 202) return { ok: false, kind: `http_${response.status}` };
      onAccepted?.(response.body.message_id, startedAt);
      return { ok: true };
    } catch (error) {
      return { ok: false, kind: (error as Error).name || 'network' };
    }
  };
}

/** Sends one message per conversation so each exists before the timed load starts. */
export async function openConversations(client: ApiClient, fixture: SendFixture): Promise<void> {
  const send = sender(client, fixture);
  for (let i = 0; i < fixture.conversations.length; i++) {
    const outcome = await send();
    if (!outcome.ok) throw new Error(`could not open a conversation: ${outcome.kind}`);
  }
}
