import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import YAML from 'yaml';
import { ROOT } from '../../infra/stack/paths.js';
import { buildDashboards, render } from '../../observability/grafana/build.js';
import {
  catalog,
  committedDashboards,
  dataPanels,
  DASHBOARDS_DIR,
  metricNames,
  panelQueries,
  substitute,
  templateVariableUses,
  variableQueries,
} from '../helpers/dashboards.js';

const committed = committedDashboards();
const { metrics, records } = catalog();

describe('Grafana dashboards (observability/grafana/build.ts)', () => {
  it('are exactly what npm run dashboards builds (no hand edits, no drift, no stale files)', async () => {
    const built = buildDashboards();
    assert.deepEqual(Object.keys(committed).sort(), Object.keys(built).sort(), 'the JSON files in dashboards/');
    for (const [name, dashboard] of Object.entries(built)) {
      const file = path.join(DASHBOARDS_DIR, `${name}.json`);
      assert.equal(
        fs.readFileSync(file, 'utf8'),
        await render(dashboard, file),
        `${name}.json: run npm run dashboards`,
      );
    }
  });

  it('include the overview, API, router and bridge, and connectors dashboards, with unique uids', () => {
    const uids = Object.values(committed).map((dashboard) => dashboard.uid);
    assert.equal(new Set(uids).size, uids.length);
    for (const uid of ['chat4all-overview', 'chat4all-api', 'chat4all-router-bridge', 'chat4all-connectors'])
      assert.ok(uids.includes(uid), uid);
  });

  it('query the provisioned Prometheus datasource (uid prometheus) in every panel, target and variable', () => {
    const provisioned = YAML.parse(
      fs.readFileSync(path.join(ROOT, 'observability/grafana/provisioning/datasources/prometheus.yml'), 'utf8'),
    ) as { datasources: { uid: string; type: string }[] };
    assert.ok(provisioned.datasources.some((ds) => ds.uid === 'prometheus' && ds.type === 'prometheus'));
    for (const dashboard of Object.values(committed)) {
      const panels = dataPanels(dashboard);
      assert.ok(panels.length >= 4, `${dashboard.title}: ${panels.length} panels`);
      const ids = panels.map((panel) => panel.id);
      assert.equal(new Set(ids).size, ids.length, `${dashboard.title}: panel ids are unique`);
      for (const panel of panels) {
        const where = `${dashboard.title} / ${panel.title}`;
        assert.equal(panel.datasource?.uid, 'prometheus', where);
        assert.ok((panel.targets ?? []).length >= 1, `${where}: no target`);
        for (const target of panel.targets ?? []) {
          assert.equal(target.datasource?.uid, 'prometheus', `${where} ${target.refId}`);
          assert.ok(target.expr?.trim(), `${where} ${target.refId}: empty expr`);
        }
      }
    }
  });

  it('use only the metrics and recording rules of observability/METRICS.md', () => {
    assert.ok(metrics.has('messages_accepted_total') && metrics.has('http_request_duration_seconds_bucket'));
    assert.ok(records.has('chat4all:http_latency_seconds:p95'), 'the / `:p95` shorthand of the rules table');
    const queries = [
      ...panelQueries(committed).map((q) => ({ where: `${q.dashboard} / ${q.panel} ${q.refId}`, expr: q.expr })),
      ...Object.values(committed).flatMap((dashboard) =>
        variableQueries(dashboard).map((v) => ({ where: `${dashboard.title} $${v.name}`, expr: v.query })),
      ),
    ];
    const used = new Set<string>();
    for (const { where, expr } of queries) {
      const names = metricNames(expr);
      assert.ok(names.length > 0, `${where}: no metric in ${expr}`);
      for (const name of names) {
        assert.ok(metrics.has(name) || records.has(name), `${where}: ${name} is not in METRICS.md`);
        used.add(name);
      }
    }
    // Every catalogued metric family shows up somewhere.
    const families = (name: string) => name.replace(/_(bucket|count|sum)$/, '');
    const unused = [...metrics].filter(
      (name) =>
        !name.endsWith('_count') && !name.endsWith('_sum') && ![...used].some((u) => families(u) === families(name)),
    );
    assert.deepEqual(unused, [], 'metrics of METRICS.md no panel shows');
  });

  it('use only recording rules that chat4all.rules.yml defines', () => {
    const rules = YAML.parse(fs.readFileSync(path.join(ROOT, 'observability/rules/chat4all.rules.yml'), 'utf8')) as {
      groups: { rules: { record?: string }[] }[];
    };
    const defined = new Set(rules.groups.flatMap((group) => group.rules.map((rule) => rule.record)));
    for (const query of panelQueries(committed))
      for (const name of metricNames(query.expr).filter((n) => n.includes(':')))
        assert.ok(defined.has(name), `${query.dashboard} / ${query.panel}: ${name} is not recorded`);
  });

  it('rate over $__rate_interval, match template variables with =~, and leave nothing unsubstituted', () => {
    for (const query of panelQueries(committed)) {
      const where = `${query.dashboard} / ${query.panel} ${query.refId}`;
      for (const [, range] of query.expr.matchAll(/\b(?:rate|irate|increase)\([^[]*\[([^\]]+)\]/g))
        assert.ok(['$__rate_interval', '$__range'].includes(range!), `${where}: range [${range}]`);
      for (const use of templateVariableUses(query.expr))
        assert.match(use.before, /=~"[^"]*$/, `${where}: $${use.name} must be matched with =~`);
      assert.doesNotMatch(substitute(query.expr), /\$|\[\[/, where);
    }
  });

  it('parses PromQL metric names apart from functions, labels, strings and durations', () => {
    assert.deepEqual(
      metricNames(
        'histogram_quantile(0.99, sum by (route, le) (rate(a_bucket{route=~"$route", x="y_total"}[$__rate_interval]))) / clamp_min(b:c:d offset 5m, 1e-9) and on() c_total',
      ).sort(),
      ['a_bucket', 'b:c:d', 'c_total'],
    );
    assert.deepEqual(metricNames('label_values(http_request_duration_seconds_count, route)'), [
      'http_request_duration_seconds_count',
    ]);
    assert.equal(
      substitute('rate(x{f=~"$function",c=~"${channel}"}[$__rate_interval]) + increase(y[$__range]) @ $__interval'),
      'rate(x{f=~".*",c=~".*"}[1m]) + increase(y[5m]) @ 15s',
    );
  });
});
