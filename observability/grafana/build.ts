/**
 * Chat4All's Grafana dashboards as code (npm run dashboards): builds them with the typed builders of
 * @grafana/grafana-foundation-sdk and writes observability/grafana/dashboards/*.json, which Grafana provisions
 * into the "Chat4All" folder (docker-compose.yml mounts that folder). Edit this file, never the JSON:
 * test/unit/dashboards.test.ts fails when the committed JSON differs from what this file builds.
 *
 * Queries use only the metrics and recording rules of observability/METRICS.md (checked by the same test), and
 * test/integration/dashboards-data.test.ts proves every query returns data from the real Prometheus after a load.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as prettier from 'prettier';
import {
  ReduceDataOptionsBuilder,
  StackingConfigBuilder,
  StackingMode,
  VizOrientation,
} from '@grafana/grafana-foundation-sdk/common';
import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import {
  DashboardBuilder,
  DashboardCursorSync,
  MappingType,
  QueryVariableBuilder,
  RowBuilder,
  VariableRefresh,
  VariableSort,
  type Dashboard,
  type Panel,
  type RowPanel,
} from '@grafana/grafana-foundation-sdk/dashboard';
import { DataqueryBuilder } from '@grafana/grafana-foundation-sdk/prometheus';
import * as bargauge from '@grafana/grafana-foundation-sdk/bargauge';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as statetimeline from '@grafana/grafana-foundation-sdk/statetimeline';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';

/** The provisioned Prometheus datasource (observability/grafana/provisioning/datasources/prometheus.yml). */
export const DATASOURCE = { type: 'prometheus', uid: 'prometheus' } as const;

export const DASHBOARDS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'dashboards');

/** One query: a PromQL expression and its legend. */
type Query = [expr: string, legend: string];

/** A Prometheus target; stat and bar panels show one value per series, so they query an instant. */
const target = ([expr, legend]: Query, index: number, instant = false) => {
  const query = new DataqueryBuilder()
    .datasource(DATASOURCE)
    .refId(String.fromCharCode(65 + index))
    .expr(expr)
    .legendFormat(legend);
  return instant ? query.instant() : query.range();
};

interface PanelOptions {
  description: string;
  unit: string;
  span?: number;
  height?: number;
  stacked?: boolean;
  min?: number;
}

function graph(title: string, queries: Query[], options: PanelOptions): timeseries.PanelBuilder {
  const panel = new timeseries.PanelBuilder()
    .title(title)
    .description(options.description)
    .datasource(DATASOURCE)
    .unit(options.unit)
    .span(options.span ?? 12)
    .height(options.height ?? 8)
    .lineWidth(1)
    .fillOpacity(options.stacked ? 40 : 10)
    .targets(queries.map((query, index) => target(query, index)));
  if (options.min !== undefined) panel.min(options.min);
  if (options.stacked) panel.stacking(new StackingConfigBuilder().mode(StackingMode.Normal));
  return panel;
}

function single(title: string, query: Query, options: PanelOptions): stat.PanelBuilder {
  return new stat.PanelBuilder()
    .title(title)
    .description(options.description)
    .datasource(DATASOURCE)
    .unit(options.unit)
    .span(options.span ?? 6)
    .height(options.height ?? 4)
    .reduceOptions(new ReduceDataOptionsBuilder().calcs(['lastNotNull']))
    .targets([target(query, 0, true)]);
}

function bars(title: string, query: Query, options: PanelOptions): bargauge.PanelBuilder {
  return new bargauge.PanelBuilder()
    .title(title)
    .description(options.description)
    .datasource(DATASOURCE)
    .unit(options.unit)
    .span(options.span ?? 12)
    .height(options.height ?? 8)
    .orientation(VizOrientation.Horizontal)
    .reduceOptions(new ReduceDataOptionsBuilder().calcs(['lastNotNull']))
    .targets([target(query, 0, true)]);
}

/** A multi-value variable over one label of one metric; "All" is `.*`, so queries use `label=~"$name"`. */
function labelVariable(name: string, label: string, metric: string): QueryVariableBuilder {
  const query = `label_values(${metric}, ${label})`;
  return new QueryVariableBuilder(name)
    .label(label)
    .datasource(DATASOURCE)
    .query(query)
    .definition(query)
    .multi(true)
    .includeAll(true)
    .allValue('.*')
    .current({ selected: true, text: 'All', value: '$__all' })
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .sort(VariableSort.AlphabeticalAsc);
}

