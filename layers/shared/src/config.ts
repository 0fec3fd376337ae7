import path from 'node:path';

/**
 * Every setting comes from the environment, with defaults that match the local stack
 * (`npm run stack:up`). Nothing secret has a default here except the clearly-local
 * LocalStack credentials, which LocalStack accepts for any value.
 */
const env = (name: string, fallback: string): string => {
  const value = process.env[name];
  return value === undefined || value === '' ? fallback : value;
};

const list = (name: string, fallback: string): string[] =>
  env(name, fallback)
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);

export const config = {
  kafka: {
    brokers: list('KAFKA_BROKERS', '127.0.0.1:9092'),
    clientId: env('KAFKA_CLIENT_ID', 'chat4all'),
  },
  cassandra: {
    contactPoints: list('CASSANDRA_CONTACT_POINTS', '127.0.0.1:9042'),
    localDataCenter: env('CASSANDRA_LOCAL_DC', 'datacenter1'),
    keyspace: env('CASSANDRA_KEYSPACE', 'chat4all'),
  },
  s3: {
    endpoint: env('S3_ENDPOINT', 'http://127.0.0.1:4566'),
    region: env('AWS_REGION', 'us-east-1'),
    bucket: env('S3_BUCKET', 'chat4all-files'),
    forcePathStyle: env('S3_FORCE_PATH_STYLE', 'true') === 'true',
    // LocalStack's development credentials; real deployments take theirs from the role.
    accessKeyId: env('AWS_ACCESS_KEY_ID', 'test'),
    secretAccessKey: env('AWS_SECRET_ACCESS_KEY', 'test'),
  },
  auth: {
    issuer: env('JWT_ISSUER', 'chat4all'),
    audience: env('JWT_AUDIENCE', 'chat4all-api'),
    /**
     * The RSA signing key: PEM text in JWT_PRIVATE_KEY (deploys, from SSM or Secrets Manager; read by auth/keys.ts
     * only, so that it never sits in this object), else this file: locally, the key the provisioning generated
     * (serverless-offline runs with cwd = the repository root).
     */
    privateKeyFile: path.resolve(process.cwd(), env('JWT_PRIVATE_KEY_FILE', '.stack/jwt/private.pem')),
  },
  pushgatewayUrl: env('PUSHGATEWAY_URL', 'http://127.0.0.1:9091'),
  logLevel: env('LOG_LEVEL', 'info'),
} as const;

export type Config = typeof config;
