import { instagram } from '@chat4all/shared/channels/instagram.js';
import { connectorHandler } from '@chat4all/shared/connectors/handler.js';

/** Kafka instagram-outbound → Instagram Messaging API; SENT / PENDING / FAILED on status-updates, dead letters to .dlq. */
export const handler = connectorHandler(instagram);
