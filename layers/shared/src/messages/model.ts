/** The record values a message's life is told in: their schemas live with the other Kafka contracts. */
export type { AcceptedMessage, MessageStatus, OutboundMessage, StatusEvent } from '../contracts/records.js';
