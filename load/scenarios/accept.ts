import { ApiClient } from '../lib/client.js';
import { openConversations, sendFixture, sender, type SendFixture } from '../lib/fixtures.js';
import { progressLine, runOpenModel } from '../lib/open-model.js';
import { result, type ScenarioOptions, type ScenarioResult } from '../lib/scenario.js';

/** accept: POST /v1/messages at a fixed arrival rate; the accept path alone (202 = Kafka acknowledged). */
export async function accept(
  client: ApiClient,
  { rate = 200, durationS = 30 }: ScenarioOptions = {},
  fixture?: SendFixture,
): Promise<ScenarioResult> {
  const users = fixture ?? (await sendFixture(client));
  if (!fixture) await openConversations(client, users);
  const recorder = await runOpenModel({
    rate: () => rate,
    durationS,
    fire: sender(client, users),
    onSecond: progressLine(`accept@${rate}/s`),
  });
  return result('accept', recorder, { rate });
}
