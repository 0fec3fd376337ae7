import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { getCassandra } from '@chat4all/shared/clients/cassandra.js';
import { publish } from '@chat4all/shared/kafka/producer.js';
import type { StatusEvent } from '@chat4all/shared/messages/model.js';
import { STATUS_TOPIC } from '@chat4all/shared/messages/read.js';
import { findMessage } from '@chat4all/shared/messages/repository.js';
import { userOfConnection } from '@chat4all/shared/realtime/connections.js';
import { ackInbox } from '@chat4all/shared/realtime/inbox.js';

const reply = (body: unknown): APIGatewayProxyResult => ({ statusCode: 200, body: JSON.stringify(body) });

/**
 * WebSocket $default: `{"type":"ping"}` → `{"type":"pong"}`; `{"type":"ack","message_id"}` from the
 * recipient removes the message from their inbox and marks it DELIVERED.
 */
export const handler = middy<APIGatewayProxyEvent, APIGatewayProxyResult>().handler(async (event) => {
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
  const db = getCassandra();
  const userId = await userOfConnection(db, event.requestContext.connectionId!);
  const acked = userId ? await ackInbox(db, userId, frame.message_id) : undefined;
  if (!acked)
    return reply({
      type: 'error',
      code: 'not_in_inbox',
      error: 'no such message waiting for you',
      message_id: frame.message_id,
    });
  const delivered: StatusEvent = {
    message_id: frame.message_id,
    conversation_id: acked.conversationId,
    status: 'DELIVERED',
    at: new Date().toISOString(),
    source: 'websocket',
  };
  const correlationId = (await findMessage(db, frame.message_id))?.correlation_id;
  await publish({
    [STATUS_TOPIC]: [
      { key: frame.message_id, value: delivered, headers: correlationId ? { correlation_id: correlationId } : {} },
    ],
  });
  return reply({ type: 'acked', message_id: frame.message_id });
});
