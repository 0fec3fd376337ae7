import crypto from 'node:crypto';
import { request } from 'undici';
import { ApiClient, registerUser } from '../lib/client.js';
import { progressLine, runOpenModel } from '../lib/open-model.js';
import { result, type ScenarioOptions, type ScenarioResult } from '../lib/scenario.js';

/** file-upload: 100 KB–1 MB files through presign, PUT straight to S3 and complete, at a fixed rate. */
export async function fileUpload(
  client: ApiClient,
  { rate = 5, durationS = 30 }: ScenarioOptions = {},
): Promise<ScenarioResult> {
  const [owner, peer] = await Promise.all([registerUser(client, 'files_from'), registerUser(client, 'files_to')]);
  const conversationId = `load-files-${crypto.randomUUID()}`;
  const created = await client.call('POST', '/v1/conversations', {
    headers: owner.headers,
    body: { type: 'group', conversation_id: conversationId, member_ids: [peer.id] },
  });
  if (created.status !== 201) throw new Error(`conversation: ${created.status}`);
  const recorder = await runOpenModel({
    rate: () => rate,
    durationS,
    maxInFlight: 50,
    onSecond: progressLine('file-upload'),
    fire: async () => {
      const bytes = crypto.randomBytes(100_000 + crypto.randomInt(900_000));
      const declared = await client.call<{ file_id: string; upload: { url: string; headers: Record<string, string> } }>(
        'POST',
        '/v1/files',
        {
          headers: owner.headers,
          body: {
            conversation_id: conversationId,
            filename: 'load.bin.pdf',
            content_type: 'application/pdf',
            size_bytes: bytes.length,
            checksum_sha256: crypto.createHash('sha256').update(bytes).digest('hex'),
          },
        },
      );
      if (declared.status !== 201) return { ok: false, kind: `presign_${declared.status}` };
      const put = await request(declared.body.upload.url, {
        method: 'PUT',
        headers: declared.body.upload.headers,
        body: bytes,
      });
      await put.body.dump();
      if (put.statusCode !== 200) return { ok: false, kind: `put_${put.statusCode}` };
      const completed = await client.call('POST', `/v1/files/${declared.body.file_id}/complete`, {
        headers: owner.headers,
        body: {},
      });
      return completed.status === 200 ? { ok: true } : { ok: false, kind: `complete_${completed.status}` };
    },
  });
  return result('file-upload', recorder, { rate });
}
