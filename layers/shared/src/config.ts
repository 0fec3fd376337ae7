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

const positiveInt = (name: string, fallback: number): number => {
  const value = Number(env(name, String(fallback)));
  if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer`);
  return value;
};

const nonNegative = (name: string, fallback: number): number => {
  const value = Number(env(name, String(fallback)));
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a number >= 0`);
  return value;
};

/** One throttle scope's settings: `<prefix>_FREE`, `_BASE_DELAY_SECONDS`, `_MAX_DELAY_SECONDS`, `_WINDOW_SECONDS`. */
const throttleSettings = (prefix: string, defaults: { free: number; base: number; max: number; window: number }) => ({
  free: positiveInt(`${prefix}_FREE`, defaults.free),
  baseDelaySeconds: positiveInt(`${prefix}_BASE_DELAY_SECONDS`, defaults.base),
  maxDelaySeconds: positiveInt(`${prefix}_MAX_DELAY_SECONDS`, defaults.max),
  windowSeconds: positiveInt(`${prefix}_WINDOW_SECONDS`, defaults.window),
});

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
  realtime: {
    /** API Gateway Management API of the WebSocket API (serverless-offline's WebSocket port locally). */
    managementEndpoint: env('WEBSOCKET_MANAGEMENT_ENDPOINT', 'http://127.0.0.1:3001'),
  },
  files: {
    /** Media types (or `type/*`) that may be uploaded; anything else is a 415. */
    allowedContentTypes: list(
      'FILES_ALLOWED_CONTENT_TYPES',
      'image/jpeg,image/png,image/gif,image/webp,image/heic,video/mp4,video/quicktime,video/webm,audio/mpeg,audio/ogg,audio/mp4,audio/aac,audio/wav,application/pdf,text/plain,text/csv,application/zip,application/msword,application/vnd.openxmlformats-officedocument.wordprocessingml.document,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet,application/vnd.openxmlformats-officedocument.presentationml.presentation',
    ),
    /** How long presigned upload (PUT, UploadPart) and download (GET) URLs stay valid. */
    uploadUrlExpiresSeconds: positiveInt('FILES_UPLOAD_URL_EXPIRES_SECONDS', 900),
    downloadUrlExpiresSeconds: positiveInt('FILES_DOWNLOAD_URL_EXPIRES_SECONDS', 300),
    /** Part size of multipart uploads (files over 100 MiB); at least 5 MiB, S3's minimum. */
    partSizeBytes: positiveInt('FILES_PART_SIZE_BYTES', 32 * 1024 * 1024),
    /** The S3 endpoint clients reach the presigned URLs at, when it differs from S3_ENDPOINT. */
    publicEndpoint: env('FILES_PUBLIC_S3_ENDPOINT', env('S3_ENDPOINT', 'http://127.0.0.1:4566')),
  },
  /**
   * External channels. The defaults point at the provider emulators of infra/emulators; the tokens,
   * app secrets and verify tokens below are LOCAL DEVELOPMENT values the emulators accept, nothing real.
   * A deploy sets the Graph API base URL and real secrets (from SSM or Secrets Manager).
   */
  channels: {
    whatsapp: {
      apiUrl: env('WHATSAPP_API_URL', 'http://127.0.0.1:4010'),
      apiVersion: env('WHATSAPP_API_VERSION', 'v21.0'),
      phoneNumberId: env('WHATSAPP_PHONE_NUMBER_ID', '100000000000001'),
      accessToken: env('WHATSAPP_ACCESS_TOKEN', 'local-dev-whatsapp-token'),
      appSecret: env('WHATSAPP_APP_SECRET', 'local-dev-whatsapp-app-secret'),
      verifyToken: env('WHATSAPP_VERIFY_TOKEN', 'local-dev-whatsapp-verify-token'),
      /** Messages per second per sending number (WhatsApp's default throughput is 80). */
      ratePerSecond: positiveInt('WHATSAPP_RATE_PER_SECOND', 80),
    },
    instagram: {
      apiUrl: env('INSTAGRAM_API_URL', 'http://127.0.0.1:4011'),
      apiVersion: env('INSTAGRAM_API_VERSION', 'v21.0'),
      accountId: env('INSTAGRAM_ACCOUNT_ID', '17841400000000001'),
      accessToken: env('INSTAGRAM_ACCESS_TOKEN', 'local-dev-instagram-token'),
      appSecret: env('INSTAGRAM_APP_SECRET', 'local-dev-instagram-app-secret'),
      verifyToken: env('INSTAGRAM_VERIFY_TOKEN', 'local-dev-instagram-verify-token'),
      ratePerSecond: positiveInt('INSTAGRAM_RATE_PER_SECOND', 80),
    },
    /** The shared connector machinery (layers/shared/src/connectors). */
    connector: {
      /** Deadline of one provider call. */
      requestTimeoutMs: positiveInt('CONNECTOR_REQUEST_TIMEOUT_MS', 5000),
      /** Provider calls per message before it is dead-lettered (transient failures and rate limits). */
      maxAttempts: positiveInt('CONNECTOR_MAX_ATTEMPTS', 6),
      retryBaseDelayMs: positiveInt('CONNECTOR_RETRY_BASE_DELAY_MS', 200),
      retryMaxDelayMs: positiveInt('CONNECTOR_RETRY_MAX_DELAY_MS', 5000),
      /** Consecutive provider failures (5xx, timeouts, connection errors) that open a channel's circuit. */
      breakerFailureThreshold: positiveInt('CONNECTOR_BREAKER_FAILURE_THRESHOLD', 5),
      /** How long an open circuit waits before one half-open probe. */
      breakerOpenMs: positiveInt('CONNECTOR_BREAKER_OPEN_MS', 5000),
      /** Records of one partition sent at once (different conversations; one conversation stays in order). */
      concurrency: positiveInt('CONNECTOR_CONCURRENCY', 8),
      /**
       * How long a message whose last send attempt has no known outcome waits for the provider's receipt before it is
       * sent again: longer than an API restart under load takes (up to about 90 s on 2 cores), because the receipts
       * that settle it arrive only once the API answers again (docs/channels.md, "Once at the provider").
       */
      unsettledSendGraceMs: positiveInt('CONNECTOR_UNSETTLED_SEND_GRACE_MS', 120_000),
    },
  },
  /**
   * Per-user limit of POST /v1/messages (in each function instance's memory): a token bucket of
   * SEND_RATE_LIMIT_PER_SECOND a second (0 turns it off) and SEND_RATE_LIMIT_BURST at once; past it, 429.
   */
  sendRateLimit: {
    perSecond: nonNegative('SEND_RATE_LIMIT_PER_SECOND', 200),
    burst: positiveInt('SEND_RATE_LIMIT_BURST', 400),
  },
  /**
   * Throttling of failed logins (per account and per client address) and of registrations (per client address), in
   * Cassandra so that every API instance sees the same counts (layers/shared/src/auth/throttle). Per scope: FREE
   * attempts within WINDOW_SECONDS cost nothing; each one after that waits BASE_DELAY_SECONDS, doubling, at most
   * MAX_DELAY_SECONDS after the previous one. A successful login clears its account's failures.
   */
  authThrottle: {
    account: throttleSettings('AUTH_THROTTLE_ACCOUNT', { free: 5, base: 1, max: 900, window: 86_400 }),
    address: throttleSettings('AUTH_THROTTLE_ADDRESS', { free: 20, base: 1, max: 900, window: 3600 }),
    register: throttleSettings('AUTH_THROTTLE_REGISTER', { free: 20, base: 10, max: 3600, window: 86_400 }),
    /**
     * Client addresses never throttled per address. The loopback: behind API Gateway no client has it, and locally it
     * is the test suite and the load scenarios, which register and log in hundreds of users from it. `none`: no
     * exemption.
     */
    exemptAddresses: list('AUTH_THROTTLE_EXEMPT_ADDRESSES', '127.0.0.1,::1'),
  },
  pushgatewayUrl: env('PUSHGATEWAY_URL', 'http://127.0.0.1:9091'),
  logLevel: env('LOG_LEVEL', 'info'),
} as const;

export type Config = typeof config;
