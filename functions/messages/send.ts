import { getCassandra } from '@chat4all/shared/clients/cassandra.js';
import { config } from '@chat4all/shared/config.js';
import { CONVERSATION_ID } from '@chat4all/shared/conversations/service.js';
import { badRequest } from '@chat4all/shared/http/errors.js';
import { apiHandler } from '@chat4all/shared/middleware/api-handler.js';
import { json } from '@chat4all/shared/http/response.js';
import { optionalString, rejectUnknownFields, requireMatch, requireObject } from '@chat4all/shared/http/validation.js';
import { sendMessage } from '@chat4all/shared/messages/send.js';
import { authenticate, type AuthenticatedEvent } from '@chat4all/shared/middleware/authenticate.js';
import { headerValue, type CorrelatedEvent } from '@chat4all/shared/middleware/correlation-id.js';
import { rateLimit } from '@chat4all/shared/middleware/rate-limit.js';

const FIELDS = ['conversation_id', 'recipient_id', 'content', 'file_id', 'sender_id', 'type'] as const;
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

/** POST /v1/messages → 202 {message_id, status:"ACCEPTED", conversation_id} once Kafka acknowledged it. */
export const handler = apiHandler<AuthenticatedEvent & CorrelatedEvent>(
  async (event) => {
    const body = requireObject(event.body as unknown);
    rejectUnknownFields(body, FIELDS);
    const type = optionalString(body, 'type');
    if (type !== undefined && type !== 'text' && type !== 'file')
      throw badRequest('type is "text" or "file"', 'invalid_field');
    const conversationId = optionalString(body, 'conversation_id');
    if (conversationId !== undefined)
      requireMatch(conversationId, CONVERSATION_ID, 'conversation_id', 'is 1-128 of A-Z a-z 0-9 _ : . + @ -');
    const idempotencyKey = headerValue(event.headers, 'idempotency-key');
    if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(idempotencyKey)) {
      throw badRequest('Idempotency-Key is 1-255 visible ASCII characters', 'invalid_idempotency_key');
    }
    const receipt = await sendMessage(getCassandra(), {
      senderId: event.auth.userId,
      senderUsername: event.auth.username,
      conversationId,
      recipientRef: optionalString(body, 'recipient_id'),
      claimedSenderId: optionalString(body, 'sender_id'),
      content: optionalString(body, 'content'),
      fileId: optionalString(body, 'file_id'),
      type,
      idempotencyKey,
      correlationId: event.correlationId,
    });
    return json(202, receipt);
  },
  {
    jsonBody: true,
    use: [
      authenticate(),
      // Per user, in this instance's memory; every attempt counts (429 rate_limited with Retry-After past it).
      rateLimit({
        ratePerSecond: config.sendRateLimit.perSecond,
        burst: config.sendRateLimit.burst,
        key: (event) => (event as AuthenticatedEvent).auth?.userId,
      }),
    ],
  },
);
