import { S3Client } from '@aws-sdk/client-s3';
import { config } from '../config.js';

let s3: S3Client | undefined;

/** The process-wide S3 client (LocalStack locally, real S3 when S3_ENDPOINT is unset in AWS). */
export function getS3(): S3Client {
  s3 ??= new S3Client({
    region: config.s3.region,
    endpoint: config.s3.endpoint,
    forcePathStyle: config.s3.forcePathStyle,
    // In a Lambda the role's temporary credentials (with their session token) come from the default
    // chain; the static pair is LocalStack's development one.
    ...(process.env.AWS_SESSION_TOKEN
      ? {}
      : { credentials: { accessKeyId: config.s3.accessKeyId, secretAccessKey: config.s3.secretAccessKey } }),
    maxAttempts: 2,
  });
  return s3;
}