/** histogram_quantile over a histogram's buckets, by `by` (plus le), with rate over $__rate_interval. */
const quantile = (q: number, histogram: string, by: string[], selector = '') =>
  `histogram_quantile(${q}, sum by (${[...by, 'le'].join(', ')}) (rate(${histogram}_bucket${selector}[$__rate_interval])))`;

const base = (uid: string, title: string, description: string) =>
  new DashboardBuilder(title)
    .uid(uid)
    .description(description)
    .tags(['chat4all'])
    .editable()
    .tooltip(DashboardCursorSync.Crosshair)
    .refresh('10s')
    .time({ from: 'now-30m', to: 'now' })
    .timezone('browser');

function overview(): DashboardBuilder {
  return base('chat4all-overview', 'Chat4All / Overview', 'Messages in and out, errors and end-to-end latency.')
    .withRow(new RowBuilder('Now'))
    .withPanel(
      single('Accepted (time range)', ['sum(increase(messages_accepted_total[$__range]))', 'accepted'], {
        description: 'Messages answered 202 after Kafka acknowledged them, over the dashboard time range.',
        unit: 'short',
      }),
    )
    .withPanel(
      single(
        'Delivered (time range)',
        ['sum(increase(status_updates_applied_total{status="DELIVERED"}[$__range]))', 'delivered'],
        { description: 'DELIVERED statuses applied, over the dashboard time range.', unit: 'short' },
      ),
    )
    .withPanel(
      single('HTTP 5xx ratio', ['chat4all:http_5xx_ratio:rate5m', '5xx'], {
        description: 'Share of HTTP requests answered 5xx over 5 minutes (alert HttpErrorRatioHigh above 1 %).',
        unit: 'percentunit',
      }),
    )
    .withPanel(
      single('Consumer lag', ['sum(chat4all:consumer_lag:sum)', 'records'], {
        description: 'Records waiting in Kafka, all consumer groups together (alert ConsumerLagHigh above 100).',
        unit: 'short',
      }),
    )
    .withRow(new RowBuilder('Throughput and latency'))
    .withPanel(
      graph(
        'Messages accepted vs delivered',
        [
          ['chat4all:messages_accepted:rate1m', 'accepted'],
          ['chat4all:messages_delivered:rate1m', 'delivered'],
        ],
        { description: 'Messages per second accepted by the API and delivered to their recipients.', unit: 'reqps' },
      ),
    )
    .withPanel(
      graph(
        'End-to-end latency',
        [
          ['chat4all:e2e_latency_seconds:p50', 'p50'],
          [quantile(0.95, 'message_delivery_latency_seconds', []), 'p95'],
          ['chat4all:e2e_latency_seconds:p99', 'p99'],
        ],
        { description: 'From send (created_at) to DELIVERED, all channels.', unit: 's' },
      ),
    )
    .withPanel(
      graph(
        'HTTP error ratio',
        [
          ['chat4all:http_5xx_ratio:rate5m', '5xx'],
          [
            'sum(rate(http_request_duration_seconds_count{status=~"4.."}[$__rate_interval])) / sum(rate(http_request_duration_seconds_count[$__rate_interval]))',
            '4xx',
          ],
        ],
        {
          description: '5xx are our failures; 4xx are rejected requests (see the API dashboard).',
          unit: 'percentunit',
        },
      ),
    )
    .withPanel(
      graph(
        'Messages handed to channels',
        [['sum by (channel, status) (rate(messages_sent_total[$__rate_interval]))', '{{channel}} {{status}}']],
        { description: 'Per second, by channel and outcome (sent or failed).', unit: 'reqps', stacked: true },
      ),
    )
    .withPanel(
      graph(
        'Function invocations',
        [['sum by (outcome) (rate(function_invocations_total[$__rate_interval]))', '{{outcome}}']],
        { description: 'Every Lambda invocation, by outcome.', unit: 'reqps', stacked: true },
      ),
    )
    .withPanel(
      graph('HTTP p99 latency by route', [['chat4all:http_latency_seconds:p99', '{{route}}']], {
        description: 'p99 over 5 minutes per API route (alert HttpLatencyP99High above 500 ms over all routes).',
        unit: 's',
      }),
    );
}

