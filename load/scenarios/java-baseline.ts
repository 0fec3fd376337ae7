import crypto from 'node:crypto';
import { ApiClient, registerUser } from '../lib/client.js';
import { progressLine, runClosedModel } from '../lib/open-model.js';
import { result, type ScenarioOptions, type ScenarioResult } from '../lib/scenario.js';

/**
 * java-baseline: the Java system's load profile, for a side-by-side with its 753 msg/min, p95 2.39 ms
 * and p99 4.85 ms: 20 virtual users, 1–2 s think time, 10 conversations, WhatsApp and Instagram recipients.
 * A closed model on purpose: it is the profile that produced those figures.
 */
export async function javaBaseline(
  client: ApiClient,
  { durationS = 120 }: ScenarioOptions = {},
): Promise<ScenarioResult> {
  const user = await registerUser(client, 'java_baseline');
  const conversations = Array.from({ length: 10 }, (_, i) => ({
    id: `java-${crypto.randomUUID()}`,
    recipient: i % 2 === 0 ? `whatsapp:+55119999${String(10000 + i).slice(1)}` : `instagram:@java_load_${i}`,
  }));
  const recorder = await runClosedModel({
    vus: 20,
    durationS,
    thinkMs: () => 1000 + Math.random() * 1000,
    onSecond: progressLine('java-baseline'),
    fire: async (vu) => {
      const conversation = conversations[vu % conversations.length]!;
      try {
        const response = await client.call('POST', '/v1/messages', {
          headers: user.headers,
          body: {
            conversation_id: conversation.id,
            recipient_id: conversation.recipient,
            content: `baseline from vu ${vu}`,
          },
        });
        return response.status === 202 ? { ok: true } : { ok: false, kind: `http_${response.status}` };
      } catch (error) {
        return { ok: false, kind: (error as Error).name };
      }
    },
  });
  const summary = recorder.summary();
  return result('java-baseline', recorder, {
    msgs_per_min: Math.round((summary.ok / summary.duration_s) * 60),
    java_system: { msgs_per_min: 753, p95_ms: 2.39, p99_ms: 4.85 },
  });
}
