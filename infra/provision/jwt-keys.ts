import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { signingKeyFromPem } from '@chat4all/shared/auth/keys.js';
import { ROOT, STACK_DIR } from '../stack/paths.js';

export const JWT_KEY_FILE = path.join(STACK_DIR, 'jwt', 'private.pem');

export interface JwtKeys {
  file: string;
  kid: string;
  created: boolean;
}

/**
 * The local stack's RSA 2048 signing key for access tokens: generated once into `.stack/jwt/private.pem`
 * (mode 0600, with public.pem beside it), then reused, so tokens survive restarts. A local development key only;
 * deploys give the functions theirs through JWT_PRIVATE_KEY.
 */
export function ensureJwtKeys(log: (line: string) => void = () => {}, file = JWT_KEY_FILE): JwtKeys {
  let created = false;
  if (!fs.existsSync(file)) {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
    const temp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(temp, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    try {
      fs.linkSync(temp, file); // atomic, and refuses to replace a key another provisioning wrote meanwhile
      created = true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    } finally {
      fs.rmSync(temp, { force: true });
    }
  }
  // Also checks an existing file: a broken or too small key fails here rather than at the first login.
  const key = signingKeyFromPem(fs.readFileSync(file, 'utf8'));
  const publicFile = path.join(path.dirname(file), 'public.pem');
  const publicPem = key.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  if (!fs.existsSync(publicFile) || fs.readFileSync(publicFile, 'utf8') !== publicPem) {
    fs.writeFileSync(publicFile, publicPem, { mode: 0o644 });
  }
  log(`jwt: signing key ${key.kid} ${created ? 'generated' : 'present'} (${path.relative(ROOT, file)})`);
  return { file, kid: key.kid, created };
}