function api(): DashboardBuilder {
  const route = '{route=~"$route"}';
  return base('chat4all-api', 'Chat4All / API', 'HTTP functions: rate, latency, status codes and rejections per route.')
    .withVariable(labelVariable('route', 'route', 'http_request_duration_seconds_count'))
    .withRow(new RowBuilder('Traffic'))
    .withPanel(
      graph('Requests by route', [[`sum by (route) (chat4all:http_requests:rate1m${route})`, '{{route}}']], {
        description: 'Requests per second, per API Gateway resource.',
        unit: 'reqps',
        stacked: true,
      }),
    )
    .withPanel(
      graph('Status codes', [[`sum by (status) (chat4all:http_requests:rate1m${route})`, '{{status}}']], {
        description: 'Requests per second by HTTP status.',
        unit: 'reqps',
        stacked: true,
      }),
    )
    .withRow(new RowBuilder('Latency'))
    .withPanel(
      graph(
        'Latency quantiles by route',
        [
          [`chat4all:http_latency_seconds:p50${route}`, '{{route}} p50'],
          [`chat4all:http_latency_seconds:p95${route}`, '{{route}} p95'],
          [`chat4all:http_latency_seconds:p99${route}`, '{{route}} p99'],
        ],
        { description: 'Over 5 minutes, from http_request_duration_seconds.', unit: 's', span: 24 },
      ),
    )
    .withPanel(
      graph(
        'Kafka publish latency',
        [
          [quantile(0.5, 'kafka_publish_duration_seconds', ['topic']), '{{topic}} p50'],
          [quantile(0.99, 'kafka_publish_duration_seconds', ['topic']), '{{topic}} p99'],
        ],
        { description: 'Until the broker acknowledged (acks=all), by topic.', unit: 's' },
      ),
    )
    .withPanel(
      graph('Function duration (p99)', [[quantile(0.99, 'function_duration_seconds', ['function']), '{{function}}']], {
        description: 'Whole Lambda invocation, per function.',
        unit: 's',
      }),
    )
    .withRow(new RowBuilder('Rejections and errors'))
    .withPanel(
      graph(
        'Rejections by reason',
        [[`sum by (code) (rate(http_rejections_total${route}[$__rate_interval]))`, '{{code}}']],
        { description: 'Every 4xx answer, by its JSON error code.', unit: 'reqps', stacked: true },
      ),
    )
    .withPanel(
      bars(
        'Rejections in the time range',
        [`sum by (route, code) (increase(http_rejections_total${route}[$__range]))`, '{{route}} {{code}}'],
        { description: 'Which routes reject what, over the dashboard time range.', unit: 'short' },
      ),
    )
    .withPanel(
      graph(
        'Invocations by outcome',
        [
          [
            'sum by (function, outcome) (rate(function_invocations_total[$__rate_interval]))',
            '{{function}} {{outcome}}',
          ],
        ],
        { description: 'An error outcome is an unhandled failure (a 5xx for HTTP functions).', unit: 'reqps' },
      ),
    )
    .withPanel(
      graph(
        'Cold starts',
        [['sum by (function) (increase(function_cold_starts_total[$__rate_interval]))', '{{function}}']],
        { description: 'Workers started (the first invocation of each).', unit: 'short' },
      ),
    )
    .withPanel(
      graph('Files uploaded', [['sum(rate(files_uploaded_total[$__rate_interval]))', 'files']], {
        description: 'Files whose upload completed and was verified, per second.',
        unit: 'reqps',
      }),
    );
}

