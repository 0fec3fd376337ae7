import { badRequest } from './errors.js';

/** Opaque paging cursors: base64url JSON, so clients cannot depend on what is inside. */
export function encodeCursor(position: Record<string, string>): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

export function decodeCursor(cursor: string | undefined, field: string): string | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  try {
    const value = (JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Record<string, unknown>)[field];
    if (typeof value === 'string' && value.length > 0 && value.length <= 200) return value;
  } catch {
    /* fall through */
  }
  throw badRequest('cursor is not one this API gave out', 'invalid_cursor');
}
