import { Kafka, logLevel } from 'kafkajs';
import { config } from '../config.js';

let kafka: Kafka | undefined;

/** The process-wide kafkajs instance (one per process, created on first use). */
export function getKafka(): Kafka {
  kafka ??= new Kafka({
    clientId: config.kafka.clientId,
    brokers: config.kafka.brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3000,
    requestTimeout: 10000,
    retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1000 },
  });
  return kafka;
}