function routerAndBridge(): DashboardBuilder {
  const fn = '{function=~"$function"}';
  return base(
    'chat4all-router-bridge',
    'Chat4All / Router and bridge',
    'Kafka consumer lag, the event-source bridge and the Kafka-triggered functions.',
  )
    .withVariable(labelVariable('function', 'function', 'bridge_invocations_total'))
    .withRow(new RowBuilder('Kafka'))
    .withPanel(
      graph(
        'Consumer lag per partition',
        [['max by (group, topic, partition) (kafka_consumer_lag)', '{{group}} {{topic}}/{{partition}}']],
        { description: 'End offset minus committed offset, per partition.', unit: 'short', min: 0 },
      ),
    )
    .withPanel(
      graph('Consumer lag per group', [['chat4all:consumer_lag:sum', '{{group}} {{topic}}']], {
        description: 'Alert ConsumerLagHigh fires above 100 for 2 minutes.',
        unit: 'short',
        min: 0,
      }),
    )
    .withPanel(
      graph(
        'Consumer group members',
        [
          ['max by (group) (kafka_consumer_group_members)', '{{group}} members'],
          ['sum by (group) (bridge_consumer_member)', '{{group}} bridges that are members'],
          [
            'sum by (group, reason) (increase(bridge_consumer_recoveries_total[$__rate_interval]))',
            '{{group}} consumer replaced ({{reason}})',
          ],
        ],
        {
          description:
            "Members the group's coordinator lists, and consumers a bridge replaced. Alert ConsumerGroupWithoutMember fires on a backlog with no member for 1 minute.",
          unit: 'short',
          min: 0,
        },
      ),
    )
    .withPanel(
      graph(
        'Time since last fetch and commit',
        [
          ['time() - max by (group) (bridge_consumer_last_fetch_timestamp_seconds)', '{{group}} fetch'],
          ['time() - max by (group) (bridge_consumer_last_commit_timestamp_seconds)', '{{group}} commit'],
        ],
        {
          description:
            'Per group, over the bridges that consume it. Alert ConsumerGroupNoProgress fires on a backlog without a commit for a minute.',
          unit: 's',
          min: 0,
        },
      ),
    )
    .withRow(new RowBuilder('Bridge'))
    .withPanel(
      graph(
        'Batch size',
        [
          [quantile(0.5, 'bridge_batch_size', ['function'], fn), '{{function}} p50'],
          [quantile(0.99, 'bridge_batch_size', ['function'], fn), '{{function}} p99'],
          [
            `sum by (function) (rate(bridge_batch_size_sum${fn}[$__rate_interval])) / sum by (function) (rate(bridge_batch_size_count${fn}[$__rate_interval]))`,
            '{{function}} mean',
          ],
        ],
        { description: 'Records per invocation.', unit: 'short' },
      ),
    )
    .withPanel(
      graph(
        'Invoke duration',
        [
          [quantile(0.5, 'bridge_invoke_duration_seconds', ['function'], fn), '{{function}} p50'],
          [quantile(0.99, 'bridge_invoke_duration_seconds', ['function'], fn), '{{function}} p99'],
        ],
        { description: 'One Lambda invocation as the bridge sees it.', unit: 's' },
      ),
    )
    .withPanel(
      graph(
        'Bridge invocations',
        [
          [
            `sum by (function, outcome) (rate(bridge_invocations_total${fn}[$__rate_interval]))`,
            '{{function}} {{outcome}}',
          ],
        ],
        { description: 'Per second, by outcome.', unit: 'reqps' },
      ),
    )
    .withPanel(
      graph(
        'Retries and dead letters',
        [
          [`sum by (function) (rate(bridge_retries_total${fn}[$__rate_interval]))`, 'retries {{function}}'],
          [
            `sum by (function, topic) (increase(bridge_dead_letters_total${fn}[$__rate_interval]))`,
            'dead letters {{function}} → {{topic}}',
          ],
        ],
        { description: 'Failed batches retried, and records moved to a .dlq topic.', unit: 'short' },
      ),
    )
    .withRow(new RowBuilder('Router and status'))
    .withPanel(
      graph('Router outcomes', [['sum by (status) (rate(messages_processed_total[$__rate_interval]))', '{{status}}']], {
        description: 'routed, duplicate (a redelivered record dropped by message_id) or invalid.',
        unit: 'reqps',
        stacked: true,
      }),
    )
    .withPanel(
      graph(
        'Router processing time per batch',
        [
          [quantile(0.5, 'message_processing_duration_seconds', []), 'p50'],
          [quantile(0.99, 'message_processing_duration_seconds', []), 'p99'],
        ],
        { description: 'Store, deduplicate and forward one batch.', unit: 's' },
      ),
    )
    .withPanel(
      graph(
        'Status updates applied',
        [['sum by (status) (rate(status_updates_applied_total[$__rate_interval]))', '{{status}}']],
        { description: 'Forward-only status changes written by the status function.', unit: 'reqps', stacked: true },
      ),
    )
    .withPanel(
      graph(
        'Function duration (p99)',
        [[quantile(0.99, 'function_duration_seconds', ['function'], fn), '{{function}}']],
        { description: 'The Kafka-triggered functions, measured inside the Lambda.', unit: 's' },
      ),
    );
}

