/** Every Kafka topic of the pipeline; infra/kafka/topics.yaml declares each one and its dead-letter twin. */
export const TOPICS = {
  /** Accepted messages (key: conversation_id); the router consumes them. */
  messages: 'messages',
  /** Outbound messages for WhatsApp (key: conversation_id); its connector consumes them. */
  whatsappOutbound: 'whatsapp-outbound',
  /** Outbound messages for Instagram (key: conversation_id); its connector consumes them. */
  instagramOutbound: 'instagram-outbound',
  /** What the realtime function pushes over WebSocket (key: the Chat4All user it goes to). */
  notifications: 'notifications',
  /** Status events of messages (key: message_id). */
  statusUpdates: 'status-updates',
} as const;

export type Topic = (typeof TOPICS)[keyof typeof TOPICS];

export const WORKING_TOPICS: readonly Topic[] = Object.values(TOPICS);

/** The topic a message of each channel is routed to (Chat4All's own users are reached through notifications). */
export const CHANNEL_TOPICS = {
  whatsapp: TOPICS.whatsappOutbound,
  instagram: TOPICS.instagramOutbound,
  chat4all: TOPICS.notifications,
} as const;

const DEAD_LETTER_SUFFIX = '.dlq';

/** A record that cannot be processed goes to its topic's dead-letter twin. */
export const deadLetterTopicOf = (topic: string): string => `${topic}${DEAD_LETTER_SUFFIX}`;

export const isDeadLetterTopic = (topic: string): boolean => topic.endsWith(DEAD_LETTER_SUFFIX);

/** The topic a dead-letter topic is the twin of. */
export const sourceTopicOf = (deadLetterTopic: string): string =>
  isDeadLetterTopic(deadLetterTopic) ? deadLetterTopic.slice(0, -DEAD_LETTER_SUFFIX.length) : deadLetterTopic;

export const DEAD_LETTER_TOPICS: readonly string[] = WORKING_TOPICS.map(deadLetterTopicOf);
