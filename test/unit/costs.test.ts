import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  bridgeSeries,
  costDelta,
  costTable,
  functionSeries,
  overBudget,
  parseExposition,
  perUnit,
  sameSnapshot,
  type CostSnapshot,
  type PathCost,
} from '../../load/lib/costs.js';

const PUSHGATEWAY_TEXT = `# HELP cassandra_statements_total CQL statements
# TYPE cassandra_statements_total counter
cassandra_statements_total{function="router",instance="vm-1-0-aa",job="chat4all-functions",kind="batched"} 60
cassandra_statements_total{function="router",instance="vm-1-0-aa",job="chat4all-functions",kind="single"} 20
cassandra_batches_total{function="router",instance="vm-1-0-aa",job="chat4all-functions"} 10
kafka_records_produced_total{function="router",instance="vm-1-0-aa",job="chat4all-functions",topic="notifications"} 10
function_invocations_total{function="router",instance="vm-1-0-aa",job="chat4all-functions",outcome="success"} 7
log_lines_total{function="router",instance="vm-1-0-aa",job="chat4all-functions",level="info"} 10
function_invocations_total{function="health",instance="vm-1-0-bb",job="chat4all-functions",outcome="success"} 99
function_invocations_total{function="test",instance="vm-2-0-cc",job="chat4all-functions",outcome="success"} 5
load_requests_total{job="chat4all-load",outcome="ok",scenario="e2e"} 1000
push_time_seconds{function="router",instance="vm-1-0-aa",job="chat4all-functions"} 1.7959917608195422e+09
push_time_seconds{function="health",instance="vm-1-0-bb",job="chat4all-functions"} 1.79599218029547e+09
`;

const FUNCTIONS = new Set(['router', 'messagesSend']);

function snapshot(text: string, bridgeText = '', brokerRecords = 0): CostSnapshot {
  const { series, pushTimes } = functionSeries(parseExposition(text), FUNCTIONS);
  const bridge = parseExposition(bridgeText);
  for (const [key, value] of bridgeSeries(bridge, '127.0.0.1:9464')) series.set(key, value);
  return {
    series,
    pushTimes,
    bridges: { read: 1, countsLogLines: bridge.some((sample) => sample.name === 'log_lines_total') },
    brokerRecords,
  };
}

describe('Prometheus text exposition', () => {
  it('reads names, labels (escapes included) and values, skipping comments and timestamps', () => {
    const samples = parseExposition(
      [
        '# HELP x help',
        'plain_total 3',
        'with_time_total{a="1"} 4 1700000000000',
        String.raw`escaped{path="a\"b\\c",other="x\ny"} 1.5e+3`,
        'nan_value NaN',
        '',
      ].join('\n'),
    );
    assert.deepEqual(samples, [
      { name: 'plain_total', labels: {}, value: 3 },
      { name: 'with_time_total', labels: { a: '1' }, value: 4 },
      { name: 'escaped', labels: { path: 'a"b\\c', other: 'x\ny' }, value: 1500 },
    ]);
  });
});

