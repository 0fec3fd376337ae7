import { getCassandra } from '@chat4all/shared/clients/cassandra.js';
import { completeUpload } from '@chat4all/shared/files/service.js';
import { apiHandler, type HttpEvent } from '@chat4all/shared/middleware/api-handler.js';
import { badRequest, HttpError } from '@chat4all/shared/http/errors.js';
import { json } from '@chat4all/shared/http/response.js';
import { pathParam, rejectUnknownFields, requireObject } from '@chat4all/shared/http/validation.js';
import { UUID_PATTERN } from '@chat4all/shared/ids.js';
import { authenticate, type AuthenticatedEvent } from '@chat4all/shared/middleware/authenticate.js';

/** The body is optional (a single PUT has nothing to add); when there is one, it is JSON (415, 400 otherwise). */
function optionalJsonBody(event: HttpEvent): Record<string, unknown> {
  const raw = event.isBase64Encoded && event.body ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  if (!raw || raw.trim() === '') return {};
  if (!/^application\/(.+\+)?json($|;)/i.test(event.headers?.['content-type'] ?? '')) {
    throw new HttpError(415, 'unsupported_media_type', 'send the body as application/json');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw badRequest('the body is not valid JSON', 'invalid_json');
  }
  return requireObject(parsed);
}

/**
 * POST /v1/files/{id}/complete [{parts:[{part_number, etag}]} for multipart] → 200 the AVAILABLE file;
 * 422 (and the object deleted) when what was uploaded does not match the declaration.
 */
export const handler = apiHandler<AuthenticatedEvent>(
  async (event) => {
    const fileId = pathParam(event.pathParameters, 'id', UUID_PATTERN).toLowerCase();
    const body = optionalJsonBody(event);
    rejectUnknownFields(body, ['parts']);
    return json(200, await completeUpload(getCassandra(), fileId, event.auth.userId, body.parts));
  },
  { use: [authenticate()] },
);
