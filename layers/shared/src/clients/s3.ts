import { S3Client } from '@aws-sdk/client-s3';
import { config } from '../config.js';

let s3: S3Client | undefined;

/**
 * Credentials for every AWS client of the functions. Wherever the environment provides credentials — a Lambda
 * (the role's temporary key pair with its AWS_SESSION_TOKEN), LocalStack's executor, a profile, a container — the
 * SDK's default credential chain finds them (undefined here means: let the SDK resolve them, session token
 * included, and refresh them when they expire). Only a process with none at all (serverless-offline, a test) gets
 * LocalStack's development pair, which LocalStack accepts for any value.
 */
export function awsCredentials(
  env: NodeJS.ProcessEnv = process.env,
): { accessKeyId: string; secretAccessKey: string } | undefined {
  const provided = [
    'AWS_ACCESS_KEY_ID',
    'AWS_PROFILE',
    'AWS_WEB_IDENTITY_TOKEN_FILE',
    'AWS_CONTAINER_CREDENTIALS_FULL_URI',
    'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
  ].some((name) => env[name]);
  return provided ? undefined : { accessKeyId: config.s3.accessKeyId, secretAccessKey: config.s3.secretAccessKey };
}

/** The process-wide S3 client (LocalStack locally, real S3 when S3_ENDPOINT is unset in AWS). */
export function getS3(): S3Client {
  const credentials = awsCredentials();
  s3 ??= new S3Client({
    region: config.s3.region,
    endpoint: config.s3.endpoint,
    forcePathStyle: config.s3.forcePathStyle,
    ...(credentials ? { credentials } : {}),
    maxAttempts: 2,
  });
  return s3;
}
