import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { getCassandra } from '@chat4all/shared/clients/cassandra.js';
import { getS3 } from '@chat4all/shared/clients/s3.js';
import { config } from '@chat4all/shared/config.js';
import { createUpload, downloadFile, type MultipartUpload, type SingleUpload } from '@chat4all/shared/files/service.js';
import { eventually, request } from '../helpers/api.js';
import { devUsers } from '../helpers/auth.js';

/**
 * Files against the real LocalStack S3 (signature validation on). Every transfer is plain `fetch` on the presigned
 * URLs, as a client would do it; the SDK only looks at the bucket to prove what is (not) there. Two things go through
 * the domain functions in this process instead of the HTTP API, on purpose:
 * - the multipart tests: multipart starts above 100 MiB, so they call createUpload with a lower threshold and
 *   5 MiB parts (the HTTP API always uses the deployment settings), then complete and download through the API;
 * - the expired URLs: URLs are signed for FILES_*_URL_EXPIRES_SECONDS and no request can shorten that, so the test
 *   signs one-second URLs with the same functions the handlers use.
 */

type Users = Awaited<ReturnType<typeof devUsers>>;
type Who = 'a' | 'b' | 'c';
interface FileView {
  file_id: string;
  status: string;
  filename: string;
  size_bytes: number;
  checksum_sha256: string | null;
  content_type: string;
  multipart: boolean;
}
interface Download {
  download_url: string;
  expires_at: string;
  filename: string;
  size_bytes: number;
  content_type: string;
  checksum_sha256: string | null;
}

const MiB = 1024 * 1024;
const sha256 = (data: Buffer) => crypto.createHash('sha256').update(data).digest('hex');

let users: Users;
let conversationId: string; // user_a and user_b; user_c is not a member
let otherConversationId: string; // user_a and user_c

before(async () => {
  users = await devUsers();
  const group = async (member: string) => {
    const response = await request<{ conversation_id: string }>('POST', '/v1/conversations', {
      body: { type: 'group', name: 'files', member_ids: [member] },
      headers: users.a.headers,
    });
    assert.equal(response.status, 201, JSON.stringify(response.body));
    return response.body.conversation_id;
  };
  conversationId = await group('user_b');
  otherConversationId = await group('user_c');
});

after(async () => {
  await getCassandra().shutdown();
  getS3().destroy();
});

const as = (who: Who) => ({ headers: users[who].headers });

function declare(who: Who, body: Record<string, unknown>) {
  return request<SingleUpload & MultipartUpload & { code?: string }>('POST', '/v1/files', {
    body: { conversation_id: conversationId, ...body },
    ...as(who),
  });
}

const complete = (who: Who, fileId: string, body?: unknown) =>
  request<FileView & { code?: string }>('POST', `/v1/files/${fileId}/complete`, {
    ...(body === undefined ? {} : { body }),
    ...as(who),
  });

const put = (url: string, headers: Record<string, string>, body: Buffer) =>
  fetch(url, { method: 'PUT', headers, body, signal: AbortSignal.timeout(60_000) });

async function refusal(response: Response): Promise<string> {
  const text = await response.text();
  return /<Code>([^<]+)<\/Code>/.exec(text)?.[1] ?? text.slice(0, 100);
}

async function fetchBytes(url: string): Promise<{ status: number; headers: Headers; body: Buffer }> {
  const response = await fetch(url, { signal: AbortSignal.timeout(60_000) });
  return { status: response.status, headers: response.headers, body: Buffer.from(await response.arrayBuffer()) };
}

const objectExists = (fileId: string) =>
  getS3()
    .send(new HeadObjectCommand({ Bucket: config.s3.bucket, Key: `files/${fileId}` }))
    .then(
      () => true,
      (error: Error) => {
        if (error.name === 'NotFound') return false;
        throw error;
      },
    );