describe('cost snapshots and deltas', () => {
  it('keeps only the cost series of the pipeline functions, and their push times', () => {
    const taken = snapshot(PUSHGATEWAY_TEXT);
    assert.equal(taken.series.size, 6);
    assert.ok([...taken.series.values()].every((series) => series.function === 'router'));
    assert.equal(taken.pushTimes.size, 1);
  });

  it('sums the deltas by function: statements single and batched, requests = executes + batches', () => {
    const before = snapshot(PUSHGATEWAY_TEXT, 'bridge_invocations_total{function="router",outcome="success"} 7', 100);
    const after = snapshot(
      PUSHGATEWAY_TEXT.replace('kind="batched"} 60', 'kind="batched"} 72')
        .replace('kind="single"} 20', 'kind="single"} 24')
        .replace('job="chat4all-functions"} 10\n', 'job="chat4all-functions"} 12\n')
        .replace('topic="notifications"} 10', 'topic="notifications"} 12')
        .replace('outcome="success"} 7', 'outcome="success"} 9')
        .replace('level="info"} 10', 'level="info"} 12'),
      'bridge_invocations_total{function="router",outcome="success"} 9',
      112,
    );
    const delta = costDelta(before, after);
    assert.deepEqual(delta.total, {
      cassandra_statements: 16,
      cassandra_requests: 6,
      kafka_records: 2,
      invocations: 2,
      log_lines: 2,
    });
    assert.deepEqual(Object.keys(delta.byFunction), ['router']);
    assert.equal(delta.bridgeInvocations, 2);
    assert.equal(delta.bridgeLogLines, null, 'this bridge does not count its log lines');
    assert.equal(delta.brokerRecords, 12);
  });

  it('counts a worker that started again (its counters went down) from zero, and a new worker whole', () => {
    const before = snapshot(PUSHGATEWAY_TEXT);
    const restarted = PUSHGATEWAY_TEXT.replace('outcome="success"} 7', 'outcome="success"} 3');
    const withNewWorker = `${restarted}function_invocations_total{function="messagesSend",instance="vm-3-0-dd",job="chat4all-functions",outcome="success"} 4\n`;
    const delta = costDelta(before, snapshot(withNewWorker));
    assert.equal(delta.total.invocations, 7);
    assert.equal(delta.byFunction.router!.invocations, 3);
    assert.equal(delta.byFunction.messagesSend!.invocations, 4);
  });

  it('adds nothing for a worker whose group was removed, and counts the bridge’s log lines when it has them', () => {
    const before = snapshot(PUSHGATEWAY_TEXT, 'log_lines_total{level="info"} 40');
    const after = snapshot('', 'log_lines_total{level="info"} 45');
    const delta = costDelta(before, after);
    assert.equal(delta.total.invocations, 0);
    assert.equal(delta.bridgeLogLines, 5);
  });

  it('tells a snapshot that changed (a count, a push) from one that did not', () => {
    const a = snapshot(PUSHGATEWAY_TEXT);
    assert.ok(sameSnapshot(a, snapshot(PUSHGATEWAY_TEXT)));
    assert.ok(!sameSnapshot(a, snapshot(PUSHGATEWAY_TEXT.replace('level="info"} 10', 'level="info"} 11'))));
    assert.ok(!sameSnapshot(a, snapshot(PUSHGATEWAY_TEXT.replace('1.7959917608195422e+09', '1.7959917618e+09'))));
    assert.ok(!sameSnapshot(a, snapshot(PUSHGATEWAY_TEXT, '', 1)));
  });
});

describe('budgets', () => {
  const costs = { cassandra_statements: 27, cassandra_requests: 16, kafka_records: 6, invocations: 8, log_lines: 5 };

  it('divides per delivery to two decimals', () => {
    assert.deepEqual(perUnit(costs, 3), {
      cassandra_statements: 9,
      cassandra_requests: 5.33,
      kafka_records: 2,
      invocations: 2.67,
      log_lines: 1.67,
    });
    assert.equal(perUnit(costs, 0).cassandra_statements, 0);
  });

  it('names every measure over its budget, and nothing at or under it', () => {
    assert.deepEqual(
      overBudget(costs, { cassandra_statements: 27, kafka_records: 6, invocations: 8, log_lines: 5 }),
      [],
    );
    assert.deepEqual(
      overBudget(costs, { cassandra_statements: 26, kafka_records: 6, invocations: 7.5, log_lines: 5 }),
      ['cassandra_statements: 27 per delivery, budget 26', 'invocations: 8 per delivery, budget 7.5'],
    );
  });

  it('prints one row per path', () => {
    const result: PathCost = {
      path: 'websocket',
      description: '',
      messages: 10,
      deliveries: 10,
      totals: costs,
      per_delivery: costs,
      by_function: {},
      bridge_invocations: 0,
      kafka_triggered_invocations: 0,
      bridge_log_lines_per_delivery: null,
      broker_records: 60,
    };
    const table = costTable([result]).trim().split('\n');
    assert.equal(table.length, 3);
    assert.equal(table[2], '| websocket | 10 | 10 | 27 | 16 | 6 | 8 | 5 | not counted |');
  });
});
