import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import YAML from 'yaml';
import { ROOT } from '../../infra/stack/paths.js';

const promtool = (...args: string[]) =>
  execFileSync('promtool', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
}
const rules = (
  YAML.parse(fs.readFileSync(path.join(ROOT, 'observability/rules/chat4all.rules.yml'), 'utf8')) as {
    groups: { rules: Rule[] }[];
  }
).groups.flatMap((group) => group.rules);
const alert = (name: string) => rules.find((rule) => rule.alert === name);

describe('Prometheus configuration', () => {
  it('passes promtool check config and check rules', () => {
    assert.match(promtool('check', 'config', 'observability/prometheus.yml'), /SUCCESS/);
    assert.match(promtool('check', 'rules', 'observability/rules/chat4all.rules.yml'), /SUCCESS: \d+ rules found/);
  });

  it('scrapes the Pushgateway with honor_labels, the bridges and itself', () => {
    const config = YAML.parse(fs.readFileSync(path.join(ROOT, 'observability/prometheus.yml'), 'utf8'));
    const jobs = Object.fromEntries(config.scrape_configs.map((job: { job_name: string }) => [job.job_name, job]));
    assert.equal(jobs.pushgateway.honor_labels, true);
    assert.ok(jobs['chat4all-bridge'].file_sd_configs);
    assert.ok(jobs.prometheus);
  });

  it('has the alerts operators rely on, with their thresholds', () => {
    assert.match(alert('HttpErrorRatioHigh')!.expr, /> 0\.01/);
    assert.equal(alert('HttpErrorRatioHigh')!.for, '5m');
    assert.match(alert('HttpLatencyP99High')!.expr, /> 0\.5/);
    assert.match(alert('ConsumerLagHigh')!.expr, /> 100/);
    assert.equal(alert('ConsumerLagHigh')!.for, '2m');
    assert.ok(alert('DeadLettersGrowing'));
    assert.match(alert('CircuitBreakerOpen')!.expr, /circuit_breaker_state/);
    assert.match(alert('TargetDown')!.expr, /up == 0/);
    assert.match(alert('ConsumerGroupWithoutMember')!.expr, /consumer_group_members/);
    assert.equal(alert('ConsumerGroupWithoutMember')!.for, '1m');
    assert.match(alert('ConsumerGroupNoProgress')!.expr, /consumer_last_commit_age_seconds > 60/);
  });

  it('passes the promtool test cases kept beside the rules (observability/rules/*.test.yml)', () => {
    const dir = path.join(ROOT, 'observability/rules');
    const cases = fs.readdirSync(dir).filter((file) => file.endsWith('.test.yml'));
    assert.ok(cases.length > 0);
    assert.match(promtool('test', 'rules', ...cases.map((file) => path.join(dir, file))), /SUCCESS/);
  });

  it('evaluates the lag alert as expected on synthetic series (promtool test rules)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chat4all-promtool-'));
    const testFile = path.join(dir, 'lag.test.yml');
    fs.writeFileSync(
      testFile,
      YAML.stringify({
        rule_files: [path.join(ROOT, 'observability/rules/chat4all.rules.yml')],
        evaluation_interval: '15s',
        tests: [
          {
            interval: '15s',
            input_series: [
              {
                series: 'kafka_consumer_lag{group="chat4all-router",topic="messages",partition="0",instance="a"}',
                values: '0 80 160x20',
              },
              {
                series: 'kafka_consumer_lag{group="chat4all-router",topic="messages",partition="0",instance="b"}',
                values: '0 80 160x20',
              },
            ],
            alert_rule_test: [
              { eval_time: '1m', alertname: 'ConsumerLagHigh', exp_alerts: [] },
              {
                eval_time: '3m',
                alertname: 'ConsumerLagHigh',
                exp_alerts: [
                  {
                    exp_labels: { severity: 'page', group: 'chat4all-router', topic: 'messages' },
                    // max over the bridges that report the same partition, not their sum: 160, not 320
                    exp_annotations: {
                      summary: 'Consumer group chat4all-router lags on messages',
                      description: '160 records wait; is the bridge running and the function healthy?',
                    },
                  },
                ],
              },
            ],
          },
        ],
      }),
    );
    try {
      assert.match(promtool('test', 'rules', testFile), /SUCCESS/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