/** Declares, uploads through the presigned PUT and completes a file; returns its id and bytes. */
async function uploadSmall(who: Who, bytes = crypto.randomBytes(64 * 1024), filename = 'photo.png') {
  const declared = await declare(who, {
    filename,
    content_type: 'image/png',
    size_bytes: bytes.length,
    checksum_sha256: sha256(bytes),
  });
  assert.equal(declared.status, 201, JSON.stringify(declared.body));
  const uploaded = await put(declared.body.upload.url, declared.body.upload.headers, bytes);
  assert.equal(uploaded.status, 200, await uploaded.text());
  const completed = await complete(who, declared.body.file_id);
  assert.equal(completed.status, 200, JSON.stringify(completed.body));
  return { fileId: declared.body.file_id, bytes };
}

describe('files: presigned single PUT', { timeout: 120_000 }, () => {
  it('uploads 1 MiB through the presigned PUT and downloads it back byte-identical under its filename', async () => {
    const bytes = crypto.randomBytes(MiB);
    const declared = await declare('a', {
      filename: '../../Résumé: 2026?.png',
      content_type: 'image/png',
      size_bytes: bytes.length,
      checksum_sha256: sha256(bytes),
    });
    assert.equal(declared.status, 201, JSON.stringify(declared.body));
    assert.equal(declared.headers.get('location'), `/v1/files/${declared.body.file_id}`);
    const { upload } = declared.body;
    assert.equal(upload.method, 'PUT');
    assert.equal(upload.headers['Content-Type'], 'image/png');
    assert.ok(upload.headers['x-amz-checksum-sha256'], 'the checksum is part of the upload');
    const expiresIn = Date.parse(upload.expires_at) - Date.now();
    assert.ok(expiresIn > 0 && expiresIn <= config.files.uploadUrlExpiresSeconds * 1000 + 1000, upload.expires_at);
    const signed = new URL(upload.url).searchParams.get('X-Amz-SignedHeaders')!.split(';');
    assert.deepEqual(signed.sort(), ['content-length', 'content-type', 'host', 'x-amz-checksum-sha256']);

    const pending = await request<FileView>('GET', `/v1/files/${declared.body.file_id}`, as('b'));
    assert.equal(pending.body.status, 'PENDING');
    assert.equal((await complete('a', declared.body.file_id)).status, 409, 'nothing uploaded yet');
    assert.equal(
      (await request('GET', `/v1/files/${declared.body.file_id}/download`, as('a'))).status,
      409,
      'no download before complete',
    );

    const uploaded = await put(upload.url, upload.headers, bytes);
    assert.equal(uploaded.status, 200, await uploaded.text());
    assert.equal((await complete('b', declared.body.file_id)).status, 403, 'only the uploader completes');
    const completed = await complete('a', declared.body.file_id);
    assert.equal(completed.status, 200, JSON.stringify(completed.body));
    assert.equal(completed.body.status, 'AVAILABLE');
    assert.equal(completed.body.filename, 'Résumé_ 2026_.png', 'sanitized');
    assert.equal(completed.body.size_bytes, MiB);
    assert.equal((await complete('a', declared.body.file_id)).body.status, 'AVAILABLE', 'complete is repeatable');

    const download = await request<Download>('GET', `/v1/files/${declared.body.file_id}/download`, as('b'));
    assert.equal(download.status, 200, JSON.stringify(download.body));
    assert.deepEqual(
      {
        filename: download.body.filename,
        size_bytes: download.body.size_bytes,
        content_type: download.body.content_type,
        checksum_sha256: download.body.checksum_sha256,
      },
      { filename: 'Résumé_ 2026_.png', size_bytes: MiB, content_type: 'image/png', checksum_sha256: sha256(bytes) },
    );
    const fetched = await fetchBytes(download.body.download_url);
    assert.equal(fetched.status, 200);
    assert.ok(fetched.body.equals(bytes), 'byte-identical');
    assert.equal(fetched.headers.get('content-type'), 'image/png');
    assert.equal(
      fetched.headers.get('content-disposition'),
      `attachment; filename="R_sum__ 2026_.png"; filename*=UTF-8''R%C3%A9sum%C3%A9_%202026_.png`,
    );
  });

  it('S3 refuses a tampered URL, a wrong content type, a wrong length and a body that does not match the checksum', async () => {
    const bytes = crypto.randomBytes(32 * 1024);
    const declared = await declare('a', {
      filename: 'x.png',
      content_type: 'image/png',
      size_bytes: bytes.length,
      checksum_sha256: sha256(bytes),
    });
    const { url, headers } = declared.body.upload;

    const badSignature = new URL(url);
    const signature = badSignature.searchParams.get('X-Amz-Signature')!;
    badSignature.searchParams.set('X-Amz-Signature', `${signature.slice(0, -1)}${signature.endsWith('0') ? '1' : '0'}`);
    const otherKey = new URL(url);
    otherKey.pathname = otherKey.pathname.replace(declared.body.file_id, crypto.randomUUID());
    const longer = new URL(url);
    longer.searchParams.set('X-Amz-Expires', '604800');
    for (const [label, tampered] of [
      ['signature', badSignature],
      ['object key', otherKey],
      ['expiry', longer],
    ] as const) {
      const response = await put(tampered.toString(), headers, bytes);
      assert.equal(response.status, 403, `tampered ${label}`);
      assert.equal(await refusal(response), 'SignatureDoesNotMatch', `tampered ${label}`);
    }

    const wrongType = await put(url, { ...headers, 'Content-Type': 'text/html' }, bytes);
    assert.equal(wrongType.status, 403, 'wrong content type');
    assert.equal(await refusal(wrongType), 'SignatureDoesNotMatch');
    const noChecksum = await put(url, { 'Content-Type': 'image/png' }, bytes);
    assert.equal(noChecksum.status, 403, 'checksum header left out');
    const shorter = await put(url, headers, bytes.subarray(1));
    assert.equal(shorter.status, 403, 'another length');
    const tamperedBody = Buffer.from(bytes);
    tamperedBody[0] = tamperedBody[0]! ^ 0xff;
    const badDigest = await put(url, headers, tamperedBody);
    assert.equal(badDigest.status, 400, 'same length, other bytes');
    assert.equal(await refusal(badDigest), 'BadDigest');
    assert.equal(await objectExists(declared.body.file_id), false, 'nothing was stored');

    assert.equal((await put(url, headers, bytes)).status, 200, 'the untouched URL still works');
  });

  it('S3 refuses expired upload and download URLs (signed for one second by the domain functions)', async () => {
    const { fileId, bytes } = await uploadSmall('a');
    const db = getCassandra();
    const shortDownload = await downloadFile(db, fileId, users.b.id, 1);
    const shortUpload = (await createUpload(
      db,
      {
        conversationId,
        uploaderId: users.a.id,
        filename: 'late.png',
        contentType: 'image/png',
        sizeBytes: bytes.length,
      },
      { expiresInSeconds: 1 },
    )) as SingleUpload;
    await new Promise((resolve) => setTimeout(resolve, 2100));

    const download = await fetch(shortDownload.download_url);
    assert.equal(download.status, 403);
    assert.match(await download.text(), /Request has expired/);
    const upload = await put(shortUpload.upload.url, shortUpload.upload.headers, bytes);
    assert.equal(upload.status, 403);
    assert.match(await upload.text(), /Request has expired/);
    assert.equal(await objectExists(shortUpload.file_id), false);
  });

  it('deletes the object and answers 422 when what S3 holds does not match the declaration', async () => {
    const declared = await declare('a', { filename: 'x.png', content_type: 'image/png', size_bytes: 1000 });
    // What a store that does not enforce signed lengths would let through: another size under the key.
    await getS3().send(
      new PutObjectCommand({
        Bucket: config.s3.bucket,
        Key: `files/${declared.body.file_id}`,
        Body: crypto.randomBytes(999),
        ContentType: 'image/png',
      }),
    );
    const completed = await complete('a', declared.body.file_id);
    assert.equal(completed.status, 422, JSON.stringify(completed.body));
    assert.equal(completed.body.code, 'upload_mismatch');
    assert.equal(await objectExists(declared.body.file_id), false, 'deleted');
    const view = await request<FileView>('GET', `/v1/files/${declared.body.file_id}`, as('a'));
    assert.equal(view.body.status, 'REJECTED');
    assert.equal((await complete('a', declared.body.file_id)).status, 422, 'stays rejected');
  });
});

