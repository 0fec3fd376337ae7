import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { metrics } from '../metrics/middleware.js';
import { retryLaterOnOutage } from './retry-later-on-outage.js';
import { decodeRecords, type DecodedRecord, type SelfManagedKafkaEvent } from './event.js';

/**
 * The common Middy stack of every Kafka-triggered function: per-invocation metrics, then the
 * records of the SelfManagedKafka event decoded (partition by partition, in offset order).
 * Throwing fails the whole batch: the event-source bridge retries it, then dead-letters it; a Cassandra or Kafka
 * outage instead asks for the batch again later (retryLaterOnOutage), so an outage never dead-letters anything.
 */
export function kafkaHandler(handler: (records: DecodedRecord<unknown>[], context: Context) => Promise<void>) {
  return middy<SelfManagedKafkaEvent, void>()
    .use(metrics() as middy.MiddlewareObj<SelfManagedKafkaEvent, void>)
    .use(retryLaterOnOutage<SelfManagedKafkaEvent, void>())
    .handler(async (event, context) => handler(decodeRecords(event), context));
}
