import { ApiClient } from '../lib/client.js';
import { openConversations, sendFixture } from '../lib/fixtures.js';
import type { ScenarioOptions, ScenarioResult } from '../lib/scenario.js';
import { accept } from './accept.js';

export const SLO = { p99Ms: 500, errorRate: 0.005 };

/**
 * breakpoint: sends at a rising rate, in steps of `rate` (default 100/s) every `durationS` (default
 * 20 s), until a step breaks the SLO (p99 > 500 ms or errors > 0.5 %). Reports the last rate that held.
 */
export async function breakpoint(
  client: ApiClient,
  { rate = 100, durationS = 20 }: ScenarioOptions = {},
): Promise<ScenarioResult> {
  const fixture = await sendFixture(client, { senders: 16, recipients: 8 });
  await openConversations(client, fixture);
  const steps: { rate: number; p99_ms: number; error_rate: number; achieved_rps: number }[] = [];
  let last: ScenarioResult | undefined;
  for (let step = 1; step <= 40; step++) {
    last = await accept(client, { rate: rate * step, durationS }, fixture);
    const { p99_ms, error_rate, achieved_rps } = last.summary;
    steps.push({ rate: rate * step, p99_ms, error_rate, achieved_rps });
    if (p99_ms > SLO.p99Ms || error_rate > SLO.errorRate) break;
  }
  const held = steps.filter((s) => s.p99_ms <= SLO.p99Ms && s.error_rate <= SLO.errorRate);
  return { ...last!, name: 'breakpoint', extra: { slo: SLO, steps, max_rate_within_slo: held.at(-1)?.rate ?? 0 } };
}
