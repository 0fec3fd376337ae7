import crypto from 'node:crypto';

/** X-Hub-Signature-256 of a body: `sha256=` and the hex HMAC-SHA256 of its exact bytes with the app secret. */
export const signBody = (body: Buffer | string, appSecret: string): string =>
  `sha256=${crypto.createHmac('sha256', appSecret).update(body).digest('hex')}`;

/** Whether `header` is the signature of exactly these bytes (constant-time comparison). */
export function verifySignature(body: Buffer, header: string | undefined, appSecret: string): boolean {
  if (!header || !/^sha256=[0-9a-f]{64}$/i.test(header.trim())) return false;
  const expected = Buffer.from(signBody(body, appSecret), 'utf8');
  const given = Buffer.from(header.trim().toLowerCase(), 'utf8');
  return expected.length === given.length && crypto.timingSafeEqual(expected, given);
}
