import type { CassandraClient } from '../clients/cassandra.js';

export type FileStatus = 'PENDING' | 'AVAILABLE' | 'REJECTED';

/** A row of `files` (infra/cassandra/migrations/0003_files.cql). */
export interface FileRecord {
  file_id: string;
  conversation_id: string;
  uploader_id: string;
  filename: string;
  content_type: string;
  size_bytes: number;
  checksum_sha256: string | null;
  object_key: string;
  status: FileStatus;
  upload_id: string | null;
  part_size: number | null;
  part_count: number | null;
  rejected_reason: string | null;
  created_at: string;
  completed_at: string | null;
}

const COLUMNS =
  'file_id, conversation_id, uploader_id, filename, content_type, size_bytes, checksum_sha256, object_key, status, upload_id, part_size, part_count, rejected_reason, created_at, completed_at';

type Row = { get(name: string): unknown };

const long = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));
const iso = (value: unknown): string | null => (value instanceof Date ? value.toISOString() : null);

function toRecord(row: Row): FileRecord {
  return {
    file_id: row.get('file_id') as string,
    conversation_id: row.get('conversation_id') as string,
    uploader_id: String(row.get('uploader_id')),
    filename: row.get('filename') as string,
    content_type: row.get('content_type') as string,
    size_bytes: long(row.get('size_bytes'))!,
    checksum_sha256: (row.get('checksum_sha256') as string | null) ?? null,
    object_key: row.get('object_key') as string,
    status: row.get('status') as FileStatus,
    upload_id: (row.get('upload_id') as string | null) ?? null,
    part_size: long(row.get('part_size')),
    part_count: (row.get('part_count') as number | null) ?? null,
    rejected_reason: (row.get('rejected_reason') as string | null) ?? null,
    created_at: iso(row.get('created_at'))!,
    completed_at: iso(row.get('completed_at')),
  };
}

export async function insertFile(db: CassandraClient, file: FileRecord): Promise<void> {
  await db.execute(`INSERT INTO files (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, [
    file.file_id,
    file.conversation_id,
    file.uploader_id,
    file.filename,
    file.content_type,
    file.size_bytes,
    file.checksum_sha256,
    file.object_key,
    file.status,
    file.upload_id,
    file.part_size,
    file.part_count,
    file.rejected_reason,
    new Date(file.created_at),
    null,
  ]);
}

export async function findFile(db: CassandraClient, fileId: string): Promise<FileRecord | undefined> {
  const row = (await db.execute(`SELECT ${COLUMNS} FROM files WHERE file_id = ?`, [fileId])).first();
  return row && row.get('conversation_id') ? toRecord(row) : undefined;
}

/** Several files in one query (the attachments of a history page). */
export async function findFiles(db: CassandraClient, fileIds: string[]): Promise<Map<string, FileRecord>> {
  if (fileIds.length === 0) return new Map();
  const result = await db.execute(`SELECT ${COLUMNS} FROM files WHERE file_id IN ?`, [fileIds]);
  return new Map(
    result.rows.filter((row) => row.get('conversation_id')).map((row) => [row.get('file_id'), toRecord(row)]),
  );
}

/**
 * PENDING → AVAILABLE or REJECTED, once (a lightweight transaction): true when this call made the change, so
 * that a repeated or concurrent complete counts the upload once.
 */
export async function settleFile(
  db: CassandraClient,
  fileId: string,
  outcome: { status: 'AVAILABLE' } | { status: 'REJECTED'; reason: string },
  at = new Date(),
): Promise<boolean> {
  const result = await db.execute(
    "UPDATE files SET status = ?, rejected_reason = ?, completed_at = ? WHERE file_id = ? IF status = 'PENDING'",
    [outcome.status, outcome.status === 'REJECTED' ? outcome.reason : null, at, fileId],
  );
  return result.wasApplied();
}
