import { TOPICS } from '@chat4all/shared/contracts/topics.js';
import { ApiClient } from '../lib/client.js';
import { openConversations, sendFixture, sender } from '../lib/fixtures.js';
import { groupLag } from '../lib/lag.js';
import { progressLine, runOpenModel } from '../lib/open-model.js';
import { result, type ScenarioOptions, type ScenarioResult } from '../lib/scenario.js';

/**
 * spike: the base rate for 30 s, 10× for 60 s, the base rate again for 60 s. Reports the router's
 * largest backlog and how long after the spike it took to drain back to zero.
 */
export async function spike(
  client: ApiClient,
  { rate = 50, durationS = 150 }: ScenarioOptions = {},
): Promise<ScenarioResult> {
  const fixture = await sendFixture(client);
  await openConversations(client, fixture);
  const spikeFrom = 30;
  const spikeTo = spikeFrom + Math.min(60, durationS - 60);
  let maxBacklog = 0;
  let drainedAtS: number | null = null;
  const started = performance.now();
  const watcher = setInterval(() => {
    void groupLag('chat4all-router', TOPICS.messages).then((lag) => {
      const t = (performance.now() - started) / 1000;
      maxBacklog = Math.max(maxBacklog, lag);
      if (t > spikeTo && lag === 0 && drainedAtS === null) drainedAtS = t;
    });
  }, 1000);
  const recorder = await runOpenModel({
    rate: (t) => (t >= spikeFrom && t < spikeTo ? rate * 10 : rate),
    durationS,
    fire: sender(client, fixture),
    onSecond: progressLine('spike'),
  });
  const deadline = Date.now() + 120_000;
  while (drainedAtS === null && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 1000));
  clearInterval(watcher);
  return result('spike', recorder, {
    base_rate: rate,
    spike_rate: rate * 10,
    max_backlog_records: maxBacklog,
    drain_s_after_spike: drainedAtS === null ? null : Math.round((drainedAtS - spikeTo) * 10) / 10,
  });
}