describe('files: multipart', { timeout: 180_000 }, () => {
  async function startMultipart(bytes: Buffer, checksum: string) {
    const upload = await createUpload(
      getCassandra(),
      {
        conversationId,
        uploaderId: users.a.id,
        filename: 'clip.mp4',
        contentType: 'video/mp4',
        sizeBytes: bytes.length,
        checksumSha256: checksum,
      },
      { singlePutMaxBytes: 0, partSizeBytes: 5 * MiB },
    );
    assert.ok('upload_id' in upload, 'a multipart upload');
    return upload;
  }

  async function putParts(upload: MultipartUpload, bytes: Buffer) {
    return Promise.all(
      upload.parts.map(async (part) => {
        const start = (part.part_number - 1) * upload.part_size;
        const response = await put(part.url, {}, bytes.subarray(start, start + part.size_bytes));
        assert.equal(response.status, 200, await response.text());
        return { part_number: part.part_number, etag: response.headers.get('etag')! };
      }),
    );
  }

  it('completes a 20 MiB upload in 4 presigned parts and downloads it back byte-identical', async () => {
    const bytes = crypto.randomBytes(20 * MiB);
    const upload = await startMultipart(bytes, sha256(bytes));
    assert.equal(upload.part_size, 5 * MiB);
    assert.deepEqual(
      upload.parts.map((part) => [part.part_number, part.size_bytes]),
      [1, 2, 3, 4].map((n) => [n, 5 * MiB]),
    );
    const wrongLength = await put(upload.parts[0]!.url, {}, bytes.subarray(0, 5 * MiB - 1));
    assert.equal(wrongLength.status, 403, 'a part URL is bound to its length');

    const parts = await putParts(upload, bytes);
    assert.equal((await complete('a', upload.file_id, { parts: parts.slice(0, 3) })).status, 400, 'every part');
    const completed = await complete('a', upload.file_id, { parts });
    assert.equal(completed.status, 200, JSON.stringify(completed.body));
    assert.equal(completed.body.status, 'AVAILABLE');
    assert.equal(completed.body.multipart, true);
    assert.equal(completed.body.size_bytes, 20 * MiB);

    const download = await request<Download>('GET', `/v1/files/${upload.file_id}/download`, as('b'));
    assert.equal(download.status, 200);
    const fetched = await fetchBytes(download.body.download_url);
    assert.equal(fetched.status, 200);
    assert.equal(fetched.body.length, bytes.length);
    assert.equal(sha256(fetched.body), sha256(bytes), 'byte-identical');
  });

  it('answers 422 and deletes the object when the whole-file SHA-256 does not match', async () => {
    const bytes = crypto.randomBytes(6 * MiB);
    const upload = await startMultipart(bytes, sha256(Buffer.from('something else')));
    assert.equal(upload.parts.length, 2);
    const completed = await complete('a', upload.file_id, { parts: await putParts(upload, bytes) });
    assert.equal(completed.status, 422, JSON.stringify(completed.body));
    assert.equal(await objectExists(upload.file_id), false);
  });
});

