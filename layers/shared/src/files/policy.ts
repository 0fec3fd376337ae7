import { DomainError } from '../errors/domain.js';

/**
 * The pure rules of file uploads: limits, upload planning (one PUT or multipart), filenames, media types and
 * checksums. No I/O here, so the unit tests cover all of it.
 */

const MiB = 1024 * 1024;

/** The largest file: 2 GiB. Above it POST /v1/files is a 413 before anything is created or uploaded. */
export const MAX_FILE_BYTES = 2 * 1024 * MiB;
/** Up to this size a file is one presigned PUT; above it, a multipart upload. */
export const SINGLE_PUT_MAX_BYTES = 100 * MiB;
/** S3's limits for multipart uploads: parts of at least 5 MiB (but the last), at most 10000 parts. */
export const MIN_PART_BYTES = 5 * MiB;
export const MAX_PARTS = 10_000;
/** S3 keys and most file systems take names of up to 255 bytes. */
export const MAX_FILENAME_BYTES = 255;

export interface PlannedPart {
  part_number: number;
  size_bytes: number;
}

export type UploadPlan = { kind: 'single' } | { kind: 'multipart'; partSize: number; parts: PlannedPart[] };

export interface PlanOptions {
  /** Files up to this size are one PUT (default 100 MiB). */
  singlePutMaxBytes?: number;
  /** The wished part size of a multipart upload; raised to 5 MiB and to what keeps the parts at 10000 at most. */
  partSizeBytes: number;
}

/** The declared size as a number of bytes: 400 unless a positive integer, 413 above 2 GiB. */
export function checkFileSize(size: unknown): number {
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 1) {
    throw new DomainError('invalid', 'size_bytes must be a positive integer (bytes)', 'invalid_field');
  }
  if (size > MAX_FILE_BYTES) {
    throw new DomainError(
      'too_large',
      `a file is at most ${MAX_FILE_BYTES} bytes (2 GiB); this one is ${size}`,
      'file_too_large',
    );
  }
  return size;
}

/** One PUT for small files; otherwise the parts of a multipart upload, each with its exact size. */
export function planUpload(
  sizeBytes: number,
  { singlePutMaxBytes = SINGLE_PUT_MAX_BYTES, partSizeBytes }: PlanOptions,
) {
  const size = checkFileSize(sizeBytes);
  if (size <= singlePutMaxBytes) return { kind: 'single' } satisfies UploadPlan;
  const partSize = Math.max(partSizeBytes, MIN_PART_BYTES, Math.ceil(size / MAX_PARTS));
  const count = Math.ceil(size / partSize);
  const parts = Array.from({ length: count }, (_, index) => ({
    part_number: index + 1,
    size_bytes: index < count - 1 ? partSize : size - partSize * (count - 1),
  }));
  return { kind: 'multipart', partSize, parts } satisfies UploadPlan;
}

const WINDOWS_DEVICE = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$/i;
// Control and format characters (including bidirectional overrides that disguise extensions), separators
// and the characters Windows refuses in names.
const UNSAFE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}<>:"/\\|?*]/gu;

function truncateUtf8(text: string, maxBytes: number): string {
  let out = '';
  for (const char of text) {
    if (Buffer.byteLength(out + char, 'utf8') > maxBytes) break;
    out += char;
  }
  return out;
}

/**
 * A filename safe to store, show and offer in Content-Disposition: the last path segment only, without
 * control, format or reserved characters, no leading or trailing dots or spaces, no Windows device name,
 * at most 255 UTF-8 bytes (keeping the extension); "file" when nothing is left.
 */
export function sanitizeFilename(raw: string): string {
  const base = raw.normalize('NFC').split(/[/\\]/).pop() ?? '';
  let name = base
    .replace(/\s+/g, ' ')
    .replace(UNSAFE, '_')
    .replace(/^[\s.]+|[\s.]+$/g, '');
  if (WINDOWS_DEVICE.test(name)) name = `_${name}`;
  if (Buffer.byteLength(name, 'utf8') > MAX_FILENAME_BYTES) {
    const dot = name.lastIndexOf('.');
    const extension = dot > 0 && name.length - dot <= 16 ? name.slice(dot) : '';
    const stem = name.slice(0, name.length - extension.length);
    name = truncateUtf8(stem, MAX_FILENAME_BYTES - Buffer.byteLength(extension, 'utf8')).trimEnd() + extension;
  }
  return name === '' || /^_+$/.test(name) ? 'file' : name;
}

