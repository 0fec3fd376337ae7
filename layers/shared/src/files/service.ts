import type { CassandraClient } from '../clients/cassandra.js';
import { config } from '../config.js';
import { requireMembership } from '../conversations/service.js';
import { DomainError } from '../errors/domain.js';
import { UUID_PATTERN, uuidv7 } from '../ids.js';
import { fileUploaded } from './events.js';
import {
  checkCompletedParts,
  checkFileSize,
  normalizeChecksum,
  planUpload,
  requireAllowedContentType,
  sanitizeFilename,
  SINGLE_PUT_MAX_BYTES,
} from './policy.js';
import { findFile, findFiles, insertFile, settleFile, type FileRecord } from './repository.js';
import {
  abortMultipart,
  completeMultipart,
  deleteObject,
  hashObject,
  headObject,
  objectKeyFor,
  presignDownload,
  presignParts,
  presignPut,
  startMultipart,
} from './storage.js';

export interface NewUpload {
  conversationId: string;
  uploaderId: string;
  filename: string;
  contentType: string;
  /** As the client sent it: checked here (400, 413). */
  sizeBytes: unknown;
  checksumSha256?: string | undefined;
}

/** Deployment settings by default; tests and tools may pass their own (the HTTP API never does). */
export interface UploadOptions {
  singlePutMaxBytes?: number;
  partSizeBytes?: number;
  expiresInSeconds?: number;
  allowedContentTypes?: readonly string[];
}

export interface SingleUpload {
  file_id: string;
  upload: { method: 'PUT'; url: string; headers: Record<string, string>; expires_at: string };
}

export interface MultipartUpload {
  file_id: string;
  upload_id: string;
  part_size: number;
  parts: { part_number: number; size_bytes: number; url: string }[];
  expires_at: string;
}

/** A file as the API shows it: its row without the storage internals, and whether it was uploaded in parts. */
export type FileView = Omit<FileRecord, 'object_key' | 'upload_id' | 'part_size' | 'part_count'> & {
  multipart: boolean;
};

export interface Download {
  file_id: string;
  download_url: string;
  expires_at: string;
  filename: string;
  size_bytes: number;
  content_type: string;
  checksum_sha256: string | null;
}

const view = (file: FileRecord): FileView => ({
  file_id: file.file_id,
  conversation_id: file.conversation_id,
  uploader_id: file.uploader_id,
  filename: file.filename,
  content_type: file.content_type,
  size_bytes: file.size_bytes,
  checksum_sha256: file.checksum_sha256,
  status: file.status,
  multipart: file.upload_id !== null,
  created_at: file.created_at,
  completed_at: file.completed_at,
  rejected_reason: file.rejected_reason,
});

/**
 * POST /v1/files: checks the declaration (400, 413 above 2 GiB, 415 outside the allowlist) before anything
 * else, then membership (403), then records the PENDING file and hands out presigned URLs: one PUT up to
 * 100 MiB, a multipart upload above.
 */
export async function createUpload(
  db: CassandraClient,
  input: NewUpload,
  options: UploadOptions = {},
): Promise<SingleUpload | MultipartUpload> {
  const sizeBytes = checkFileSize(input.sizeBytes);
  const plan = planUpload(sizeBytes, {
    singlePutMaxBytes: options.singlePutMaxBytes ?? SINGLE_PUT_MAX_BYTES,
    partSizeBytes: options.partSizeBytes ?? config.files.partSizeBytes,
  });
  const mediaType = requireAllowedContentType(
    input.contentType,
    options.allowedContentTypes ?? config.files.allowedContentTypes,
  );
  if (input.filename.length > 1024)
    throw new DomainError('invalid', 'filename is at most 1024 characters', 'invalid_field');
  const filename = sanitizeFilename(input.filename);
  const checksum = input.checksumSha256 === undefined ? null : normalizeChecksum(input.checksumSha256);
  await requireMembership(db, input.conversationId, input.uploaderId);

  const fileId = uuidv7();
  const objectKey = objectKeyFor(fileId);
  const expiresIn = options.expiresInSeconds ?? config.files.uploadUrlExpiresSeconds;
  const record: FileRecord = {
    file_id: fileId,
    conversation_id: input.conversationId,
    uploader_id: input.uploaderId,
    filename,
    content_type: mediaType.value,
    size_bytes: sizeBytes,
    checksum_sha256: checksum,
    object_key: objectKey,
    status: 'PENDING',
    upload_id: null,
    part_size: null,
    part_count: null,
    rejected_reason: null,
    created_at: new Date().toISOString(),
    completed_at: null,
  };

  if (plan.kind === 'single') {
    await insertFile(db, record);
    const put = await presignPut(
      { objectKey, contentType: mediaType.value, sizeBytes, checksumSha256: checksum },
      expiresIn,
    );
    return {
      file_id: fileId,
      upload: { method: 'PUT', url: put.url, headers: put.headers, expires_at: put.expires_at },
    };
  }

  const uploadId = await startMultipart(objectKey, mediaType.value);
  await insertFile(db, { ...record, upload_id: uploadId, part_size: plan.partSize, part_count: plan.parts.length });
  const parts = await presignParts(objectKey, uploadId, plan.parts, expiresIn);
  return {
    file_id: fileId,
    upload_id: uploadId,
    part_size: plan.partSize,
    parts: parts.map(({ part_number, size_bytes, url }) => ({ part_number, size_bytes, url })),
    expires_at: parts[0]!.expires_at,
  };
}

