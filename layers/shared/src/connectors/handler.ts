import type { ChannelDefinition, Media } from '../channels/types.js';
import { getCassandra } from '../clients/cassandra.js';
import { config } from '../config.js';
import { findFile } from '../files/repository.js';
import { presignDownload } from '../files/storage.js';
import { kafkaHandler } from '../kafka/handler.js';
import { publish } from '../kafka/producer.js';
import { logger } from '../logger.js';
import { createRuntime, runConnector } from './connector.js';
import { cassandraSendStore } from './repository.js';

/** How long a provider may take to fetch an attached file through its presigned link. */
const MEDIA_URL_SECONDS = 900;

/** Upper bound of one invocation's sending: the bridge's consumer session is 30 s; what is left waits. */
const MAX_INVOCATION_MS = 15_000;

async function mediaLink(fileId: string): Promise<Media | undefined> {
  const file = await findFile(getCassandra(), fileId.toLowerCase());
  if (!file || file.status !== 'AVAILABLE') return undefined;
  const link = await presignDownload(file, MEDIA_URL_SECONDS);
  return { url: link.url, contentType: file.content_type, filename: file.filename };
}

/**
 * The Kafka-triggered handler of a channel's connector (functions/connectors/<channel>.ts): its circuit breaker and
 * token buckets live as long as the process, like a Lambda sandbox's.
 */
export function connectorHandler(channel: ChannelDefinition) {
  const settings = config.channels.connector;
  const runtime = createRuntime(channel, settings);
  const log = logger.child({ function: `connector-${channel.channel}` });
  return kafkaHandler(async (records, context) => {
    const remaining =
      typeof context.getRemainingTimeInMillis === 'function' ? context.getRemainingTimeInMillis() - 5000 : Infinity;
    const result = await runConnector(channel, records, {
      store: cassandraSendStore(getCassandra()),
      publish,
      media: mediaLink,
      runtime,
      settings,
      log,
      deadline: Date.now() + Math.max(1000, Math.min(MAX_INVOCATION_MS, remaining)),
    });
    log.debug(result, 'sent batch');
  });
}
