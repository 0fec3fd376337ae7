import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  COST_PATHS,
  costTable,
  measureCostPaths,
  overBudget,
  type CostBudget,
  type CostPathName,
  type PathCost,
} from '../../load/lib/costs.js';

/**
 * The per-message cost budget (DESIGN.md "Contracts and costs"): what one delivered message may cost the
 * stack, by path, per delivery. Counted where the work happens (the Cassandra client, the Kafka producer, the
 * functions' invocations and their logger), messages sent one at a time and each followed until delivered and every
 * consumer group caught up (load/lib/costs.ts). A change that makes a path cost more fails here: lower a budget when
 * a change makes a path cheaper, raise one only with the reason in the commit.
 *
 * Each budget is what the path costs when no two of its Kafka records share an invocation, plus a small margin:
 * batching (which depends on timing) can only make a run cheaper. Where the statements come from (docs/scaling.md
 * has the whole table):
 * - websocket: send 3, router 8, push 2, ack 2, two status events 5 each, two announcements to the sender 1 each.
 * - whatsapp: send 2, router 9, connector 4, two receipts 1 each, three status events 6 each, three announcements.
 * - group (per member reached, 9 a message): each member's inbox, push, ack and two status events, the sender's
 *   announcement of each event, and the send and the router's fan-out shared by the 9.
 * - offline: send 3, router 8, inbox 2.
 * - read: the read itself 8, its status event 5, the announcement 1.
 */
const BUDGETS: Record<CostPathName, CostBudget> = {
  websocket: { cassandra_statements: 28, kafka_records: 6.2, invocations: 8.5, log_lines: 5.2 },
  whatsapp: { cassandra_statements: 39, kafka_records: 8.2, invocations: 11.5, log_lines: 7.2 },
  group: { cassandra_statements: 18, kafka_records: 5.3, invocations: 6.2, log_lines: 3.4 },
  offline: { cassandra_statements: 13.5, kafka_records: 2.1, invocations: 3.2, log_lines: 3.2 },
  read: { cassandra_statements: 14.5, kafka_records: 2.1, invocations: 3.2, log_lines: 2.2 },
};

let results: PathCost[] = [];

before(async () => {
  results = await measureCostPaths({ log: (line) => console.log(`# ${line}`) });
});

after(() => {
  if (results.length > 0) console.log(`# per delivery:\n${costTable(results).replace(/^/gm, '# ')}`);
});

describe('cost budget per delivered message', { timeout: 600_000 }, () => {
  it('counts at the source: every function reports its statements, records, invocations and log lines', () => {
    assert.deepEqual(
      results.map((r) => r.path),
      [...COST_PATHS],
    );
    for (const result of results) {
      const { cassandra_statements, kafka_records, invocations, log_lines } = result.totals;
      assert.ok(
        cassandra_statements > 0 && kafka_records > 0 && invocations > 0 && log_lines > 0,
        `${result.path}: no cost counters in the Pushgateway (${JSON.stringify(result.totals)}): ` +
          'is the API running a build from before them? (restart it)',
      );
      assert.equal(
        result.totals.kafka_records,
        result.broker_records,
        `${result.path}: the producers counted ${result.totals.kafka_records} records, the topics received ${result.broker_records}`,
      );
      assert.equal(
        result.kafka_triggered_invocations,
        result.bridge_invocations,
        `${result.path}: the Kafka-triggered functions counted ${result.kafka_triggered_invocations} invocations, ` +
          `the bridge made ${result.bridge_invocations}`,
      );
    }
  });

  for (const path of COST_PATHS)
    it(`${path}: within its budget`, () => {
      const result = results.find((r) => r.path === path);
      assert.ok(result, `${path} was not measured`);
      assert.ok(result.deliveries > 0);
      const over = overBudget(result.per_delivery, BUDGETS[path]);
      assert.deepEqual(
        over,
        [],
        `${path} costs more per delivery than its budget:\n${over.join('\n')}\nby function: ${JSON.stringify(result.by_function, null, 1)}`,
      );
    });
});
