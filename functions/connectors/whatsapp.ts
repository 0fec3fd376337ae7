import { whatsapp } from '@chat4all/shared/channels/whatsapp.js';
import { connectorHandler } from '@chat4all/shared/connectors/handler.js';

/** Kafka whatsapp-outbound → WhatsApp Cloud API; SENT / PENDING / FAILED on status-updates, dead letters to .dlq. */
export const handler = connectorHandler(whatsapp);
