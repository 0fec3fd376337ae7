import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { eventually } from '../helpers/api.js';
import { committedDashboards, panelQueries, substitute, type PanelQuery } from '../helpers/dashboards.js';
import { runObservabilityLoad } from '../helpers/observability-load.js';

/**
 * Every panel of every dashboard shows data. After a short load this test makes itself, each query of each
 * panel (Grafana variables substituted as for a 5-minute range with every template variable on "All") must return
 * at least one series from the real Prometheus. Prometheus scrapes every 5 s and evaluates its rules every 5 s, and
 * rate() needs two samples, so the test polls for up to 60 s.
 */
const PROMETHEUS_URL = process.env.PROMETHEUS_URL ?? 'http://127.0.0.1:9090';

async function seriesOf(expr: string): Promise<number> {
  const response = await fetch(`${PROMETHEUS_URL}/api/v1/query`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ query: expr }),
    signal: AbortSignal.timeout(10_000),
  });
  const body = (await response.json()) as { status: string; error?: string; data?: { result: unknown[] } };
  if (body.status !== 'success') throw new Error(`${expr}: ${response.status} ${body.error}`);
  return body.data!.result.length;
}

const queries = panelQueries(committedDashboards());

describe('every dashboard panel shows data from the real Prometheus', { timeout: 240_000 }, () => {
  before(async () => {
    const result = await runObservabilityLoad({ messages: 30 });
    assert.equal(result.accepted, 30);
  });

  it(`answers all ${queries.length} panel queries with at least one series`, async () => {
    assert.ok(queries.length >= 30, `${queries.length} queries`);
    // Every query must be valid PromQL at once; only the data may take a few scrapes to arrive.
    for (const query of queries) await seriesOf(substitute(query.expr));

    let empty: PanelQuery[] = queries;
    await eventually(
      'every panel query returns a series',
      async () => {
        const counts = await Promise.all(empty.map((query) => seriesOf(substitute(query.expr))));
        empty = empty.filter((_, i) => counts[i] === 0);
        return empty.length === 0;
      },
      { timeoutMs: 60_000, intervalMs: 2_500 },
    ).catch(() => {}); // the assertion below names the panels that stayed empty
    assert.deepEqual(
      empty.map((query) => `${query.dashboard} / ${query.panel} [${query.refId}]: ${substitute(query.expr)}`),
      [],
      'panels without data',
    );
  });
});