/** The file when `userId` may see it (a member of its conversation): 400, 404 or 403 otherwise. */
async function requireVisibleFile(db: CassandraClient, fileId: string, userId: string): Promise<FileRecord> {
  if (!UUID_PATTERN.test(fileId)) throw new DomainError('invalid', 'file_id is not a file id', 'invalid_field');
  const file = await findFile(db, fileId.toLowerCase());
  if (!file) throw new DomainError('not_found', `no file ${fileId}`, 'file_not_found');
  await requireMembership(db, file.conversation_id, userId);
  return file;
}

/** GET /v1/files/{id}: the file's metadata and status, for members of its conversation. */
export async function getFile(db: CassandraClient, fileId: string, userId: string): Promise<FileView> {
  return view(await requireVisibleFile(db, fileId, userId));
}

/** Deletes what was uploaded, marks the file REJECTED and answers 422. */
async function reject(db: CassandraClient, file: FileRecord, reason: string): Promise<never> {
  await deleteObject(file.object_key);
  await settleFile(db, file.file_id, { status: 'REJECTED', reason });
  throw new DomainError(
    'unprocessable',
    `the upload does not match its declaration: ${reason}; it was deleted`,
    'upload_mismatch',
  );
}

/**
 * POST /v1/files/{id}/complete, by the uploader: completes a multipart upload with its parts' ETags, then checks
 * that the object exists with the declared size, type and SHA-256. A match makes the file AVAILABLE (counted
 * once, see fileUploaded); a mismatch deletes the object and answers 422. Repeating it on an AVAILABLE file
 * returns the file.
 */
export async function completeUpload(
  db: CassandraClient,
  fileId: string,
  userId: string,
  parts: unknown,
): Promise<FileView> {
  const file = await requireVisibleFile(db, fileId, userId);
  if (file.uploader_id !== userId)
    throw new DomainError('forbidden', 'only the uploader completes an upload', 'not_the_uploader');
  if (file.status === 'AVAILABLE') return view(file);
  if (file.status === 'REJECTED') {
    throw new DomainError(
      'unprocessable',
      `the upload was rejected: ${file.rejected_reason ?? 'mismatch'}`,
      'upload_mismatch',
    );
  }

  if (file.upload_id !== null) {
    const completed = checkCompletedParts(parts, file.part_count ?? 0);
    if (!(await completeMultipart(file.object_key, file.upload_id, completed))) {
      // A concurrent (or interrupted earlier) complete may have finished it already.
      if (!(await headObject(file.object_key))) {
        await abortMultipart(file.object_key, file.upload_id);
        return reject(db, file, 'S3 refused the parts (missing part or wrong ETag)');
      }
    }
  } else if (parts !== undefined) {
    throw new DomainError('invalid', 'parts belong to multipart uploads only', 'invalid_parts');
  }

  const stored = await headObject(file.object_key);
  if (!stored) throw new DomainError('conflict', 'nothing was uploaded for this file yet', 'upload_not_found');
  if (stored.sizeBytes !== file.size_bytes) {
    return reject(db, file, `${stored.sizeBytes} bytes uploaded, ${file.size_bytes} declared`);
  }
  const essence = (type: string | undefined) => type?.split(';')[0]?.trim().toLowerCase();
  if (essence(stored.contentType) !== essence(file.content_type)) {
    return reject(db, file, `content type ${stored.contentType ?? 'none'} uploaded, ${file.content_type} declared`);
  }
  if (file.checksum_sha256 !== null) {
    const actual = stored.checksumSha256 ?? (await hashObject(file.object_key));
    if (actual !== file.checksum_sha256) return reject(db, file, 'the SHA-256 differs from the declared one');
  }

  const completedAt = new Date();
  if (await settleFile(db, file.file_id, { status: 'AVAILABLE' }, completedAt)) {
    fileUploaded(file);
    return view({ ...file, status: 'AVAILABLE', completed_at: completedAt.toISOString() });
  }
  return view((await findFile(db, file.file_id))!);
}

