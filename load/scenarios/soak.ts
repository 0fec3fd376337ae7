import type { Second } from '../lib/recorder.js';
import { ApiClient } from '../lib/client.js';
import { residentMemoryMb } from '../lib/cpu.js';
import { openConversations, sendFixture, sender } from '../lib/fixtures.js';
import { pipelineLag } from '../lib/lag.js';
import { progressLine, runOpenModel, type Outcome } from '../lib/open-model.js';
import { result, type ScenarioOptions, type ScenarioResult } from '../lib/scenario.js';

/** The median of the per-second p99 latencies over a stretch of the run: what "the p99 then" means here. */
function typicalP99(seconds: Second[]): number | null {
  const p99s = seconds
    .filter((second) => second.ok > 0)
    .map((second) => second.p99_ms)
    .sort((a, b) => a - b);
  return p99s.length > 0 ? p99s[Math.floor(p99s.length / 2)]! : null;
}

/**
 * soak: 15 minutes of 70 % sends and 30 % history reads at a steady rate (default 50/s). What degrades only with
 * time shows in the report: the p99 of the first minutes against the last, resident memory of every component
 * before and after, and the pipeline's backlog at the end.
 */
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
  const memoryBefore = residentMemoryMb();
  const recorder = await runOpenModel({
    rate: () => rate,
    durationS,
    onSecond: progressLine('soak'),
    fire: () => (n++ % 10 < 7 ? send() : readHistory()),
  });
  const stretch = Math.max(1, Math.min(180, Math.floor(recorder.timeline.length / 5)));
  return result('soak', recorder, {
    rate,
    mix: '70% send / 30% history',
    p99_ms_first_minutes: typicalP99(recorder.timeline.slice(0, stretch)),
    p99_ms_last_minutes: typicalP99(recorder.timeline.slice(-stretch)),
    compared_seconds: stretch,
    resident_mb_before: memoryBefore,
    resident_mb_after: residentMemoryMb(),
    backlog_at_end: await pipelineLag(),
  });
}
