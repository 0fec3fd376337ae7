import { Counter, Gauge, Histogram, Registry, type Metric } from 'prom-client';

/** One registry per process (per serverless-offline worker, per Lambda sandbox). */
export const registry = new Registry();

export const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

function memo<T extends Metric>(name: string, create: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? create();
}

/** Metrics are created on first use, so a function pushes only the families it actually records. */
export const counter = <L extends string>(name: string, help: string, labelNames: readonly L[] = []): Counter<L> =>
  memo(name, () => new Counter({ name, help, labelNames, registers: [registry] }));

export const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[] = []): Gauge<L> =>
  memo(name, () => new Gauge({ name, help, labelNames, registers: [registry] }));

export const histogram = <L extends string>(
  name: string,
  help: string,
  labelNames: readonly L[] = [],
  buckets: number[] = LATENCY_BUCKETS,
): Histogram<L> => memo(name, () => new Histogram({ name, help, labelNames, buckets, registers: [registry] }));

/** Seconds since `started` (a performance.now() value). */
export const secondsSince = (started: number): number => (performance.now() - started) / 1000;