/** RFC 6266 / 8187: an ASCII fallback for old clients and the exact UTF-8 name for the others. */
export function contentDisposition(filename: string): string {
  const fallback = filename.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  const encoded = encodeURIComponent(filename).replace(
    /['()*]/g,
    (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}

const TOKEN = "[a-z0-9!#$&^_.+'-]+";
const MEDIA_TYPE = new RegExp(
  `^(${TOKEN})/(${TOKEN})((?:\\s*;\\s*${TOKEN}=(?:${TOKEN}|"[^"\\\\\\r\\n]*"))*)\\s*$`,
  'i',
);

export interface MediaType {
  /** `type/subtype`, lower case: what the allowlist is checked against. */
  essence: string;
  /** The exact Content-Type the upload must send (it is signed into the URL). */
  value: string;
}

/** Parses a Content-Type such as `image/png` or `text/plain; charset=utf-8`; 400 when it is not one. */
export function parseContentType(raw: string): MediaType {
  const match = raw.length <= 255 ? MEDIA_TYPE.exec(raw.trim()) : null;
  if (!match) throw new DomainError('invalid', 'content_type must be a media type such as image/png', 'invalid_field');
  const essence = `${match[1]}/${match[2]}`.toLowerCase();
  const parameters = (match[3] ?? '')
    .split(';')
    .map((parameter) => parameter.trim())
    .filter(Boolean)
    .map((parameter) => {
      const at = parameter.indexOf('=');
      return `${parameter.slice(0, at).toLowerCase()}=${parameter.slice(at + 1)}`;
    });
  return { essence, value: [essence, ...parameters].join('; ') };
}

/** Whether the allowlist (exact types, `type/*`, or `*`) admits this media type. */
export function isAllowedContentType(essence: string, allowlist: readonly string[]): boolean {
  return allowlist.some((entry) => {
    const allowed = entry.trim().toLowerCase();
    if (allowed === '*' || allowed === '*/*') return true;
    if (allowed.endsWith('/*')) return essence.startsWith(allowed.slice(0, -1));
    return essence === allowed;
  });
}

/** 415 unless the allowlist admits the media type. */
export function requireAllowedContentType(raw: string, allowlist: readonly string[]): MediaType {
  const mediaType = parseContentType(raw);
  if (!isAllowedContentType(mediaType.essence, allowlist)) {
    throw new DomainError(
      'unsupported_type',
      `files of type ${mediaType.essence} are not accepted`,
      'content_type_not_allowed',
    );
  }
  return mediaType;
}

/** A SHA-256 given as 64 hex digits or as base64 (S3's form), as lower-case hex; 400 otherwise. */
export function normalizeChecksum(raw: string): string {
  const text = raw.trim();
  if (/^[0-9a-f]{64}$/i.test(text)) return text.toLowerCase();
  if (/^[A-Za-z0-9+/]{43}=$/.test(text)) return Buffer.from(text, 'base64').toString('hex');
  throw new DomainError(
    'invalid',
    'checksum_sha256 is a SHA-256 digest: 64 hex digits or 44 base64 characters',
    'invalid_field',
  );
}

/** The base64 form S3 uses in x-amz-checksum-sha256. */
export const checksumBase64 = (hex: string): string => Buffer.from(hex, 'hex').toString('base64');

export interface CompletedPart {
  PartNumber: number;
  ETag: string;
}

/** The `parts` of a multipart complete: exactly parts 1..partCount, in order, each with its ETag. */
export function checkCompletedParts(parts: unknown, partCount: number): CompletedPart[] {
  const invalid = () =>
    new DomainError(
      'invalid',
      `parts must list the ${partCount} parts in order: [{"part_number": 1, "etag": "..."}, …]`,
      'invalid_parts',
    );
  if (!Array.isArray(parts) || parts.length !== partCount) throw invalid();
  return parts.map((part: unknown, index) => {
    const { part_number: number, etag } = (part ?? {}) as { part_number?: unknown; etag?: unknown };
    if (number !== index + 1 || typeof etag !== 'string' || !/^"?[\x21\x23-\x7e]{1,128}"?$/.test(etag)) {
      throw invalid();
    }
    return { PartNumber: index + 1, ETag: etag.startsWith('"') ? etag : `"${etag}"` };
  });
}