describe('files: limits and membership', { timeout: 60_000 }, () => {
  it('answers 413 to a 3 GiB declaration without handing out any upload', async () => {
    const response = await declare('a', {
      filename: 'huge.mov',
      content_type: 'video/quicktime',
      size_bytes: 3 * 1024 * MiB,
    });
    assert.equal(response.status, 413);
    assert.equal(response.body.code, 'file_too_large');
    assert.deepEqual(Object.keys(response.body).sort(), ['code', 'error'], 'no file id, no URL');
    assert.equal(
      (await declare('a', { filename: 'x', content_type: 'video/mp4', size_bytes: 2 ** 31 + 1 })).status,
      413,
    );
  });

  it('answers 415 outside the allowlist and 400 to a malformed declaration', async () => {
    const html = await declare('a', { filename: 'page.html', content_type: 'text/html', size_bytes: 10 });
    assert.equal(html.status, 415);
    assert.equal(html.body.code, 'content_type_not_allowed');
    for (const body of [
      { filename: 'a.png', content_type: 'image/png', size_bytes: 0 },
      { filename: 'a.png', content_type: 'image/png', size_bytes: '10' },
      { filename: 'a.png', content_type: 'png', size_bytes: 10 },
      { filename: 'a.png', content_type: 'image/png', size_bytes: 10, checksum_sha256: 'abc' },
      { filename: 'a.png', content_type: 'image/png', size_bytes: 10, extra: 1 },
      { content_type: 'image/png', size_bytes: 10 },
    ])
      assert.equal((await declare('a', body)).status, 400, JSON.stringify(body));
  });

  it('gives a non-member 403 on every file operation', async () => {
    const { fileId } = await uploadSmall('a');
    assert.equal(
      (await declare('c', { filename: 'a.png', content_type: 'image/png', size_bytes: 10 })).status,
      403,
      'upload',
    );
    assert.equal((await request('GET', `/v1/files/${fileId}`, as('c'))).status, 403, 'metadata');
    assert.equal((await request('GET', `/v1/files/${fileId}/download`, as('c'))).status, 403, 'download');
    assert.equal((await complete('c', fileId)).status, 403, 'complete');
    assert.equal((await request('GET', `/v1/files/${crypto.randomUUID()}`, as('a'))).status, 404);
    assert.equal((await request('GET', '/v1/files/not-an-id', as('a'))).status, 400);
    assert.equal((await request('GET', `/v1/files/${fileId}`)).status, 401);
  });
});

