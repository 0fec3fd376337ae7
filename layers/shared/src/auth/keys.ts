import crypto from 'node:crypto';
import fs from 'node:fs';
import { config } from '../config.js';

/** The public half of a signing key as served by /.well-known/jwks.json (a type, so it is a JSON object too). */
export type RsaPublicJwk = {
  kty: 'RSA';
  n: string;
  e: string;
  kid: string;
  alg: 'RS256';
  use: 'sig';
};

export type Jwks = { keys: RsaPublicJwk[] };

export interface SigningKey {
  /** RFC 7638 thumbprint of the public key: stable for a key, different for every other key. */
  kid: string;
  privateKey: crypto.KeyObject;
  publicKey: crypto.KeyObject;
  jwk: RsaPublicJwk;
}

export const MIN_RSA_BITS = 2048;

/** RFC 7638 JWK thumbprint: SHA-256 over the required members, in lexicographic order, base64url. */
export function rsaJwkThumbprint({ e, n }: { e: string; n: string }): string {
  return crypto
    .createHash('sha256')
    .update(JSON.stringify({ e, kty: 'RSA', n }))
    .digest('base64url');
}

/** Parses an RSA private key (PKCS#8 or PKCS#1 PEM) and derives its public JWK and kid. */
export function signingKeyFromPem(pem: string | Buffer): SigningKey {
  const privateKey = crypto.createPrivateKey(pem);
  if (privateKey.asymmetricKeyType !== 'rsa') throw new Error('the JWT signing key must be an RSA private key');
  const bits = privateKey.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < MIN_RSA_BITS) throw new Error(`the JWT signing key has ${bits} bits; at least ${MIN_RSA_BITS} are needed`);
  const publicKey = crypto.createPublicKey(privateKey);
  const { n, e } = publicKey.export({ format: 'jwk' }) as { n: string; e: string };
  const kid = rsaJwkThumbprint({ e, n });
  return { kid, privateKey, publicKey, jwk: { kty: 'RSA', n, e, kid, alg: 'RS256', use: 'sig' } };
}

/** A PEM kept on one line in an environment variable or secret often has literal `\n` in place of newlines. */
const normalizePem = (text: string): string => (text.includes('\n') ? text : text.replace(/\\n/g, '\n'));

function readPrivateKeyPem(): string {
  const fromEnv = process.env.JWT_PRIVATE_KEY;
  if (fromEnv) return normalizePem(fromEnv);
  try {
    return fs.readFileSync(config.auth.privateKeyFile, 'utf8');
  } catch (error) {
    throw new Error(
      `no JWT signing key: set JWT_PRIVATE_KEY (PEM) or JWT_PRIVATE_KEY_FILE; ${config.auth.privateKeyFile} ` +
        'is missing (npm run stack:up generates it locally)',
      { cause: error },
    );
  }
}

let current: SigningKey | undefined;

/** The process's signing key, read once (JWT_PRIVATE_KEY, else JWT_PRIVATE_KEY_FILE). */
export function loadSigningKey(): SigningKey {
  current ??= signingKeyFromPem(readPrivateKeyPem());
  return current;
}

/** The public JWKS for the given keys (by default the process's signing key). */
export function publicJwks(keys: readonly SigningKey[] = [loadSigningKey()]): Jwks {
  return { keys: keys.map((key) => ({ ...key.jwk })) };
}
