import { getCassandra } from '@chat4all/shared/clients/cassandra.js';
import { CONVERSATION_ID } from '@chat4all/shared/conversations/service.js';
import { createUpload } from '@chat4all/shared/files/service.js';
import { apiHandler } from '@chat4all/shared/middleware/api-handler.js';
import { json } from '@chat4all/shared/http/response.js';
import {
  optionalString,
  rejectUnknownFields,
  requireMatch,
  requireObject,
  requireString,
} from '@chat4all/shared/http/validation.js';
import { authenticate, type AuthenticatedEvent } from '@chat4all/shared/middleware/authenticate.js';

const FIELDS = ['conversation_id', 'filename', 'content_type', 'size_bytes', 'checksum_sha256'] as const;

/**
 * POST /v1/files {conversation_id, filename, content_type, size_bytes, checksum_sha256?} → 201 with a presigned
 * PUT (up to 100 MiB) or presigned multipart parts; 413 above 2 GiB, 415 outside the allowlist, 403 for non-members.
 */
export const handler = apiHandler<AuthenticatedEvent>(
  async (event) => {
    const body = requireObject(event.body as unknown);
    rejectUnknownFields(body, FIELDS);
    const conversationId = requireMatch(
      requireString(body, 'conversation_id'),
      CONVERSATION_ID,
      'conversation_id',
      'is 1-128 of A-Z a-z 0-9 _ : . + @ -',
    );
    const upload = await createUpload(getCassandra(), {
      conversationId,
      uploaderId: event.auth.userId,
      filename: requireString(body, 'filename'),
      contentType: requireString(body, 'content_type'),
      sizeBytes: body.size_bytes,
      checksumSha256: optionalString(body, 'checksum_sha256'),
    });
    return json(201, upload, { Location: `/v1/files/${upload.file_id}` });
  },
  { jsonBody: true, use: [authenticate()] },
);
