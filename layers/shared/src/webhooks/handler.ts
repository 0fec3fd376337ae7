import { NotAWebhookError, type ChannelDefinition } from '../channels/types.js';
import { getCassandra } from '../clients/cassandra.js';
import { apiHandler, type HttpEvent } from '../middleware/api-handler.js';
import { badRequest, forbidden, HttpError } from '../http/errors.js';
import { json } from '../http/response.js';
import { headerValue, type CorrelatedEvent } from '../middleware/correlation-id.js';
import { receiveWebhook } from './receive.js';
import { verifySignature } from './signature.js';

/** GET: the subscription handshake. The challenge goes back as plain text, as Meta expects. */
function verifySubscription(channel: ChannelDefinition, query: HttpEvent['queryStringParameters']) {
  const mode = query?.['hub.mode'];
  const challenge = query?.['hub.challenge'];
  if (mode !== 'subscribe' || !challenge || challenge.length > 256)
    throw badRequest('expected hub.mode=subscribe, hub.verify_token and hub.challenge', 'invalid_subscription');
  if (query?.['hub.verify_token'] !== channel.verifyToken)
    throw forbidden('hub.verify_token does not match', 'verify_token_mismatch');
  return {
    statusCode: 200,
    headers: { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' },
    body: challenge,
  };
}

/** The exact bytes the provider sent: API Gateway hands the body over as text, or base64 for binary media types. */
const rawBody = (event: HttpEvent): Buffer =>
  event.body ? Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8') : Buffer.alloc(0);

/**
 * The webhook of a channel (functions/webhooks/<channel>.ts), on GET and POST of /webhooks/<channel>. A POST must
 * carry X-Hub-Signature-256 over its raw body (401 otherwise, before anything is parsed); its receipts and inbound
 * messages are then handled by receiveWebhook.
 */
export function webhookHandler(channel: ChannelDefinition) {
  return apiHandler<HttpEvent & CorrelatedEvent>(async (event) => {
    if (event.httpMethod === 'GET') return verifySubscription(channel, event.queryStringParameters);
    const body = rawBody(event);
    if (!verifySignature(body, headerValue(event.headers, 'x-hub-signature-256'), channel.appSecret))
      throw new HttpError(401, 'invalid_signature', 'X-Hub-Signature-256 is missing or does not sign this body');
    const contentType = headerValue(event.headers, 'content-type') ?? '';
    if (!/^application\/json\s*(;|$)/i.test(contentType))
      throw new HttpError(415, 'unsupported_media_type', 'send the body as application/json');
    let payload: unknown;
    try {
      payload = JSON.parse(body.toString('utf8'));
    } catch {
      throw badRequest('the body is not valid JSON', 'invalid_json');
    }
    try {
      const result = await receiveWebhook(getCassandra(), channel, payload, { correlationId: event.correlationId });
      return json(200, { received: true, ...result });
    } catch (error) {
      if (error instanceof NotAWebhookError) throw badRequest(error.message, 'not_a_webhook');
      throw error;
    }
  });
}
