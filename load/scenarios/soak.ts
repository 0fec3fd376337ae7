import { ApiClient } from '../lib/client.js';
import { openConversations, sendFixture, sender } from '../lib/fixtures.js';
import { progressLine, runOpenModel, type Outcome } from '../lib/open-model.js';
import { result, type ScenarioOptions, type ScenarioResult } from '../lib/scenario.js';

/** soak: 15 minutes of 70 % sends and 30 % history reads at a steady rate (default 50/s). */
export async function soak(
  client: ApiClient,
  { rate = 50, durationS = 900 }: ScenarioOptions = {},
): Promise<ScenarioResult> {
  const fixture = await sendFixture(client);
  await openConversations(client, fixture);
  const send = sender(client, fixture);
  let n = 0;
  const readHistory = async (): Promise<Outcome> => {
    const conversation = fixture.conversations[n % fixture.conversations.length]!;
    const response = await client.call('GET', `/v1/conversations/${conversation.id}/messages?limit=50`, {
      headers: fixture.senders[conversation.sender]!.headers,
    });
    return response.status === 200 ? { ok: true } : { ok: false, kind: `history_${response.status}` };
  };
  const recorder = await runOpenModel({
    rate: () => rate,
    durationS,
    onSecond: progressLine('soak'),
    fire: () => (n++ % 10 < 7 ? send() : readHistory()),
  });
  return result('soak', recorder, { rate, mix: '70% send / 30% history' });
}
