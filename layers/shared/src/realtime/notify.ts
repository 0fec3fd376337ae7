import type { CassandraClient } from '../clients/cassandra.js';
import {
  notificationSchema,
  type NewMessageNotification,
  type Notification as NotificationRecord,
  type OutboundMessage,
  type StatusEvent,
} from '../contracts/records.js';
import { TOPICS } from '../contracts/topics.js';
import { withFiles } from '../files/service.js';
import { deadLetter, deadLettersByTopic } from '../kafka/dead-letter.js';
import type { DecodedRecord } from '../kafka/event.js';
import { publish, type OutgoingRecord } from '../kafka/producer.js';
import { checkRecords } from '../kafka/records.js';
import { logger } from '../logger.js';
import { counter } from '../metrics/registry.js';
import { connectionsOf, removeConnection, type Connection } from './connections.js';
import { pendingInbox, putInbox } from './inbox.js';
import type { NewMessagePush } from './protocol.js';
import { postToConnection } from './push.js';

/** serverless-offline (and API Gateway) accept a connection only after $connect returned. */
const CONNECTING_GRACE_MS = 10_000;

export class ConnectionNotReadyError extends Error {
  constructor(connectionId: string) {
    super(`connection ${connectionId} is not open yet`);
    this.name = 'ConnectionNotReadyError';
  }
}

export const toPush = (message: OutboundMessage): NewMessagePush => ({
  type: 'new_message',
  message_id: message.message_id,
  conversation_id: message.conversation_id,
  sender_id: message.sender_id,
  content: message.content,
  ...(message.file_id ? { file: { file_id: message.file_id } } : {}),
  created_at: message.created_at,
});

/**
 * An attachment gets its metadata and a fresh download URL at push time (the inbox keeps only the
 * file id: a URL stored there would have expired by the time a reconnecting client replays it).
 */
async function withFreshFile(db: CassandraClient, push: NewMessagePush): Promise<NewMessagePush> {
  const fileId = (push.file as { file_id?: string } | undefined)?.file_id;
  if (!fileId) return push;
  const [enriched] = await withFiles(db, [{ file_id: fileId, conversation_id: push.conversation_id }]);
  return { ...push, file: enriched && 'file' in enriched ? enriched.file : null };
}

const isYoung = (connection: Connection): boolean =>
  Date.now() - connection.connectedAt.getTime() < CONNECTING_GRACE_MS;

/**
 * The live connections of one user, looked up once per batch (not once per record), and the pushes to them; a
 * connection that is gone is pruned, and skipped by the rest of the batch.
 */
function userConnections(db: CassandraClient, userId: string) {
  let connections: Connection[] | undefined;
  return {
    /** Looks the connections up again at the next push. */
    refresh(): void {
      connections = undefined;
    },
    /** Pushes a frame to every live connection; returns the ids of those that got it. */
    async push(frame: unknown): Promise<string[]> {
      connections ??= await connectionsOf(db, userId);
      const results = await Promise.all(
        connections.map(async (connection) => ({
          connection,
          result: await postToConnection(connection.connectionId, frame),
        })),
      );
      const gone = results.filter(({ connection, result }) => result === 'gone' && !isYoung(connection));
      if (gone.length > 0) {
        logger.info(
          { function: 'realtimeNotify', user_id: userId, connection_ids: gone.map((g) => g.connection.connectionId) },
          'pruned connections the gateway calls gone',
        );
        connections = connections.filter((connection) => !gone.some((g) => g.connection === connection));
        await Promise.all(gone.map(({ connection }) => removeConnection(db, connection.connectionId, userId)));
      }
      return results.filter(({ result }) => result === 'sent').map(({ connection }) => connection.connectionId);
    },
  };
}

/**
 * A status update to the connections its record names (those open when the status was applied), without looking
 * them up: one that has gone since is left for $disconnect, or the next message's push, to prune.
 */
async function pushToNamed(connectionIds: string[], frame: unknown): Promise<void> {
  await Promise.all(connectionIds.map((connectionId) => postToConnection(connectionId, frame)));
}

