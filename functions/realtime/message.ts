import type { APIGatewayProxyResult } from 'aws-lambda';
import { getCassandra } from '@chat4all/shared/clients/cassandra.js';
import { TOPICS } from '@chat4all/shared/contracts/topics.js';
import { publish } from '@chat4all/shared/kafka/producer.js';
import type { StatusEvent } from '@chat4all/shared/messages/model.js';
import { findMessage } from '@chat4all/shared/messages/repository.js';
import { ownerOfConnection } from '@chat4all/shared/realtime/connections.js';
import { isDependencyUnavailable } from '@chat4all/shared/errors/dependency.js';
import { logger } from '@chat4all/shared/logger.js';
import { websocketHandler } from '@chat4all/shared/middleware/websocket-handler.js';
import { inboxEntry, removeFromInbox } from '@chat4all/shared/realtime/inbox.js';

const reply = (body: unknown): APIGatewayProxyResult => ({ statusCode: 200, body: JSON.stringify(body) });

/** How long a client waits before it sends an ack again that could not be recorded (Cassandra or Kafka away). */
const ACK_RETRY_MS = 2000;

/**
 * WebSocket $default: `{"type":"ping"}` → `{"type":"pong"}`; `{"type":"ack","message_id"}` from the
 * recipient removes the message from their inbox and marks it DELIVERED, answered `{"type":"acked"}`. While a
 * dependency is down the answer is `{"type":"error","code":"unavailable","retry_after_ms"}`: the client acks again
 * then (an ack without an answer is sent again too); a repeated ack is harmless.
 */
export const handler = websocketHandler(async (event) => {
  let frame: { type?: unknown; message_id?: unknown };
  try {
    frame = JSON.parse(event.body ?? '');
  } catch {
    return reply({ type: 'error', code: 'invalid_json', error: 'frames are JSON objects' });
  }
  if (frame?.type === 'ping') return reply({ type: 'pong' });
  if (frame?.type !== 'ack') return reply({ type: 'error', code: 'unknown_type', error: 'type is ping or ack' });
  if (typeof frame.message_id !== 'string' || frame.message_id.length > 64) {
    return reply({ type: 'error', code: 'invalid_field', error: 'ack needs a message_id' });
  }
  try {
    return await acknowledge(event.requestContext.connectionId!, frame.message_id);
  } catch (error) {
    if (!isDependencyUnavailable(error)) throw error;
    return reply({
      type: 'error',
      code: 'unavailable',
      error: 'the ack could not be recorded now; send it again',
      message_id: frame.message_id,
      retry_after_ms: ACK_RETRY_MS,
    });
  }
});

async function acknowledge(connectionId: string, messageId: string): Promise<APIGatewayProxyResult> {
  const db = getCassandra();
  const userId = await ownerOfConnection(db, connectionId);
  const waiting = userId ? await inboxEntry(db, userId, messageId) : undefined;
  if (!waiting) {
    // Final for the client, so a message it never acked before stays SENT until its next connect: worth a line.
    logger.warn(
      {
        function: 'realtime-message',
        connection_id: connectionId,
        message_id: messageId,
        why: userId ? 'not in the inbox (acked before?)' : 'unknown connection',
      },
      'ack answered not_in_inbox',
    );
    return reply({
      type: 'error',
      code: 'not_in_inbox',
      error: 'no such message waiting for you',
      message_id: messageId,
    });
  }
  const delivered: StatusEvent = {
    message_id: messageId,
    conversation_id: waiting.conversationId,
    status: 'DELIVERED',
    at: new Date().toISOString(),
    source: 'websocket',
  };
  const correlationId = waiting.correlationId ?? (await findMessage(db, messageId))?.correlation_id;
  await publish({
    [TOPICS.statusUpdates]: [
      { key: messageId, value: delivered, headers: correlationId ? { correlation_id: correlationId } : {} },
    ],
  });
  // Only once DELIVERED is in Kafka: an ack that fails before this point finds the message again when sent again.
  await removeFromInbox(db, userId!, messageId);
  return reply({ type: 'acked', message_id: messageId });
}
