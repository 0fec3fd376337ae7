import { whatsapp } from '@chat4all/shared/channels/whatsapp.js';
import { webhookHandler } from '@chat4all/shared/webhooks/handler.js';

/** GET /webhooks/whatsapp (hub.challenge) and POST /webhooks/whatsapp (signed receipts and inbound messages). */
export const handler = webhookHandler(whatsapp);
