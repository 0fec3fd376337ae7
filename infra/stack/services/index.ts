import type { Service } from '../service.js';
import { cassandraService } from './cassandra.js';
import { kafkaService } from './kafka.js';
import { localstackService } from './localstack.js';
import { prometheusService } from './prometheus.js';
import { pushgatewayService } from './pushgateway.js';

export const SERVICE_NAMES = ['kafka', 'cassandra', 'localstack', 'prometheus', 'pushgateway'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

export function allServices(log: (service: string, line: string) => void): Service[] {
  const logFor = (name: string) => (line: string) => log(name, line);
  return [
    kafkaService(logFor('kafka')),
    cassandraService(logFor('cassandra')),
    localstackService(logFor('localstack')),
    prometheusService(logFor('prometheus')),
    pushgatewayService(logFor('pushgateway')),
  ];
}
