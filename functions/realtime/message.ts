import type { APIGatewayProxyResult } from 'aws-lambda';
import { getCassandra } from '@chat4all/shared/clients/cassandra.js';
import { isDependencyUnavailable } from '@chat4all/shared/errors/dependency.js';
import { logger } from '@chat4all/shared/logger.js';
import { websocketHandler } from '@chat4all/shared/middleware/websocket-handler.js';
import { acknowledge, type AckOutcome } from '@chat4all/shared/realtime/acknowledge.js';
import { closeConnection } from '@chat4all/shared/realtime/push.js';

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
  const connectionId = event.requestContext.connectionId!;
  const messageId = frame.message_id;
  let outcome: AckOutcome;
  try {
    outcome = await acknowledge(getCassandra(), connectionId, messageId);
  } catch (error) {
    if (!isDependencyUnavailable(error)) throw error;
    return reply({
      type: 'error',
      code: 'unavailable',
      error: 'the ack could not be recorded now; send it again',
      message_id: messageId,
      retry_after_ms: ACK_RETRY_MS,
    });
  }
  if (outcome === 'acked') return reply({ type: 'acked', message_id: messageId });
  if (outcome === 'unknown_connection') {
    // Its row is gone (pruned, expired): closed, the client connects again, which records it and replays the inbox.
    logger.warn(
      { function: 'realtime-message', connection_id: connectionId, message_id: messageId },
      'ack on an unknown connection: closed it',
    );
    await closeConnection(connectionId);
    return reply({ type: 'error', code: 'unknown_connection', error: 'connect again', message_id: messageId });
  }
  // Final for the client, so a message it never acked before stays SENT until its next connect: worth a line.
  logger.warn(
    { function: 'realtime-message', connection_id: connectionId, message_id: messageId },
    'ack answered not_in_inbox',
  );
  return reply({
    type: 'error',
    code: 'not_in_inbox',
    error: 'no such message waiting for you',
    message_id: messageId,
  });
});