async function downloadOf(file: FileRecord, expiresInSeconds?: number): Promise<Download> {
  const presigned = await presignDownload(file, expiresInSeconds);
  return {
    file_id: file.file_id,
    download_url: presigned.url,
    expires_at: presigned.expires_at,
    filename: file.filename,
    size_bytes: file.size_bytes,
    content_type: file.content_type,
    checksum_sha256: file.checksum_sha256,
  };
}

/**
 * GET /v1/files/{id}/download: a presigned GET that downloads under the original filename, valid for
 * FILES_DOWNLOAD_URL_EXPIRES_SECONDS (`expiresInSeconds` is for tests and tools, never taken from a request).
 */
export async function downloadFile(
  db: CassandraClient,
  fileId: string,
  userId: string,
  expiresInSeconds?: number,
): Promise<Download> {
  const file = await requireVisibleFile(db, fileId, userId);
  if (file.status !== 'AVAILABLE')
    throw new DomainError('conflict', `the file is ${file.status}, not AVAILABLE`, 'file_not_available');
  return downloadOf(file, expiresInSeconds);
}

/**
 * For POST /v1/messages with a file_id (the sender's membership is already checked): the file must exist
 * (404), belong to this conversation (403) and be AVAILABLE (409).
 */
export async function requireAttachableFile(
  db: CassandraClient,
  fileId: string,
  conversationId: string,
): Promise<FileRecord> {
  if (!UUID_PATTERN.test(fileId)) throw new DomainError('invalid', 'file_id is not a file id', 'invalid_field');
  const file = await findFile(db, fileId.toLowerCase());
  if (!file) throw new DomainError('not_found', `no file ${fileId}`, 'file_not_found');
  if (file.conversation_id !== conversationId) {
    throw new DomainError('forbidden', 'the file belongs to another conversation', 'file_not_in_conversation');
  }
  if (file.status !== 'AVAILABLE')
    throw new DomainError('conflict', `the file is ${file.status}, not AVAILABLE`, 'file_not_available');
  return file;
}

export type WithFile<T> = T & { file?: Download | null };

/**
 * Messages as shown to a member of their conversation: each one with a file_id gains `file` (its metadata and a
 * fresh download URL, or null when the file is not available); the others are unchanged. One query per page.
 */
export async function withFiles<T extends { file_id: string | null; conversation_id: string }>(
  db: CassandraClient,
  messages: T[],
): Promise<WithFile<T>[]> {
  const ids = [...new Set(messages.flatMap((message) => (message.file_id ? [message.file_id.toLowerCase()] : [])))];
  if (ids.length === 0) return messages;
  const files = await findFiles(
    db,
    ids.filter((id) => UUID_PATTERN.test(id)),
  );
  const downloads = new Map<string, Download>();
  await Promise.all(
    [...files.values()]
      .filter((file) => file.status === 'AVAILABLE')
      .map(async (file) => downloads.set(file.file_id, await downloadOf(file))),
  );
  return messages.map((message) => {
    if (!message.file_id) return message;
    const file = files.get(message.file_id.toLowerCase());
    const download = file && file.conversation_id === message.conversation_id ? downloads.get(file.file_id) : undefined;
    return { ...message, file: download ?? null };
  });
}
