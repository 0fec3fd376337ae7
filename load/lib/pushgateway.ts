import { Counter, Histogram, Registry } from 'prom-client';
import { LATENCY_BUCKETS } from '@chat4all/shared/metrics/registry.js';

const PUSHGATEWAY = process.env.PUSHGATEWAY_URL ?? 'http://127.0.0.1:9091';

/** A run's own metrics, pushed every few seconds so the run shows up in Prometheus and Grafana. */
export class LoadMetrics {
  private readonly registry = new Registry();
  private readonly requests = new Counter({
    name: 'load_requests_total',
    help: 'Load requests by outcome',
    labelNames: ['scenario', 'outcome'],
    registers: [this.registry],
  });
  private readonly latency = new Histogram({
    name: 'load_latency_seconds',
    help: 'Load request latency',
    labelNames: ['scenario'],
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly scenario: string) {
    this.timer = setInterval(() => void this.push(), 5000);
    this.timer.unref();
  }

  record(ok: boolean, seconds?: number): void {
    this.requests.inc({ scenario: this.scenario, outcome: ok ? 'ok' : 'error' });
    if (ok && seconds !== undefined) this.latency.observe({ scenario: this.scenario }, seconds);
  }

  async push(): Promise<void> {
    await fetch(`${PUSHGATEWAY}/metrics/job/chat4all-load/scenario/${this.scenario}`, {
      method: 'PUT',
      body: await this.registry.metrics(),
      signal: AbortSignal.timeout(2000),
    }).catch(() => undefined);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.push();
  }
}