function connectors(): DashboardBuilder {
  const channel = '{channel=~"$channel"}';
  return base(
    'chat4all-connectors',
    'Chat4All / Connectors',
    'WhatsApp, Instagram and Chat4All (WebSocket) delivery: outcomes, provider latency, breakers, retries.',
  )
    .withVariable(labelVariable('channel', 'channel', 'messages_sent_total'))
    .withRow(new RowBuilder('Outcomes'))
    .withPanel(
      graph(
        'Sent and failed per channel',
        [
          [
            `sum by (channel, status) (rate(messages_sent_total${channel}[$__rate_interval]))`,
            '{{channel}} {{status}}',
          ],
        ],
        { description: 'Messages handed to a channel per second, by outcome.', unit: 'reqps' },
      ),
    )
    .withPanel(
      graph(
        'Delivery latency (p99)',
        [[quantile(0.99, 'message_delivery_latency_seconds', ['channel'], channel), '{{channel}}']],
        { description: 'From send to DELIVERED, per channel.', unit: 's' },
      ),
    )
    .withRow(new RowBuilder('Providers'))
    .withPanel(
      graph(
        'Provider API latency',
        [
          [quantile(0.5, 'connector_api_duration_seconds', ['channel'], channel), '{{channel}} p50'],
          [quantile(0.99, 'connector_api_duration_seconds', ['channel'], channel), '{{channel}} p99'],
        ],
        { description: 'One call to the provider API (Graph API or its emulator).', unit: 's' },
      ),
    )
    .withPanel(
      new statetimeline.PanelBuilder()
        .title('Circuit breaker state')
        .description('Per channel: closed, half-open (one probe call) or open (messages wait as PENDING).')
        .datasource(DATASOURCE)
        .span(12)
        .height(8)
        .mappings([
          {
            type: MappingType.ValueToText,
            options: {
              '0': { text: 'closed', color: 'green', index: 0 },
              '1': { text: 'half-open', color: 'yellow', index: 1 },
              '2': { text: 'open', color: 'red', index: 2 },
            },
          },
        ])
        .targets([target([`max by (channel) (circuit_breaker_state${channel})`, '{{channel}}'], 0)]),
    )
    .withPanel(
      graph(
        'Provider retries',
        [[`sum by (channel) (rate(connector_retries_total${channel}[$__rate_interval]))`, '{{channel}}']],
        { description: 'Provider calls retried after a transient failure.', unit: 'reqps' },
      ),
    )
    .withPanel(
      graph(
        'Dead letters',
        [
          [
            'sum by (function, topic) (increase(bridge_dead_letters_total{topic=~"(whatsapp-outbound|instagram-outbound|notifications)\\\\.dlq"}[$__rate_interval]))',
            '{{function}} → {{topic}}',
          ],
        ],
        { description: 'Outbound records moved to their .dlq topic after exhausting retries.', unit: 'short' },
      ),
    );
}

/** Grafana wants a unique id per panel; the builders leave them unset. */
function numberPanels(dashboard: Dashboard): Dashboard {
  let id = 1;
  for (const panel of (dashboard.panels ?? []) as (Panel | RowPanel)[]) {
    panel.id = id++;
    for (const inner of 'panels' in panel ? panel.panels : []) inner.id = id++;
  }
  return dashboard;
}

const builders: Record<string, () => cog.Builder<Dashboard>> = {
  overview,
  api,
  'router-bridge': routerAndBridge,
  connectors,
};

/** Every dashboard, by file name (without .json). */
export function buildDashboards(): Record<string, Dashboard> {
  return Object.fromEntries(Object.entries(builders).map(([name, build]) => [name, numberPanels(build().build())]));
}

/** The JSON text written to disk (Prettier-formatted like the rest of the repository). */
export async function render(dashboard: Dashboard, file: string): Promise<string> {
  const options = (await prettier.resolveConfig(file)) ?? {};
  return prettier.format(JSON.stringify(dashboard), { ...options, filepath: file });
}

export async function writeDashboards(dir = DASHBOARDS_DIR): Promise<string[]> {
  fs.mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  for (const [name, dashboard] of Object.entries(buildDashboards())) {
    const file = path.join(dir, `${name}.json`);
    fs.writeFileSync(file, await render(dashboard, file));
    written.push(file);
  }
  return written;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  for (const file of await writeDashboards()) console.log(`wrote ${path.relative(process.cwd(), file)}`);
}