describe('files: attachments', { timeout: 120_000 }, () => {
  it('shows the recipient a working download URL for a message with an attachment', async () => {
    const { fileId, bytes } = await uploadSmall('a', crypto.randomBytes(200 * 1024), 'holiday.png');
    const sent = await request<{ message_id: string }>('POST', '/v1/messages', {
      body: { conversation_id: conversationId, file_id: fileId, type: 'file' },
      ...as('a'),
    });
    assert.equal(sent.status, 202, JSON.stringify(sent.body));

    type WithFile = { message_id: string; file_id: string | null; file?: Download | null };
    let message: WithFile | undefined;
    await eventually(
      'the message in user_b’s history',
      async () => {
        const page = await request<{ messages: WithFile[] }>(
          'GET',
          `/v1/conversations/${conversationId}/messages?limit=100`,
          as('b'),
        );
        message = page.body.messages?.find((m) => m.message_id === sent.body.message_id);
        return message !== undefined;
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    assert.equal(message!.file_id, fileId);
    assert.equal(message!.file?.filename, 'holiday.png');
    assert.equal(message!.file?.size_bytes, bytes.length);
    assert.equal(message!.file?.content_type, 'image/png');
    const fromHistory = await fetchBytes(message!.file!.download_url);
    assert.equal(fromHistory.status, 200);
    assert.ok(fromHistory.body.equals(bytes), 'the recipient downloads the same bytes');

    const single = await request<WithFile>('GET', `/v1/messages/${sent.body.message_id}`, as('b'));
    assert.equal(single.status, 200);
    assert.ok((await fetchBytes(single.body.file!.download_url)).body.equals(bytes));

    const textOnly = await request<{ messages: WithFile[] }>(
      'GET',
      `/v1/conversations/${conversationId}/messages?limit=100`,
      as('a'),
    );
    assert.ok(
      textOnly.body.messages.filter((m) => !m.file_id).every((m) => !('file' in m)),
      'messages without a file are unchanged',
    );
  });

  it('refuses to attach a file that is missing, pending or from another conversation', async () => {
    const send = (fileId: string, conversation = conversationId) =>
      request<{ code: string }>('POST', '/v1/messages', {
        body: { conversation_id: conversation, file_id: fileId },
        ...as('a'),
      });
    assert.equal((await send(crypto.randomUUID())).status, 404);
    assert.equal((await send('not-a-file')).status, 400);
    const pending = await declare('a', { filename: 'p.png', content_type: 'image/png', size_bytes: 10 });
    const notYet = await send(pending.body.file_id);
    assert.equal(notYet.status, 409);
    assert.equal(notYet.body.code, 'file_not_available');
    const { fileId } = await uploadSmall('a');
    const elsewhere = await send(fileId, otherConversationId);
    assert.equal(elsewhere.status, 403);
    assert.equal(elsewhere.body.code, 'file_not_in_conversation');
  });
});
