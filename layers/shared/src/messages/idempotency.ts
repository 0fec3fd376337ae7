import crypto from 'node:crypto';
import type { CassandraClient } from '../clients/cassandra.js';
import { DomainError } from '../errors/domain.js';
import type { AcceptedMessage } from './model.js';

/**
 * Idempotency-Key of POST /v1/messages (per sender, 24 h): a retry of the same request gets the first message back,
 * and the same key with a different request is a 422 (as the IETF httpapi Idempotency-Key draft and Stripe answer),
 * never a silently dropped message. The request's fingerprint rides in the claim's own lightweight transaction, so
 * checking it costs no extra round trip.
 */

export type MessageType = 'text' | 'file';

/** What makes two sends the same request: where (resolved), to whom (resolved), what, and its type. */
export interface FingerprintedRequest {
  conversation_id: string;
  recipient: string | null;
  content: string | null;
  file_id: string | null;
  type: MessageType;
}

/** A request's type as the API reads it: `type` when given, else "file" with a file_id and "text" without. */
export const typeOf = (type: MessageType | undefined, fileId: string | null | undefined): MessageType =>
  type ?? (fileId ? 'file' : 'text');

/** A digest of the request: equal for a retry (usernames resolved, empty content as none), different otherwise. */
export function requestFingerprint(request: FingerprintedRequest): string {
  const canonical = JSON.stringify([
    1, // the fingerprint's version: a change of what counts bumps it
    request.conversation_id,
    request.recipient,
    request.content || null,
    request.file_id?.toLowerCase() ?? null,
    request.type,
  ]);
  return crypto.createHash('sha256').update(canonical).digest('base64url');
}

/**
 * The fingerprint a stored claim stands for. Claims written before fingerprints existed have none: their message
 * (kept to be published again) says all but the type, which is then taken to be the retry's.
 */
export function storedFingerprint(
  fingerprint: string | null | undefined,
  message: AcceptedMessage,
  type: MessageType,
): string {
  return fingerprint ?? requestFingerprint({ ...message, type });
}

export const keyReused = (): DomainError =>
  new DomainError(
    'unprocessable',
    'this Idempotency-Key was already used for a different request (another conversation, recipient, content, file or type) in the last 24 h; use a new key for a new message',
    'idempotency_key_reused',
  );

export type Claim = { fresh: true } | { fresh: false; message: AcceptedMessage; published: boolean };

/**
 * Claims the sender's key for this message (lightweight transaction): fresh, or the message the key already stands
 * for when the request is the same one; 422 idempotency_key_reused when it is not.
 */
export async function claimIdempotencyKey(
  db: CassandraClient,
  senderId: string,
  key: string,
  message: AcceptedMessage,
  type: MessageType,
): Promise<Claim> {
  const fingerprint = requestFingerprint({ ...message, type });
  const result = await db.execute(
    'INSERT INTO idempotency_keys (sender_id, idempotency_key, message_id, conversation_id, published, payload, request_fingerprint, created_at) VALUES (?, ?, ?, ?, false, ?, ?, ?) IF NOT EXISTS',
    [senderId, key, message.message_id, message.conversation_id, JSON.stringify(message), fingerprint, new Date()],
  );
  if (result.wasApplied()) return { fresh: true };
  const row = result.first();
  const claimed = JSON.parse(row.get('payload')) as AcceptedMessage;
  if (storedFingerprint(row.get('request_fingerprint'), claimed, type) !== fingerprint) throw keyReused();
  return { fresh: false, message: claimed, published: Boolean(row.get('published')) };
}

/** Marks the key's message published: later retries answer at once instead of publishing it again. */
export async function markKeyPublished(db: CassandraClient, senderId: string, key: string): Promise<void> {
  await db.execute('UPDATE idempotency_keys SET published = true WHERE sender_id = ? AND idempotency_key = ?', [
    senderId,
    key,
  ]);
}
