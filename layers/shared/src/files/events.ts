import { logger } from '../logger.js';
import { counter } from '../metrics/registry.js';
import type { FileRecord } from './repository.js';

/**
 * Called exactly once per file that became AVAILABLE (a repeated or concurrent complete does not
 * call it again): counts `files_uploaded_total` and writes the log line.
 */
export function fileUploaded(file: FileRecord): void {
  counter('files_uploaded_total', 'Files whose upload completed and was verified').inc();
  logger.info(
    {
      event: 'file_uploaded',
      file_id: file.file_id,
      conversation_id: file.conversation_id,
      content_type: file.content_type,
      size_bytes: file.size_bytes,
      multipart: file.upload_id !== null,
    },
    'file uploaded',
  );
}
