import { ApiClient } from '../lib/client.js';
import { openConversations, sendFixture, sender } from '../lib/fixtures.js';
import { progressLine, runOpenModel } from '../lib/open-model.js';
import { result, type ScenarioOptions, type ScenarioResult } from '../lib/scenario.js';

/** warmup: a gentle steady send rate (default 50/s for 30 s), so workers, pools and JITs are warm. */
export async function warmup(
  client: ApiClient,
  { rate = 50, durationS = 30 }: ScenarioOptions = {},
): Promise<ScenarioResult> {
  const fixture = await sendFixture(client, { senders: 4, recipients: 4 });
  await openConversations(client, fixture);
  const recorder = await runOpenModel({
    rate: () => rate,
    durationS,
    fire: sender(client, fixture),
    onSecond: progressLine('warmup'),
  });
  return result('warmup', recorder, { rate });
}