const sentEvent = (push: NewMessagePush, correlationId: string | undefined): OutgoingRecord => ({
  key: push.message_id,
  value: {
    message_id: push.message_id,
    conversation_id: push.conversation_id,
    status: 'SENT',
    at: new Date().toISOString(),
    source: 'websocket',
  } satisfies StatusEvent,
  headers: correlationId ? { correlation_id: correlationId } : {},
});

interface Notification {
  value: NotificationRecord;
  correlationId: string | undefined;
}

/** Handles one user's notifications in order; returns the SENT events to publish. */
async function notifyUser(
  db: CassandraClient,
  userId: string,
  notifications: Notification[],
): Promise<OutgoingRecord[]> {
  const sent: OutgoingRecord[] = [];
  // Every new message is in the inbox before any is pushed: one write for the batch, and a client never hears of a
  // message it could not get again by replay.
  const isNewMessage = (record: NotificationRecord): record is NewMessageNotification => record.kind === 'new_message';
  const newMessages = notifications.flatMap(({ value, correlationId }) =>
    isNewMessage(value) ? [{ push: toPush(value), correlationId }] : [],
  );
  await putInbox(db, userId, newMessages);
  /** New messages of this batch not pushed yet: a replay leaves them to their own record. */
  const unpushed = new Set(newMessages.map(({ push }) => push.message_id));
  const devices = userConnections(db, userId);
  for (const { value: record, correlationId } of notifications) {
    if (record.kind === 'status_update') {
      if (record.connection_ids) await pushToNamed(record.connection_ids, record.update);
      else await devices.push(record.update);
    } else if (record.kind === 'replay') {
      devices.refresh(); // the replaying connection is new: the records after this one push to it too
      let replayed = 0;
      for (const push of await pendingInbox(db, userId)) {
        if (unpushed.has(push.message_id)) continue;
        const result = await postToConnection(record.connection_id, await withFreshFile(db, push));
        if (result === 'gone') {
          const connection = (await connectionsOf(db, userId)).find((c) => c.connectionId === record.connection_id);
          if (connection && isYoung(connection)) throw new ConnectionNotReadyError(record.connection_id); // retried by the bridge
          break; // the client left again: its inbox waits for the next connection
        }
        sent.push(sentEvent(push, undefined));
        replayed++;
      }
      logger.info(
        { function: 'realtimeNotify', user_id: userId, connection_id: record.connection_id, replayed },
        'replayed',
      );
    } else {
      const push = toPush(record);
      unpushed.delete(push.message_id);
      const reached = await devices.push(await withFreshFile(db, push));
      logger.info(
        {
          function: 'realtimeNotify',
          correlation_id: correlationId,
          message_id: push.message_id,
          devices: reached.length,
          connection_ids: reached,
        },
        'pushed',
      );
      if (reached.length > 0) sent.push(sentEvent(push, correlationId));
    }
  }
  return sent;
}

/**
 * The `notifications` consumer: new messages go to the recipient's inbox and to every live
 * connection (then SENT), status updates go to the sender's connections, and a replay request
 * (from $connect) pushes whatever the user has not acknowledged, oldest first. Users are handled
 * in parallel, each user's records strictly in order. Malformed records go to the dead-letter topic with the reason.
 */
export async function handleNotifications(
  db: CassandraClient,
  records: DecodedRecord<unknown>[],
): Promise<{ users: number; sent: number; invalid: number }> {
  const { valid, invalid } = checkRecords(records, notificationSchema, 'a notification');
  const byUser = new Map<string, Notification[]>();
  for (const { value, headers } of valid) {
    const list = byUser.get(value.to) ?? [];
    list.push({ value, correlationId: headers.correlation_id });
    byUser.set(value.to, list);
  }
  const sent = (await Promise.all([...byUser].map(([userId, list]) => notifyUser(db, userId, list)))).flat();
  if (sent.length > 0)
    counter('messages_sent_total', 'Messages handed to a channel', ['channel', 'status']).inc(
      { channel: 'chat4all', status: 'sent' },
      sent.length,
    );
  const deadLetters = deadLettersByTopic(
    invalid.map(({ record, reason }) => deadLetter(record, reason, 'realtimeNotify')),
  );
  await publish({ [TOPICS.statusUpdates]: sent, ...deadLetters });
  return { users: byUser.size, sent: sent.length, invalid: invalid.length };
}
