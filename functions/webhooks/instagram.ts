import { instagram } from '@chat4all/shared/channels/instagram.js';
import { webhookHandler } from '@chat4all/shared/webhooks/handler.js';

/** GET /webhooks/instagram (hub.challenge) and POST /webhooks/instagram (signed echoes, reads and inbound messages). */
export const handler = webhookHandler(instagram);
