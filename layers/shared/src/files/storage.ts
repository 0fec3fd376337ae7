import crypto from 'node:crypto';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { awsCredentials, getS3 } from '../clients/s3.js';
import { config } from '../config.js';
import { checksumBase64, contentDisposition, type CompletedPart, type PlannedPart } from './policy.js';

/**
 * S3 for files: presigned URLs for the bytes (which never pass through a function) and the few calls the
 * functions make themselves (multipart start/complete/abort, HeadObject, delete, hashing a multipart object).
 */

let presigner: S3Client | undefined;

/**
 * The client that signs URLs. It never sends a request, so it is not a second connection pool; it differs from
 * getS3() in two ways: it signs for the endpoint clients reach (FILES_PUBLIC_S3_ENDPOINT), and it adds no SDK
 * "flexible checksum" (by default the SDK would sign a CRC32 of an empty body into every PUT URL), so a URL is
 * bound to exactly what the uploader declared. Its credentials come from the default chain (awsCredentials): on
 * Lambda the role's temporary pair, whose session token every URL must carry (X-Amz-Security-Token) or S3 refuses it.
 */
function getPresigner(): S3Client {
  const credentials = awsCredentials();
  presigner ??= new S3Client({
    region: config.s3.region,
    endpoint: config.files.publicEndpoint,
    forcePathStyle: config.s3.forcePathStyle,
    ...(credentials ? { credentials } : {}),
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  return presigner;
}

export const objectKeyFor = (fileId: string): string => `files/${fileId}`;

export interface Presigned {
  url: string;
  expires_at: string;
}

/** Signs with the presigner at `now`, valid for `expiresInSeconds`; returns the URL and when it expires. */
async function presign(
  expiresInSeconds: number,
  sign: (client: S3Client, options: { expiresIn: number; signingDate: Date }) => Promise<string>,
): Promise<Presigned> {
  const signingDate = new Date();
  const url = await sign(getPresigner(), { expiresIn: expiresInSeconds, signingDate });
  return { url, expires_at: new Date(signingDate.getTime() + expiresInSeconds * 1000).toISOString() };
}

export interface SinglePutTarget {
  objectKey: string;
  contentType: string;
  sizeBytes: number;
  checksumSha256: string | null;
}

/**
 * A PUT URL bound (signed) to the content type, the exact length and, when declared, the SHA-256 — S3 refuses
 * any other request with 403, and a body that does not match the checksum with 400 BadDigest. Returns the
 * headers the uploader must send as they are.
 */
export async function presignPut(
  target: SinglePutTarget,
  expiresInSeconds = config.files.uploadUrlExpiresSeconds,
): Promise<Presigned & { headers: Record<string, string> }> {
  const checksum = target.checksumSha256 ? checksumBase64(target.checksumSha256) : undefined;
  const command = new PutObjectCommand({
    Bucket: config.s3.bucket,
    Key: target.objectKey,
    ContentType: target.contentType,
    ContentLength: target.sizeBytes,
    ...(checksum ? { ChecksumSHA256: checksum } : {}),
  });
  const presigned = await presign(expiresInSeconds, (client, options) =>
    getSignedUrl(client, command, {
      ...options,
      // Content-Length and Host are always signed; Content-Type must be named, and the checksum must stay a
      // header (hoisted into the query string, S3 would not require the uploader to send it).
      signableHeaders: new Set(['content-type']),
      unhoistableHeaders: new Set(['x-amz-checksum-sha256']),
    }),
  );
  // Content-Length is signed too, but HTTP clients set it from the body (browsers refuse to set it by hand).
  const headers: Record<string, string> = { 'Content-Type': target.contentType };
  if (checksum) headers['x-amz-checksum-sha256'] = checksum;
  return { ...presigned, headers };
}

export async function startMultipart(objectKey: string, contentType: string): Promise<string> {
  const result = await getS3().send(
    new CreateMultipartUploadCommand({ Bucket: config.s3.bucket, Key: objectKey, ContentType: contentType }),
  );
  if (!result.UploadId) throw new Error('S3 returned no UploadId');
  return result.UploadId;
}

/** One UploadPart URL per part, each bound to that part's exact length. */
export async function presignParts(
  objectKey: string,
  uploadId: string,
  parts: PlannedPart[],
  expiresInSeconds = config.files.uploadUrlExpiresSeconds,
): Promise<{ part_number: number; size_bytes: number; url: string; expires_at: string }[]> {
  return Promise.all(
    parts.map(async (part) => ({
      ...part,
      ...(await presign(expiresInSeconds, (client, options) =>
        getSignedUrl(
          client,
          new UploadPartCommand({
            Bucket: config.s3.bucket,
            Key: objectKey,
            UploadId: uploadId,
            PartNumber: part.part_number,
            ContentLength: part.size_bytes,
          }),
          options,
        ),
      )),
    })),
  );
}

/** Completes a multipart upload; false when S3 refuses the parts (wrong ETags, a part missing or too small). */
export async function completeMultipart(objectKey: string, uploadId: string, parts: CompletedPart[]): Promise<boolean> {
  try {
    await getS3().send(
      new CompleteMultipartUploadCommand({
        Bucket: config.s3.bucket,
        Key: objectKey,
        UploadId: uploadId,
        MultipartUpload: { Parts: parts },
      }),
    );
    return true;
  } catch (error) {
    const name = (error as Error).name;
    if (['InvalidPart', 'InvalidPartOrder', 'EntityTooSmall', 'NoSuchUpload'].includes(name)) return false;
    throw error;
  }
}

export async function abortMultipart(objectKey: string, uploadId: string): Promise<void> {
  await getS3()
    .send(new AbortMultipartUploadCommand({ Bucket: config.s3.bucket, Key: objectKey, UploadId: uploadId }))
    .catch((error: Error) => {
      if (error.name !== 'NoSuchUpload') throw error;
    });
}

export interface StoredObject {
  sizeBytes: number;
  contentType: string | undefined;
  /** The SHA-256 S3 verified at upload time (hex), when the upload carried one. */
  checksumSha256: string | undefined;
}

/** The object's size, type and stored SHA-256, or undefined when nothing was uploaded (yet). */
export async function headObject(objectKey: string): Promise<StoredObject | undefined> {
  try {
    const head = await getS3().send(
      new HeadObjectCommand({ Bucket: config.s3.bucket, Key: objectKey, ChecksumMode: 'ENABLED' }),
    );
    return {
      sizeBytes: head.ContentLength ?? 0,
      contentType: head.ContentType,
      // A multipart object's SHA-256 is a checksum of part checksums ("…-N"), not of the file.
      checksumSha256:
        head.ChecksumSHA256 && !head.ChecksumSHA256.includes('-')
          ? Buffer.from(head.ChecksumSHA256, 'base64').toString('hex')
          : undefined,
    };
  } catch (error) {
    if ((error as Error).name === 'NotFound' || (error as Error).name === 'NoSuchKey') return undefined;
    throw error;
  }
}

/** Reads the object through SHA-256 (multipart uploads, whose whole-file SHA-256 S3 does not keep). */
export async function hashObject(objectKey: string): Promise<string> {
  const result = await getS3().send(new GetObjectCommand({ Bucket: config.s3.bucket, Key: objectKey }));
  const hash = crypto.createHash('sha256');
  for await (const chunk of result.Body as AsyncIterable<Uint8Array>) hash.update(chunk);
  return hash.digest('hex');
}

export async function deleteObject(objectKey: string): Promise<void> {
  await getS3().send(new DeleteObjectCommand({ Bucket: config.s3.bucket, Key: objectKey }));
}

/** A GET URL that downloads under the original filename, with the stored content type. */
export async function presignDownload(
  file: { object_key: string; filename: string; content_type: string },
  expiresInSeconds = config.files.downloadUrlExpiresSeconds,
): Promise<Presigned> {
  return presign(expiresInSeconds, (client, options) =>
    getSignedUrl(
      client,
      new GetObjectCommand({
        Bucket: config.s3.bucket,
        Key: file.object_key,
        ResponseContentDisposition: contentDisposition(file.filename),
        ResponseContentType: file.content_type,
      }),
      options,
    ),
  );
}
